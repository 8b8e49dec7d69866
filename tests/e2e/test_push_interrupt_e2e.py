"""End to end: SIGINT to a real `restybuild` while its push is under way.

The pushes go through :class:`tests.registryproxy.HoldingProxy` in front of the test
registry. Slowed down, it lets the signal land while a layer of a few MB goes up, every
time; the proxy is then fast again, so an engine that was not really stopped would send
its manifest within moments, and the test sees the tag move in the registry's HTTP API.
Holding the manifest, it lets the signal land once every layer is up: that push can no
longer be stopped, and restybuild waits for it and says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, planned, scratch_image, write_tree
from tests.e2e.test_fleet_e2e import app_files
from tests.registryproxy import HoldingProxy, tag_digest

pytestmark = pytest.mark.e2e


RATE = 2_000_000  # bytes a second: a 12 MB layer takes 6 s
BIG = 12_000_000


def _image(client: Any, tag: str, text: str, big: int = 0) -> str:
    """An image from scratch (nothing pulled): a file holding `text`, and one of `big`
    random bytes (a layer that takes a while to go up)."""
    files = [("hello.txt", text.encode()), ("big.bin", os.urandom(big))]
    return scratch_image(client, tag, files)


def _restybuild(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.Popen([sys.executable, "-m", "restybuild", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait(proc: subprocess.Popen[str], event: Any, what: str, wait: float = 300) -> None:
    deadline = time.monotonic() + wait
    while not event.wait(0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
            _out, err = proc.communicate()
            pytest.fail(f"{what} never came (exit {proc.returncode}): {err}")


def _interrupt_while_uploading(proc: subprocess.Popen[str],
                               proxy: HoldingProxy) -> tuple[str, str]:
    """SIGINT once a layer goes up; the proxy fast again once the process ended."""
    try:
        _wait(proc, proxy.uploading, "a layer upload")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    proxy.rate = 0  # an engine still pushing would now finish within moments
    time.sleep(4)
    return out, err


def _leftover(client: Any, restyfiles: list[Path], timeout: float = 15) -> list[str]:
    """The containers of these apps' images still on the engine once it settled (other
    runs on the same engine are not looked at)."""
    key = "io.restybuild.restyfile.sha256"
    ours = {dict(planned(r).labels)[key] for r in restyfiles}
    deadline = time.monotonic() + timeout
    while True:
        left = [c["Id"] for c in client.api.containers(all=True)
                if (c.get("Labels") or {}).get(key) in ours]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def _remove(client: Any, *refs: str) -> None:
    from docker.errors import ImageNotFound

    for ref in refs:
        with contextlib.suppress(ImageNotFound):
            client.images.remove(ref, noprune=False)


def test_ctrl_c_while_a_layer_goes_up_leaves_the_registry_tag(
        docker_client: Any, registry: str, tmp_path: Path) -> None:
    name = f"rb-e2e/push-int-{os.getpid()}"
    first = f"{registry}/{name}:1"
    _image(docker_client, first, "the first image\n")
    with HoldingProxy(registry) as proxy:
        tag = f"{proxy.addr}/{name}:1"
        try:
            pushed = _restybuild(["push", first, "-q"], tmp_path)  # straight to the registry
            _out, err = pushed.communicate(timeout=60)
            assert pushed.returncode == 0, err
            before = tag_digest(registry, name, "1")
            assert before is not None
            _image(docker_client, tag, "the second image\n", BIG)
            proxy.rate = RATE
            proc = _restybuild(["push", tag], tmp_path)
            out, err = _interrupt_while_uploading(proc, proxy)
            assert proc.returncode == 130, err
            assert err.rstrip().endswith("restybuild: interrupted"), err
            assert "Traceback" not in err and out == ""
            assert proxy.manifests == 0  # the engine stopped before the manifest
            assert tag_digest(registry, name, "1") == before  # the tag did not move
        finally:
            _remove(docker_client, first, tag)


@contextlib.contextmanager
def _interrupted_at_the_manifest(client: Any, registry: str, tmp_path: Path, name: str,
                                 text: str) -> Any:
    """A `push` through a proxy holding its manifest, sent SIGINT once the manifest is on
    its way, and still waiting for the registry's answer a moment later: (proxy, tag,
    process). The process is killed and the image removed afterwards."""
    with HoldingProxy(registry) as proxy:
        tag = f"{proxy.addr}/{name}:1"
        _image(client, tag, text)
        proxy.holding = True
        proc = _restybuild(["push", tag], tmp_path)
        try:
            _wait(proc, proxy.held, "the manifest upload")
            proc.send_signal(signal.SIGINT)
            time.sleep(1.0)
            assert proc.poll() is None  # it waits for the registry's answer
            yield proxy, tag, proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proxy.release()
            _remove(client, tag)


def test_ctrl_c_once_the_manifest_is_sent_waits_for_it(docker_client: Any, registry: str,
                                                       tmp_path: Path) -> None:
    name = f"rb-e2e/push-late-{os.getpid()}"
    with _interrupted_at_the_manifest(docker_client, registry, tmp_path, name,
                                      "pushed to the end\n") as (proxy, tag, proc):
        time.sleep(0.5)
        assert proc.poll() is None
        assert tag_digest(registry, name, "1") is None
        proxy.release()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        digest = out.strip().partition("@")[2]
        assert out.strip() == f"{proxy.addr}/{name}@{digest}"
        assert tag_digest(registry, name, "1") == digest
        assert (f"interrupted while {proxy.addr} takes the manifest of {tag}: that cannot "
                "be stopped; waiting for its answer") in err
        assert f"the push of {tag} is done" in err and "Traceback" not in err


def test_a_second_ctrl_c_stops_waiting_for_a_registry_that_does_not_answer(
        docker_client: Any, registry: str, tmp_path: Path) -> None:
    name = f"rb-e2e/push-hung-{os.getpid()}"
    with _interrupted_at_the_manifest(docker_client, registry, tmp_path, name,
                                      "a registry that hangs on the manifest\n"
                                      ) as (proxy, tag, proc):
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)  # the second one ends it, unanswered
        assert proc.returncode == 130, err
        assert "Ctrl-C again stops waiting" in err
        assert (f"stopped waiting for {proxy.addr}'s answer to the manifest of {tag}: "
                "the registry's tag may have moved or not") in err
        assert "Traceback" not in err


def _big_app(root: Path, name: str, port: int) -> None:
    files = app_files(name, port, restyfile_extra="files blob -> /opt/blob\n")
    write_tree(root, files)
    (root / "blob").mkdir()
    (root / "blob/payload.bin").write_bytes(os.urandom(BIG))


def test_ctrl_c_during_build_push_of_a_new_tag(docker_client: Any, registry: str,
                                               tmp_path: Path) -> None:
    _big_app(tmp_path / "app", "pushint", 18121)
    name = f"rb-e2e/build-push-int-{os.getpid()}"
    with HoldingProxy(registry) as proxy:
        tag = f"{proxy.addr}/{name}:1"
        proxy.rate = RATE
        try:
            proc = _restybuild(["build", str(tmp_path / "app/Restyfile"), "-t", tag, "--push"],
                               tmp_path)
            out, err = _interrupt_while_uploading(proc, proxy)
            assert proc.returncode == 130, err
            assert f"pushing {tag}" in err and "Traceback" not in err
            assert err.rstrip().endswith("restybuild: interrupted")
            assert "@sha256:" not in out
            assert proxy.manifests == 0
            assert tag_digest(registry, name, "1") is None  # never pushed: still absent
            assert _leftover(docker_client, [tmp_path / "app/Restyfile"]) == []
        finally:
            _remove(docker_client, tag)


def test_ctrl_c_during_a_fleet_push(docker_client: Any, registry: str, tmp_path: Path) -> None:
    names = ("fpa", "fpb", "fpc")
    for port, app in enumerate(names, start=18122):
        _big_app(tmp_path / app, app, port)
    prefix = f"rb-e2e/fleet-push-int-{os.getpid()}"
    with HoldingProxy(registry) as proxy:
        tags = [f"{proxy.addr}/{prefix}/{n}:1" for n in names]
        proxy.rate = RATE
        try:
            proc = _restybuild(["build", *(str(tmp_path / n / "Restyfile") for n in names),
                                "-t", f"{proxy.addr}/{prefix}/{{name}}:1", "--jobs", "2",
                                "--push"], tmp_path)
            out, err = _interrupt_while_uploading(proc, proxy)
            assert proc.returncode == 130, err
            assert "Traceback" not in err
            lines = out.splitlines()
            assert lines[0].split() == ["app", "result", "size", "added", "digest", "time"]
            rows = {ln.split()[0]: ln.split() for ln in lines[1:]}
            # two under way (one pushing a layer, the other building, verifying or pushing),
            # the third never started
            assert rows["fpa"][1] == "interrupted" and rows["fpb"][1] == "interrupted", out
            assert rows["fpc"][1:3] == ["not", "started"], out
            assert all(row[-2] == "-" for row in rows.values())  # no digest
            assert proxy.manifests == 0
            for n in names:
                assert tag_digest(registry, f"{prefix}/{n}", "1") is None
            assert _leftover(docker_client, [tmp_path / n / "Restyfile" for n in names]) == []
        finally:
            _remove(docker_client, *tags)


def test_ctrl_c_once_a_fleet_app_sends_its_manifest(docker_client: Any, registry: str,
                                                    tmp_path: Path) -> None:
    """The app whose manifest was on its way is pushed and says so in the table; the table
    and the registry agree; the next app never starts."""
    names = ("fla", "flb")
    for port, app in enumerate(names, start=18126):
        write_tree(tmp_path / app, app_files(app, port))
    prefix = f"rb-e2e/fleet-late-{os.getpid()}"
    with HoldingProxy(registry) as proxy:
        tags = [f"{proxy.addr}/{prefix}/{n}:1" for n in names]
        proxy.holding = True
        proc = _restybuild(["build", *(str(tmp_path / n / "Restyfile") for n in names),
                            "-t", f"{proxy.addr}/{prefix}/{{name}}:1", "--push"], tmp_path)
        try:
            _wait(proc, proxy.held, "the manifest upload")
            proc.send_signal(signal.SIGINT)  # the fleet passes it on 2 s later
            time.sleep(4)
            assert proc.poll() is None and tag_digest(registry, f"{prefix}/fla", "1") is None
            proxy.release()
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 130, err
            assert "fla | interrupted while" in err and "Traceback" not in err
            rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[1:]}
            assert rows["fla"][1] == "ok", out
            digest = rows["fla"][-2].partition("@")[2]  # size and added are 2 words each
            assert tag_digest(registry, f"{prefix}/fla", "1") == digest
            assert rows["flb"][1:3] == ["not", "started"], out
            assert tag_digest(registry, f"{prefix}/flb", "1") is None
        finally:
            if proc.poll() is None:
                proc.kill()
            _remove(docker_client, *tags)
