"""Faults of the engine, with a fake Docker client: one clear message and a documented code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from requests.exceptions import ConnectionError as RequestsConnectionError

from restybuild.build import build_and_tag
from restybuild.errors import BuildFailed, DockerUnavailable
from restybuild.resolve import load_project
from tests.conftest import REPO, write_tree


class FakeImage:
    def __init__(self, arch: str) -> None:
        self.id = "sha256:" + "0" * 64
        self.attrs = {"Architecture": arch}
        self.tags: list[str] = []


class FakeImages:
    def __init__(self, arch: str) -> None:
        self.arch = arch
        self.removed: list[str] = []

    def get(self, ref: str) -> FakeImage:
        return FakeImage(self.arch)

    def remove(self, ref: str, **kw: Any) -> None:
        self.removed.append(ref)

    def prune(self, filters: dict[str, Any]) -> None:
        self.removed.append(f"prune {filters['label']}")


class FakeAPI:
    def __init__(self, chunks: list[dict[str, Any]], fail: BaseException | None) -> None:
        self.chunks = chunks
        self.fail = fail
        self.tagged: list[tuple[str, str, str]] = []

    def build(self, **kw: Any) -> Iterator[dict[str, Any]]:
        yield from self.chunks
        if self.fail is not None:
            raise self.fail

    def tag(self, image: str, repo: str, tag: str) -> None:
        self.tagged.append((image, repo, tag))


class FakeClient:
    def __init__(self, chunks: list[dict[str, Any]], fail: BaseException | None = None,
                 image_arch: str = "amd64", engine_arch: str = "x86_64") -> None:
        self.api = FakeAPI(chunks, fail)
        self.images = FakeImages(image_arch)
        self.engine_arch = engine_arch

    def info(self) -> dict[str, str]:
        return {"Architecture": self.engine_arch}


@pytest.fixture()
def project_file(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"Restyfile": "name app\nbase debian-bookworm\nconf conf\n",
                          "conf/nginx.conf": "events {}\nhttp {}\n"})
    return tmp_path / "Restyfile"


def test_daemon_going_away_mid_build(project_file: Path) -> None:
    client = FakeClient([{"stream": "Step 1/3 : FROM x\n"}],
                        fail=RequestsConnectionError("Connection aborted."))
    with pytest.raises(DockerUnavailable) as e:
        build_and_tag(load_project(project_file), "app:1", quiet=True, client=client)
    assert e.value.message == "the Docker engine went away during the build (Step 1/3 : FROM x)"
    assert e.value.exit_code == 5
    assert client.api.tagged == []


def test_full_disk_reported_by_the_daemon(project_file: Path) -> None:
    client = FakeClient([{"stream": "Step 2/3 : COPY layers/conf/ /\n"},
                         {"error": "failed to copy files: write /var/lib/docker/x: "
                                   "no space left on device"}])
    with pytest.raises(DockerUnavailable) as e:
        build_and_tag(load_project(project_file), "app:1", quiet=True, client=client)
    assert e.value.message == ("the Docker engine ran out of disk space at "
                               "Step 2/3 : COPY layers/conf/ /")
    assert e.value.hint is not None and "docker system prune" in e.value.hint
    assert e.value.exit_code == 5
    assert client.api.tagged == []


def test_base_image_of_another_architecture(project_file: Path) -> None:
    client = FakeClient([], image_arch="arm64", engine_arch="x86_64")
    with pytest.raises(DockerUnavailable) as e:
        build_and_tag(load_project(project_file), "app:1", quiet=True, client=client)
    assert e.value.message == ("the base image restybuild/debian-bookworm:runtime is for "
                               "arm64, but this Docker engine runs amd64")


def test_a_failed_step_names_the_step_and_its_output(project_file: Path) -> None:
    client = FakeClient([{"stream": "Step 3/9 : RUN luarocks install x\n"},
                         {"stream": "Error: No results matching query were found\n"},
                         {"error": "The command '/bin/sh -c luarocks install x' returned a "
                                   "non-zero code: 1"}])
    with pytest.raises(BuildFailed) as e:
        build_and_tag(load_project(project_file), "app:1", quiet=True, client=client)
    text = e.value.render()
    assert "the build failed at Step 3/9 : RUN luarocks install x" in text
    assert "No results matching query were found" in text
    assert client.api.tagged == []


class MissingImages(FakeImages):
    def get(self, ref: str) -> FakeImage:
        from docker.errors import ImageNotFound

        raise ImageNotFound(f"No such image: {ref}")


def test_a_missing_bootstrap_base_says_how_to_make_it(project_file: Path) -> None:
    client = FakeClient([])
    client.images = MissingImages("amd64")
    with pytest.raises(DockerUnavailable) as e:
        build_and_tag(load_project(project_file), "app:1", quiet=True, client=client)
    assert e.value.message == ("the base image restybuild/debian-bookworm:runtime is not on "
                               "this Docker engine")
    assert e.value.hint == "make it, offline: restybuild base bootstrap debian-bookworm"
    assert client.api.tagged == []


def test_a_missing_registry_base_is_not_pulled_without_pull(tmp_path: Path) -> None:
    write_tree(tmp_path, {"Restyfile": "name app\nbase openresty 1.21.4.3 bookworm\nconf conf\n",
                          "conf/nginx.conf": "events {}\nhttp {}\n"})
    client = FakeClient([])
    client.images = MissingImages("amd64")
    with pytest.raises(DockerUnavailable) as e:
        build_and_tag(load_project(tmp_path / "Restyfile"), "app:1", quiet=True, client=client)
    assert e.value.message == ("the base image openresty/openresty:1.21.4.3-bookworm is not "
                               "on this Docker engine")
    assert e.value.hint == ("pull it first (docker pull), or pass --pull to let the engine "
                            "fetch it")


@pytest.mark.parametrize("tag", ["App:1", "app:1;rm", "app: 1", "_app", "app:" + "x" * 200])
def test_a_bad_tag_is_refused_before_any_build(project_file: Path, tag: str,
                                               no_daemon: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from restybuild.cli import main

    assert main(["build", str(project_file), "-t", tag]) == 4
    assert capsys.readouterr().err.startswith(f"error: `{tag}` is not an image tag")


@pytest.mark.parametrize("tag", ["app", "app:1.0", "registry.example:5000/team/app:v1_2"])
def test_good_tags_pass_the_check(tag: str) -> None:
    from restybuild.reference import check_tag

    check_tag(tag, "-t")


class _SwallowsInterrupt:
    """A finalizer that swallows the KeyboardInterrupt raised inside it, as a half-read
    archive stream being closed did ("Exception ignored in ...")."""

    def close(self) -> None:
        import os
        import signal
        import time

        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here
        except KeyboardInterrupt:
            pass


def test_an_interrupt_swallowed_during_verification_moves_no_tag(
        project_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    from restybuild import build, interrupt

    client = FakeClient([{"stream": "Successfully built abc123\n"}])

    def verify(*_a: Any, **_kw: Any) -> object:
        _SwallowsInterrupt().close()
        return object()

    monkeypatch.setattr(build, "check_bases", lambda *a: None)
    monkeypatch.setattr(build, "verify", verify)
    previous = signal.getsignal(signal.SIGINT)
    interrupt.reset()
    interrupt.install()
    try:
        with pytest.raises(KeyboardInterrupt):
            build_and_tag(load_project(project_file), "app:1", quiet=True, client=client)
        assert interrupt.exit_code() == 130
    finally:
        signal.signal(signal.SIGINT, previous)
        interrupt.reset()
    assert client.api.tagged == []
    assert client.images.removed[0] == "abc123"
    assert client.images.removed[1].startswith("prune io.restybuild.restyfile.sha256=")


FINALIZED = """
import gc, os, signal, sys, time
from restybuild import interrupt

