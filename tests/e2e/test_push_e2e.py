"""End to end: push to the project's test registry on 127.0.0.1 (Debian's docker-registry,
scripts/registry-up), pull back by digest, and a registry that asks for credentials."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.cli import main
from tests.conftest import REPO, registry_up, scratch_image, write_tree

pytestmark = pytest.mark.e2e


def _remove(client: Any, ref: str) -> None:
    from docker.errors import ImageNotFound

    with contextlib.suppress(ImageNotFound):
        client.images.remove(ref, noprune=False)


def test_build_push_then_pull_the_digest_back(docker_client: Any, registry: str,
                                              demo_natives: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    repo = f"{registry}/rb-e2e/example"
    tag = f"{repo}:push"
    rc = main(["build", str(REPO / "Restyfile.example"), "-t", tag, "--push", "-q"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert err == ""  # -q: the result only, on stdout
    built = docker_client.images.get(tag).id
    lines = out.splitlines()
    assert lines[0] == f"verified and tagged {tag} ({built.split(':')[1][:12]})"
    reference = lines[1]
    assert len(lines) == 2 and reference.startswith(f"{repo}@sha256:")
    try:
        assert reference in docker_client.images.get(tag).attrs["RepoDigests"]
        # the registry has the manifest under that digest, and its config is the image's
        manifest = _manifest(registry, "rb-e2e/example", reference.split("@")[1])
        assert manifest["config"]["digest"] == built
        _remove(docker_client, tag)  # the image goes with it, unless another run's tag has it
        _remove(docker_client, reference)
        pulled = docker_client.images.pull(reference)  # from 127.0.0.1 only
        assert pulled.id == built
    finally:
        _remove(docker_client, tag)
        _remove(docker_client, reference)


def _manifest(registry: str, name: str, digest: str) -> Any:
    request = urllib.request.Request(
        f"http://{registry}/v2/{name}/manifests/{digest}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(request, timeout=5) as r:
        return json.load(r)


def _tags(registry: str, name: str) -> int:
    """The HTTP status of the registry's tag list of `name` (404: never pushed)."""
    try:
        with urllib.request.urlopen(f"http://{registry}/v2/{name}/tags/list", timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return e.code


def test_a_failed_verification_pushes_nothing(docker_client: Any, registry: str,
                                              tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name unpushed\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": "events {}\nhttp {\n    init_by_lua_block { require(\"gone\") }\n"
                           "    server { listen 18097; }\n}\n",
    })
    name = f"rb-e2e/unpushed-{tmp_path.name}".lower()
    tag = f"{registry}/{name}:1"
    rc = main(["build", str(tmp_path / "Restyfile"), "-t", tag, "--push"])
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "boot check failed" in err and "pushing" not in err
    assert _tags(registry, name) == 404
    assert docker_client.api.images(name=f"{registry}/{name}") == []


def _tiny_image(client: Any, tag: str) -> str:
    """A small image built from scratch (no base, nothing pulled); its ID."""
    return scratch_image(client, tag, [("hello.txt", b"hello registry\n")],
                         "LABEL io.restybuild.test=push\n")


@pytest.fixture()
def auth_registry(tmp_path: Path) -> Iterator[str]:
    """A registry of its own that wants user `ci` with password `s3cret` (bcrypt htpasswd)."""
    import bcrypt

    htpasswd = tmp_path / "htpasswd"
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=5)).decode()
    htpasswd.write_text(f"ci:{hashed}\n")
    env = {"RESTYBUILD_REGISTRY_DIR": str(tmp_path / "registry"),
           "RESTYBUILD_REGISTRY_HTPASSWD": str(htpasswd)}
    addr = registry_up(env)
    try:
        yield addr
    finally:
        subprocess.run([str(REPO / "scripts/registry-down")], env={"PATH": "/usr/bin:/bin",
                       **env}, check=False, timeout=30)


def test_a_registry_that_wants_credentials(docker_client: Any, auth_registry: str,
                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    tag = f"{auth_registry}/rb-e2e/tiny:1"
    image = _tiny_image(docker_client, tag)
    try:
        empty = tmp_path / "no-credentials"
        empty.mkdir()
        (empty / "config.json").write_text("{}")
        monkeypatch.setenv("DOCKER_CONFIG", str(empty))
        assert main(["push", tag]) == 3  # Exit.IO: the registry refused it
        err = capsys.readouterr().err
        first = next(ln for ln in err.splitlines() if ln.startswith("error:"))
        assert first.startswith(f"error: the push to {auth_registry} failed: "), err
        assert f"hint: log in to {auth_registry} (docker login {auth_registry})" in err
        assert "Traceback" not in err

        config = tmp_path / "docker-config"
        config.mkdir()
        auth = base64.b64encode(b"ci:s3cret").decode()
        (config / "config.json").write_text(json.dumps({"auths": {auth_registry:
                                                                  {"auth": auth}}}))
        monkeypatch.setenv("DOCKER_CONFIG", str(config))
        assert main(["push", tag, "-q"]) == 0
        out, err = capsys.readouterr()
        assert err == ""
        reference = out.strip()
        assert reference.startswith(f"{auth_registry}/rb-e2e/tiny@sha256:")
        assert reference in docker_client.images.get(image).attrs["RepoDigests"]
    finally:
        _remove(docker_client, tag)


def test_credentials_from_a_credential_helper(docker_client: Any, auth_registry: str,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`credHelpers` in the Docker config: the docker CLI's `docker-credential-NAME get`
    protocol (the server on stdin, JSON on stdout), as the SDK runs it."""
    tag = f"{auth_registry}/rb-e2e/helped:1"
    image = _tiny_image(docker_client, tag)
    try:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        asked = tmp_path / "asked"
        helper = bin_dir / "docker-credential-rbtest"
        helper.write_text("#!/bin/sh\n"
                          f'[ "$1" = get ] || exit 1\nread server\necho "$server" >> {asked}\n'
                          'printf \'{"ServerURL":"%s","Username":"ci","Secret":"s3cret"}\' '
                          '"$server"\n')
        helper.chmod(0o700)
        monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
        config = tmp_path / "docker-config"
        config.mkdir()
        (config / "config.json").write_text(json.dumps({"credHelpers":
                                                        {auth_registry: "rbtest"}}))
        monkeypatch.setenv("DOCKER_CONFIG", str(config))
        assert main(["push", tag, "-q"]) == 0, capsys.readouterr().err
        out, _err = capsys.readouterr()
        reference = out.strip()
        assert reference.startswith(f"{auth_registry}/rb-e2e/helped@sha256:")
        assert reference in docker_client.images.get(image).attrs["RepoDigests"]
        assert auth_registry in asked.read_text()
    finally:
        _remove(docker_client, tag)


def _store_helper(folder: Path, name: str, body: str) -> Path:
    """`docker-credential-NAME` in `folder` (on PATH): logs what it is asked, then `body`."""
    folder.mkdir(exist_ok=True)
    asked = folder.parent / f"{name}.asked"
    script = folder / f"docker-credential-{name}"
    script.write_text(f'#!/bin/sh\nread -r server\necho "$1 $server" >> {asked}\n{body}\n')
    script.chmod(0o700)
    return asked


def _secret(user: str, secret: str) -> str:
    return f"""printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}' "$server\""""


def test_credentials_from_the_creds_store(docker_client: Any, auth_registry: str,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`credsStore` (docker login writes `auths: {HOST: {}}` next to it): the helper gets the
    registry's host on stdin and its answer is what the engine sends."""
    tag = f"{auth_registry}/rb-e2e/stored:1"
    image = _tiny_image(docker_client, tag)
    try:
        asked = _store_helper(tmp_path / "bin", "rbstore", _secret("ci", "s3cret"))
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
        config = tmp_path / "docker-config"
        config.mkdir()
        (config / "config.json").write_text(json.dumps({"auths": {auth_registry: {}},
                                                        "credsStore": "rbstore"}))
        monkeypatch.setenv("DOCKER_CONFIG", str(config))
        assert main(["push", tag, "-q"]) == 0, capsys.readouterr().err
        reference = capsys.readouterr().out.strip()
        assert reference.startswith(f"{auth_registry}/rb-e2e/stored@sha256:")
        assert reference in docker_client.images.get(image).attrs["RepoDigests"]
        assert asked.read_text().splitlines() == [f"get {auth_registry}"]
    finally:
        _remove(docker_client, tag)


def test_a_helper_missing_failing_or_refused(docker_client: Any, auth_registry: str,
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    tag = f"{auth_registry}/rb-e2e/refused:1"
    _tiny_image(docker_client, tag)
    bin_dir = tmp_path / "bin"
    _store_helper(bin_dir, "locked", "echo 'the keyring is locked' >&2; exit 1")
    wrong = _store_helper(bin_dir, "wrong", _secret("ci", "not-the-password"))
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    config = tmp_path / "docker-config"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))

    def push(store: str) -> tuple[int, str]:
        (config / "config.json").write_text(json.dumps({"credsStore": store}))
        rc = main(["push", tag])
        err = capsys.readouterr().err
        assert "Traceback" not in err
        return rc, err

    try:
        rc, err = push("gone")
        assert rc == 4, err  # Exit.CONFIG: the config names a program that is not there
        assert err.startswith("error: the credential helper docker-credential-gone is not on "
                              f"PATH (credsStore in {config / 'config.json'} names it for "
                              f"{auth_registry})\n"), err
        assert "pushing" not in err
        rc, err = push("locked")
        assert rc == 3, err  # Exit.IO: the credentials could not be read
        assert err.startswith(f"error: the credential helper docker-credential-locked failed "
                              f"for {auth_registry} (exit 1): the keyring is locked\n"), err
        rc, err = push("wrong")
        assert rc == 3, err  # Exit.IO: the registry refused them
        assert f"error: the push to {auth_registry} failed: " in err
        assert "the credentials sent: docker-credential-wrong (credsStore in " in err
        assert wrong.read_text().splitlines() == [f"get {auth_registry}"]
        assert _tags_of(auth_registry, "rb-e2e/refused") == 404  # nothing went in
    finally:
        _remove(docker_client, tag)


def _tags_of(registry: str, name: str) -> int:
    request = urllib.request.Request(
        f"http://{registry}/v2/{name}/tags/list",
        headers={"Authorization": "Basic " + base64.b64encode(b"ci:s3cret").decode()})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return e.code
