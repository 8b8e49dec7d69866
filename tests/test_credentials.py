"""Registry credentials from the Docker config, as the docker CLI reads them: which store
answers for a registry, the credential helper protocol, and clear errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from restybuild.credentials import check_helper, for_registry
from restybuild.errors import ConfigError, Exit, InputError

REGISTRY = "127.0.0.1:5000"
BASIC = base64.b64encode(b"fileuser:filepass").decode()


@pytest.fixture()
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    monkeypatch.delenv("DOCKER_AUTH_CONFIG", raising=False)
    return folder / "config.json"


def helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> Path:
    """`docker-credential-NAME` on PATH: a shell script; it logs each call to NAME.log."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    log = tmp_path / f"{name}.log"
    script = folder / f"docker-credential-{name}"
    script.write_text(f'#!/bin/sh\nread -r server\necho "$1 $server" >> {log}\n{body}\n')
    script.chmod(0o700)
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")
    return log


def answer(user: str, secret: str) -> str:
    text = json.dumps({"ServerURL": REGISTRY, "Username": user, "Secret": secret})
    return f"printf '%s' '{text}'"


def test_no_config_file_is_anonymous(config: Path) -> None:
    assert for_registry(REGISTRY).auth == {}


def test_auths_entry_also_under_a_url_key(config: Path) -> None:
    config.write_text(json.dumps({"auths": {f"https://{REGISTRY}/v2/": {"auth": BASIC}}}))
    assert for_registry(REGISTRY).auth == {"username": "fileuser", "password": "filepass",
                                           "serveraddress": REGISTRY}
    assert for_registry("127.0.0.1:5001").auth == {}


