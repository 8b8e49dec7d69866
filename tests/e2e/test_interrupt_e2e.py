"""Interrupts and a daemon lost mid-build, on the real daemon: no tag moves, nothing is left."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.engine import RUN_LABEL
from tests.conftest import BASE_RUNTIME, REPO, write_tree
from tests.interrupts import run_trials

pytestmark = pytest.mark.e2e

TRIALS = 20


def test_sigint_at_random_moments_never_moves_the_tag(docker_client: Any,
                                                      tmp_path: Path) -> None:
    duration, trials = run_trials(docker_client, tmp_path, TRIALS, seed=1402)
    bad = [t for t in trials if not t.ok]
    assert bad == [], (duration, bad)
    assert sum(t.signalled for t in trials) >= TRIALS - 2, (duration, trials)


def _build(root: Path, tag: str, env: dict[str, str]) -> subprocess.Popen[str]:
    # not -q: the test follows the progress lines (plain: stderr is a pipe)
    return subprocess.Popen([sys.executable, "-m", "restybuild", "build", str(root / "Restyfile"),
                             "-t", tag], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


class _Proxy:
    """A unix-socket stand-in for the daemon's socket that can be cut, as a daemon dies."""

    def __init__(self, path: Path, upstream: str) -> None:
        self.path, self.upstream = path, upstream
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(32)
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.server.accept()
            except OSError:
                return
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            up.connect(self.upstream)
            self.open += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.server.close()
        for s in self.open:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
                s.close()
        self.path.unlink(missing_ok=True)


@pytest.fixture()
def daemon_socket() -> Iterator[str]:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    assert host.startswith("unix://"), "the test proxies a unix socket"
    yield host[len("unix://"):]


def test_daemon_lost_during_verification(docker_client: Any, tmp_path: Path,
                                         daemon_socket: str) -> None:
    write_tree(tmp_path / "app", {
        "Restyfile": "name lostdaemon\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": "events {}\nhttp {\n  init_by_lua_block { os.execute('sleep 20') }\n"
                           "  server { listen 18096; }\n}\n",
    })
    sock = tmp_path / "docker.sock"
    proxy = _Proxy(sock, daemon_socket)
    env = {**os.environ, "PYTHONPATH": str(REPO), "DOCKER_HOST": f"unix://{sock}",
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = _build(tmp_path / "app", "rb-e2e/lostdaemon:test", env)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("verifying candidate"):
                candidate = line.split()[2].rstrip(":")
                break
        else:
            pytest.fail("the build never reached verification")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the boot check's container is up, alone
            ours = docker_client.containers.list(  # (nginx -t runs in it once nginx is up)
                all=True, filters={"label": RUN_LABEL, "ancestor": candidate})
            running = [c for c in ours if "error_log stderr notice;" in c.attrs["Args"]
                       and c.status == "running"]
            if running and len(ours) == 1:
                break
            time.sleep(0.2)
        assert running
        proxy.cut()
        rest = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 5, rest
    lines = [ln for ln in rest.splitlines() if ln.strip()]
    assert lines[0] == "error: the Docker engine went away during verification (the boot check)"
    assert "Traceback" not in rest and "Connection aborted" not in lines[0]
    # what it left: its labelled container and the untagged candidate image
    left = docker_client.containers.list(all=True, filters={"label": RUN_LABEL,
                                                            "ancestor": candidate})
    assert left and docker_client.images.get(candidate).tags == []
    # the daemon is back at the same address: the next run removes what the dead one left
    _Proxy(sock, daemon_socket)
    again = subprocess.run([sys.executable, "-m", "restybuild", "base", "bootstrap",
                            "debian-bookworm"], env=env, capture_output=True, text=True,
                           timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert docker_client.containers.list(all=True, filters={"ancestor": candidate}) == []
    assert candidate not in {i.id[:len(candidate)] for i in docker_client.images.list(all=True)}
    assert docker_client.images.get(BASE_RUNTIME)  # and nothing else was touched