class Finalizer:  # SIGINT arrives in its __del__: the KeyboardInterrupt cannot leave it
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)

class Broken:
    def __del__(self):
        raise ValueError("a bug of its own")

interrupt.install()
thing = Finalizer()
del thing
gc.collect()
print(interrupt.exit_code())
interrupt.reset()
broken = Broken()
del broken
gc.collect()
"""


def test_an_interrupt_lost_in_a_finalizer_is_recorded_and_prints_nothing() -> None:
    """Python prints what a finalizer raises ("Exception ignored in ...", a traceback): for
    the KeyboardInterrupt of a recorded signal, nothing is printed; anything else still is."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", FINALIZED], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout == "130\n", proc.stderr
    assert "KeyboardInterrupt" not in proc.stderr
    assert proc.stderr.count("Exception ignored") == 1 and "ValueError: a bug of its own" \
        in proc.stderr


def test_an_interrupt_while_the_tag_moves_puts_it_back(
        project_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from restybuild import build, interrupt

    client = FakeClient([{"stream": "Successfully built abc123\n"}])
    monkeypatch.setattr(build, "check_bases", lambda *a: None)
    monkeypatch.setattr(build, "verify", lambda *a, **k: object())
    monkeypatch.setattr(build, "image_id", lambda _c, _ref: "sha256:before")
    real_tag = client.api.tag

    def tag(image: str, repo: str, version: str) -> None:
        real_tag(image, repo, version)
        if image == "abc123":
            interrupt._received.append(2)  # SIGINT arrived inside the shielded tag step

    monkeypatch.setattr(client.api, "tag", tag)
    interrupt.reset()
    try:
        with pytest.raises(KeyboardInterrupt):
            build_and_tag(load_project(project_file), "app:1", quiet=True, client=client)
    finally:
        interrupt.reset()
    assert client.api.tagged == [("abc123", "app", "1"), ("sha256:before", "app", "1")]


def test_a_daemon_that_accepts_and_never_answers_is_a_bounded_wait(
        project_file: Path, tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import threading
    import time

    from tests.conftest import REPO

    sock_path = tmp_path / "silent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(sock_path))
    server.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)  # read nothing, answer nothing

    threading.Thread(target=accept, daemon=True).start()
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock_path}", "RESTYBUILD_ENGINE_TIMEOUT": "2",
           "PYTHONPATH": str(REPO)}
    start = time.monotonic()
    try:
        result = subprocess.run([sys.executable, "-m", "restybuild", "build", str(project_file)],
                                env=env, capture_output=True, text=True, timeout=60, check=False)
    finally:
        server.close()
        for conn in held:
            conn.close()
    assert time.monotonic() - start < 20
    assert result.returncode == 5, result.stderr
    assert result.stderr.splitlines()[0] == (
        f"error: the Docker daemon at unix://{sock_path} accepted the connection but did not "
        "answer within 2s")
    assert "Traceback" not in result.stderr


def test_a_rock_that_cannot_be_fetched_says_to_declare_a_server(project_file: Path) -> None:
    client = FakeClient([
        {"stream": "Step 2/4 : RUN luarocks --tree=/x install lua-cjson 2.1.0.10-1\n"},
        {"stream": "Warning: Failed searching manifest: Failed downloading https://x/manifest\n"},
        {"stream": "Error: No results matching query were found for Lua 5.1.\n"},
        {"error": "The command '/bin/sh -c luarocks ...' returned a non-zero code: 1"}])
    with pytest.raises(BuildFailed) as e:
        build_and_tag(load_project(project_file), "app:1", quiet=True, client=client)
    assert e.value.hint is not None and "declare an offline one in the rocks block, " \
        "`server DIR`" in e.value.hint
