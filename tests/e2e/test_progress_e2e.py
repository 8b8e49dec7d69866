"""End to end: what a real `restybuild push` shows on stderr, on a real terminal (a pty),
with NO_COLOR there, through a pipe, and with -q."""

from __future__ import annotations

import contextlib
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.e2e.test_push_interrupt_e2e import _image

pytestmark = pytest.mark.e2e


def _run(args: list[str], env: dict[str, str], terminal: bool) -> tuple[int, str, str]:
    """Exit code, stdout, stderr of `restybuild ARGS`, its stderr a pty when `terminal`."""
    cmd = [sys.executable, "-m", "restybuild", *args]
    if not terminal:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    with subprocess.Popen(cmd, env=env, stdin=slave, stdout=subprocess.PIPE,
                          stderr=slave) as proc:
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        os.close(master)
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        proc.wait(timeout=60)
    return proc.returncode, out, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("mode", ["terminal", "no-color", "pipe", "quiet"])
def test_push_progress(docker_client: Any, registry: str, tmp_path: Path, mode: str) -> None:
    tag = f"{registry}/rb-e2e/progress-{mode}-{os.getpid()}:1"
    _image(docker_client, tag, f"progress {mode} {tmp_path.name}\n", 300_000)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    if mode == "no-color":
        env["NO_COLOR"] = "1"
    try:
        rc, out, err = _run(["push", tag, *(["-q"] if mode == "quiet" else [])], env,
                            terminal=mode != "pipe")
        assert rc == 0, err
        repo = tag.rpartition(":")[0]
        assert out.startswith(f"{repo}@sha256:") and out.count("\n") == 1  # the result only
        if mode == "quiet":
            assert err.strip() == ""
            return
        if mode == "terminal":  # drawn: escape codes, the cursor hidden and given back
            assert "\x1b[" in err and "\x1b[?25l" in err and "\x1b[?25h" in err
        else:  # plain lines, not one escape code
            assert "\x1b" not in err
            lines = err.replace("\r\n", "\n").splitlines()
            assert lines[0] == f"pushing {tag}"
            assert any(ln.startswith("  layer ") and ln.endswith(" kB") for ln in lines)
            assert lines[-1].startswith(f"pushed {repo}@sha256:") and " sent)" in lines[-1]
        assert "pushed " in err and " kB sent" in err
    finally:
        from docker.errors import ImageNotFound

        with contextlib.suppress(ImageNotFound):
            docker_client.images.remove(tag, noprune=False)
