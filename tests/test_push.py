"""Pushing, against a fake engine: its event stream, its errors, which tags may be pushed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from restybuild.errors import ConfigError, Exit
from restybuild.progress import Progress
from restybuild.push import PushFailed, push_image, registry_of, split_tag
from tests.conftest import write_tree

DIGEST = "sha256:" + "ab" * 32


@pytest.fixture(autouse=True)
def _no_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    monkeypatch.delenv("DOCKER_AUTH_CONFIG", raising=False)
OK_EVENTS: list[dict[str, Any]] = [
    {"status": "The push refers to repository [127.0.0.1:5000/team/app]"},
    {"status": "Preparing", "progressDetail": {}, "id": "aaa"},
    {"status": "Preparing", "progressDetail": {}, "id": "bbb"},
    {"status": "Layer already exists", "progressDetail": {}, "id": "aaa"},
    {"status": "Pushing", "progressDetail": {"current": 512, "total": 2048}, "id": "bbb"},
    {"status": "Pushing", "progressDetail": {"current": 2100, "total": 2048}, "id": "bbb"},
    {"status": "Pushed", "progressDetail": {}, "id": "bbb"},
    {"status": f"1.0: digest: {DIGEST} size: 529"},
    {"progressDetail": {}, "aux": {"Tag": "1.0", "Digest": DIGEST, "Size": 529}},
]


class FakeAPI:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.pushed: list[tuple[str, str]] = []

    def push(self, repo: str, tag: str, stream: bool, decode: bool,
             auth_config: dict[str, str]) -> Any:
        assert stream and decode
        self.pushed.append((repo, tag))
        self.auth = auth_config
        return iter(self.events)


class FakeClient:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.api = FakeAPI(events)
        self.images = self

    def get(self, ref: str) -> Any:
        return type("Image", (), {"id": "sha256:" + "cd" * 32})()


def test_the_digest_and_the_bytes_sent() -> None:
    out = io.StringIO()
    client = FakeClient(OK_EVENTS)
    pushed = push_image(client, "127.0.0.1:5000/team/app:1.0", Progress(out))
    assert pushed.reference == f"127.0.0.1:5000/team/app@{DIGEST}"
    assert pushed.sent == 2100
    assert client.api.pushed == [("127.0.0.1:5000/team/app", "1.0")]
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["pushing 127.0.0.1:5000/team/app:1.0", "  layer aaa: already there",
                         "  layer bbb: 2.1 kB"]
    assert lines[3].startswith(f"pushed 127.0.0.1:5000/team/app@{DIGEST} (")
    assert lines[3].endswith("s, 2.1 kB sent)") and len(lines) == 4


@pytest.mark.parametrize(("detail", "hint"), [
    ("unauthorized: authentication required", "docker login 127.0.0.1:5000"),
    ('Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused',
     "no registry answers at 127.0.0.1:5000"),
    ("http: server gave HTTP response to HTTPS client", "insecure-registries"),
])
def test_an_error_event_is_one_clear_error(detail: str, hint: str) -> None:
    events = [OK_EVENTS[0], {"errorDetail": {"message": detail}, "error": detail}]
    with pytest.raises(PushFailed) as e:
        push_image(FakeClient(events), "127.0.0.1:5000/team/app:1.0", Progress(quiet=True))
    assert e.value.exit_code == Exit.IO
    assert e.value.message == f"the push to 127.0.0.1:5000 failed: {detail}"
    assert e.value.hint is not None and hint in e.value.hint


def test_a_stream_without_a_digest_fails() -> None:
    with pytest.raises(PushFailed, match="ended without a digest"):
        push_image(FakeClient(OK_EVENTS[:-2]), "127.0.0.1:5000/app", Progress(quiet=True))


def test_the_engine_going_away_mid_push_is_an_engine_error() -> None:
    from requests.exceptions import ConnectionError as RequestsConnectionError

    def broken() -> Any:
        yield OK_EVENTS[0]
        raise RequestsConnectionError("Connection aborted.")

    client = FakeClient([])
    client.api.push = lambda *a, **k: broken()  # type: ignore[method-assign]
    with pytest.raises(Exception) as e:
        push_image(client, "127.0.0.1:5000/app:1", Progress(quiet=True))
    assert getattr(e.value, "exit_code", None) == Exit.ENGINE
    assert e.value.args[0] == "the Docker engine went away during the push of 127.0.0.1:5000/app:1"


@pytest.mark.parametrize(("tag", "registry"), [
    ("127.0.0.1:5000/app:1", "127.0.0.1:5000"), ("registry.example/team/app", "registry.example"),
    ("localhost/app", "localhost"), ("team/app:1", None), ("app", None)])
def test_the_registry_a_tag_names(tag: str, registry: str | None) -> None:
    assert registry_of(tag) == registry


def test_split_tag() -> None:
    assert split_tag("127.0.0.1:5000/team/app") == ("127.0.0.1:5000/team/app", "latest")
    assert split_tag("127.0.0.1:5000/team/app:1.0") == ("127.0.0.1:5000/team/app", "1.0")


def test_a_tag_naming_no_registry_is_refused_before_any_build(
        tmp_path: Path, no_daemon: str, capsys: pytest.CaptureFixture[str]) -> None:
    from restybuild.cli import main

    write_tree(tmp_path, {"Restyfile": "name app\nbase debian-bookworm\n"})
    assert main(["build", str(tmp_path / "Restyfile"), "-t", "team/app:1", "--push"]) == 4
    assert main(["push", "app:1"]) == Exit.CONFIG
    err = capsys.readouterr().err
    assert err.startswith("error: `team/app:1` names no registry to push to\n")
    assert "daemon" not in err
    with pytest.raises(ConfigError):
        push_image(FakeClient(OK_EVENTS), "app:1", Progress(quiet=True))


def _signalled_at(n: int, *more: int) -> Any:
    """The OK events, with a SIGINT recorded (as the handler does) before the n-th (and
    each of `more`), and the engine slow from then on."""
    import signal
    import time

    from restybuild import interrupt

    def events() -> Any:
        for i, event in enumerate(OK_EVENTS):
            if i in (n, *more):
                interrupt._received.append(signal.SIGINT)
            if i >= n:
                time.sleep(0.3)
            yield event
    return events()


def test_a_signal_while_layers_go_up_stops_the_push(monkeypatch: pytest.MonkeyPatch) -> None:
    from restybuild import interrupt, push

    monkeypatch.setattr(push, "SETTLE", 0.0)
    client = FakeClient([])
    client.api.push = lambda *a, **k: _signalled_at(5)  # type: ignore[method-assign]
    out = io.StringIO()
    try:
        with pytest.raises(KeyboardInterrupt):
            push_image(client, "127.0.0.1:5000/team/app:1.0", Progress(out))
        assert interrupt.received() is not None
    finally:
        interrupt.reset()
    assert "pushed" not in out.getvalue()


def test_a_signal_once_every_layer_is_up_waits_for_the_manifest() -> None:
    from restybuild import interrupt

    client = FakeClient([])
    client.api.push = lambda *a, **k: _signalled_at(7)  # type: ignore[method-assign]
    out = io.StringIO()
    try:
        pushed = push_image(client, "127.0.0.1:5000/team/app:1.0", Progress(out))
        assert interrupt.received() is None  # the push is done: the signal is ignored
    finally:
        interrupt.reset()
    assert pushed.digest == DIGEST
    text = out.getvalue()
    assert ("interrupted while 127.0.0.1:5000 takes the manifest of 127.0.0.1:5000/team/app:1.0: "
            "that cannot be stopped; waiting for its answer") in text
    assert "the push of 127.0.0.1:5000/team/app:1.0 is done" in text


def test_a_second_signal_stops_waiting_for_the_manifest_and_says_the_tag_is_unknown() -> None:
    from restybuild import interrupt

    client = FakeClient([])
    client.api.push = lambda *a, **k: _signalled_at(7, 8)  # type: ignore[method-assign]
    out = io.StringIO()
    try:
        with pytest.raises(KeyboardInterrupt):
            push_image(client, "127.0.0.1:5000/team/app:1.0", Progress(out))
        assert interrupt.count() == 2
    finally:
        interrupt.reset()
    text = out.getvalue()
    assert "Ctrl-C again stops waiting" in text
    assert ("stopped waiting for 127.0.0.1:5000's answer to the manifest of "
            "127.0.0.1:5000/team/app:1.0: the registry's tag may have moved or not") in text
    assert "pushed" not in text.replace("pushing", "")
