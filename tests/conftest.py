"""Shared fixtures. End-to-end tests use the real Docker daemon of DOCKER_HOST.

`make test` (and `.ci/run`) start one with scripts/dockerd-up; there are no
skips: without a daemon the end-to-end tests fail and say how to start one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.plan import BuildPlan

REPO = Path(__file__).resolve().parents[1]
BASE_RUNTIME = "restybuild/debian-bookworm:runtime"
BASE_BUILDER = "restybuild/debian-bookworm:builder"
BASE_MODULES = "restybuild/debian-bookworm:modules"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    from restybuild.bootstrap import bootstrap
    from restybuild.engine import connect, image_id
    from restybuild.errors import DockerUnavailable

    try:
        client = connect()
    except DockerUnavailable as e:
        pytest.fail(f"{e.message}; run the tests with `make test`, which starts a daemon "
                    "(scripts/dockerd-up)", pytrace=False)
    if any(image_id(client, ref) is None for ref in (BASE_RUNTIME, BASE_BUILDER, BASE_MODULES)):
        bootstrap(client, "debian-bookworm")
    yield client
    # what the tests' builds left untagged, so a long-lived CI engine does not fill up
    client.images.prune(filters={"dangling": True})
    client.close()


def registry_answers(addr: str) -> bool:
    """Whether a registry answers on `addr` (127.0.0.1:PORT): /v2/ is 200, or 401 with auth."""
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(f"http://{addr}/v2/", timeout=2).close()
    except urllib.error.HTTPError as e:
        return e.code == 401
    except OSError:
        return False
    return True


def registry_up(env: dict[str, str] | None = None) -> str:
    """Start (or reuse) a registry with scripts/registry-up; its 127.0.0.1:PORT."""
    import subprocess

    proc = subprocess.run([str(REPO / "scripts/registry-up")], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False, timeout=60)
    if proc.returncode != 0:
        pytest.fail(f"scripts/registry-up failed: {proc.stderr.strip()}", pytrace=False)
    addr = proc.stdout.strip()
    assert addr.startswith("127.0.0.1:"), addr  # the tests push to this machine only
    return addr


@pytest.fixture(scope="session")
def registry() -> str:
    """The test registry on 127.0.0.1 (`make test` starts it; else it is started here and
    left running, as the daemon is: scripts/registry-down stops it)."""
    addr = os.environ.get("RESTYBUILD_TEST_REGISTRY", "")
    if addr.startswith("127.0.0.1:") and registry_answers(addr):
        return addr
    return registry_up()


@pytest.fixture(scope="session")
def demo_natives() -> Path:
    """The example's natives, built by examples/demo/build.sh (as `make demo` does), once
    per session: what Restyfile.example declares."""
    import subprocess
    import sys

    subprocess.run(["bash", str(REPO / "examples/demo/build.sh")], check=True,
                   capture_output=True, env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable})
    return REPO / "examples/demo/build"


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write `files` below `root`. A text of the form `@cc FLAGS\nC SOURCE` (or
    `@musl-gcc ...`) is compiled into a shared object (`{root}` in FLAGS is `root`),
    `@symlink TARGET` makes a symlink and `@fifo` a FIFO, in the order given."""
    import subprocess

    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("@symlink "):  # `@symlink TARGET`: a symlink ({root} is `root`)
            path.symlink_to(text.split(" ", 1)[1].replace("{root}", str(root)))
            continue
        if text == "@fifo":
            os.mkfifo(path)
            continue
        if text.startswith(("@cc", "@musl-gcc")):
            head, _, source = text[1:].partition("\n")
            compiler, *flags = head.replace("{root}", str(root)).split()
            cmd = [compiler, "-shared", "-fPIC", "-o", str(path), "-x", "c", "-", *flags]
            subprocess.run(cmd, input=source, text=True, check=True, capture_output=True)
            continue
        path.write_text(text, encoding="utf-8")


def planned(restyfile: Path | str) -> BuildPlan:
    """The build plan of `restyfile` with the base facts the command line would choose."""
    from restybuild.inputs import load
    from restybuild.plan import plan

    inputs = load(restyfile)
    return plan(inputs.project, inputs.base.index, inputs.tree, inputs.facts)


def lua_module(name: str, flags: str = "") -> str:
    """A write_tree text that compiles into a minimal Lua C module `name`."""
    return f"@cc {flags}\nint luaopen_{name}(void *L) {{ (void)L; return 0; }}\n"


@pytest.fixture()
def no_daemon(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point DOCKER_HOST at a socket nobody listens on."""
    host = f"unix://{tmp_path}/nobody.sock"
    monkeypatch.setenv("DOCKER_HOST", host)
    return host


os.environ.setdefault("RESTYBUILD_TEST", "1")


def scratch_image(client: Any, tag: str, files: list[tuple[str, bytes]],
                  extra: str = "") -> str:
    """An image built from scratch (no base, nothing pulled) holding `files`, one COPY
    each, then the Dockerfile lines `extra`; its ID."""
    import io
    import tarfile

    buf = io.BytesIO()
    dockerfile = "FROM scratch\n" + "".join(f"COPY {n} /\n" for n, _ in files) + extra
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("Dockerfile", dockerfile.encode()), *files):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    image, _ = client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True)
    return str(image.id)