def test_creds_store_wins_over_auths_and_gets_the_host_on_stdin(
        config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = helper(tmp_path, monkeypatch, "store", answer("ci", "s3cret"))
    config.write_text(json.dumps({"auths": {REGISTRY: {"auth": BASIC}}, "credsStore": "store"}))
    got = for_registry(REGISTRY)
    assert got.auth == {"username": "ci", "password": "s3cret", "serveraddress": REGISTRY}
    assert got.source.startswith("docker-credential-store (credsStore in ")
    assert log.read_text() == f"get {REGISTRY}\n"


def test_cred_helpers_win_over_creds_store(config: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    helper(tmp_path, monkeypatch, "store", answer("wrong", "wrong"))
    log = helper(tmp_path, monkeypatch, "one", answer("<token>", "tok"))
    config.write_text(json.dumps({"credsStore": "store", "credHelpers": {REGISTRY: "one"}}))
    assert for_registry(REGISTRY).auth == {"identitytoken": "tok", "serveraddress": REGISTRY}
    assert log.read_text() == f"get {REGISTRY}\n"
    assert for_registry("127.0.0.1:5001").auth["username"] == "wrong"  # the store: other hosts


def test_a_helper_with_nothing_means_no_credentials_not_the_auths_entry(
        config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helper(tmp_path, monkeypatch, "store",
           "echo 'credentials not found in native keychain'; exit 1")
    config.write_text(json.dumps({"auths": {REGISTRY: {"auth": BASIC}}, "credsStore": "store"}))
    got = for_registry(REGISTRY)
    assert got.auth == {} and "has none for" in got.source


def test_a_missing_helper_is_a_config_error_before_any_build(
        config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    config.write_text(json.dumps({"credsStore": "nowhere"}))
    for call in (check_helper, for_registry):
        with pytest.raises(ConfigError) as e:
            call(REGISTRY)
        assert e.value.exit_code == Exit.CONFIG
        assert e.value.message == (f"the credential helper docker-credential-nowhere is not on "
                                   f"PATH (credsStore in {config} names it for {REGISTRY})")


def test_a_failing_helper_is_an_input_error(config: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    helper(tmp_path, monkeypatch, "broken", "echo 'the keyring is locked' >&2; exit 3")
    config.write_text(json.dumps({"credHelpers": {REGISTRY: "broken"}}))
    with pytest.raises(InputError) as e:
        for_registry(REGISTRY)
    assert e.value.exit_code == Exit.IO
    assert e.value.message == (f"the credential helper docker-credential-broken failed for "
                               f"{REGISTRY} (exit 3): the keyring is locked")


def test_a_helper_answering_no_json_is_an_input_error(config: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    helper(tmp_path, monkeypatch, "chatty", "echo hello")
    config.write_text(json.dumps({"credsStore": "chatty"}))
    with pytest.raises(InputError, match="something else than its JSON"):
        for_registry(REGISTRY)


def test_a_config_that_is_not_json_points_at_the_place(config: Path) -> None:
    config.write_text('{\n  "auths": {,\n}\n')
    with pytest.raises(ConfigError) as e:
        for_registry(REGISTRY)
    assert e.value.span is not None and (e.value.span.line, e.value.span.col) == (2, 13)
    assert str(e.value.span).startswith(str(config))


def test_a_bad_auth_value(config: Path) -> None:
    config.write_text(json.dumps({"auths": {REGISTRY: {"auth": "not base64!"}}}))
    with pytest.raises(ConfigError, match="is not base64 USER:PASSWORD"):
        for_registry(REGISTRY)


def test_build_push_with_a_missing_helper_stops_before_the_build(
        config: Path, tmp_path: Path, no_daemon: str, capsys: pytest.CaptureFixture[str]) -> None:
    from restybuild.cli import main
    from tests.conftest import write_tree

    write_tree(tmp_path / "app", {"Restyfile": "name app\nbase debian-bookworm\n"})
    config.write_text(json.dumps({"credHelpers": {REGISTRY: "gone"}}))
    assert main(["build", str(tmp_path / "app/Restyfile"), "-t", f"{REGISTRY}/app:1",
                 "--push"]) == Exit.CONFIG
    err = capsys.readouterr().err
    assert err.startswith("error: the credential helper docker-credential-gone is not on PATH")
    assert "daemon" not in err and "building" not in err


def test_docker_auth_config_wins_when_it_has_the_host(
        config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helper(tmp_path, monkeypatch, "store", answer("ci", "s3cret"))
    config.write_text(json.dumps({"credsStore": "store"}))
    env = base64.b64encode(b"envuser:envpass").decode()
    monkeypatch.setenv("DOCKER_AUTH_CONFIG", json.dumps({"auths": {REGISTRY: {"auth": env}}}))
    got = for_registry(REGISTRY)
    assert got.auth["username"] == "envuser" and got.source == "`auths` of DOCKER_AUTH_CONFIG"
    assert for_registry("127.0.0.1:5001").auth["username"] == "ci"  # the store: other hosts
    monkeypatch.setenv("DOCKER_AUTH_CONFIG", "{not json")
    assert for_registry(REGISTRY).auth["username"] == "ci"  # ignored, as the CLI does


@pytest.mark.parametrize("auth", ["abc", "", base64.b64encode(b"no-colon").decode(), None,
                                  base64.b64encode(b"\xff:\xfe").decode()])
def test_an_auths_entry_the_sdk_cannot_decode_is_a_config_error_naming_it(
        config: Path, no_daemon: str, auth: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    """The Docker SDK decodes every `auths` entry as it connects, for whichever registry: a bad
    one (a truncated paste, an empty string) is the user's config, named, not an internal error."""
    from restybuild.cli import main
    from restybuild.engine import connect

    config.write_text(json.dumps({"auths": {"other.example:5000": {"auth": auth},
                                            REGISTRY: {"auth": BASIC},
                                            "tokens.example": {"identitytoken": "t"}}}))
    with pytest.raises(ConfigError) as e:
        connect()
    assert e.value.message.startswith(f"the Docker config {config} cannot be read")
    assert "the `auth` of other.example:5000 is not base64" in e.value.message
    assert main(["base", "bootstrap", "debian-bookworm"]) == Exit.CONFIG
    assert "internal error" not in capsys.readouterr().err


def test_a_good_config_connects_as_far_as_the_daemon(config: Path, no_daemon: str) -> None:
    from restybuild.engine import connect
    from restybuild.errors import DockerUnavailable

    config.write_text(json.dumps({"auths": {REGISTRY: {"auth": BASIC}, "x.example": {}}}))
    with pytest.raises(DockerUnavailable):
        connect()
