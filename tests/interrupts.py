"""SIGINT at random moments of a real `restybuild build`: shared by the e2e test and bench/.

Each trial changes the app's Lua code (so a completed build would move the tag to a new
image), starts `restybuild build` in its own process, sends SIGINT after a random share of
a calibrated build's duration, and records what happened: the exit code, whether the tag
moved, and the containers left on the engine once it settled.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import REPO, write_tree

APP = {
    "Restyfile": "name interrupted\nbase debian-bookworm\nconf conf\nlua lua -> lua\n"
                 "probe readiness http /ready port 18095\n",
    "conf/nginx.conf": "events {}\nhttp {\n  server {\n    listen 18095;\n"
                       "    location / { content_by_lua_block { require('app').run() } }\n"
                       "  }\n}\n",
    "lua/app.lua": "return { run = function() ngx.say('trial 0') end }\n",
}
TAG = "rb-e2e/interrupted:latest"


@dataclass(frozen=True)
class Trial:
    number: int
    moment: float  # seconds after the process started
    signalled: bool  # False: the build had ended before the moment came
    exit_code: int
    tag_moved: bool
    leftover: frozenset[str]  # containers that did not exist before the trial
    stderr: str

    @property
    def before_restybuild(self) -> bool:
        """Python died of the signal in its own start-up, before restybuild's first line
        (the calibrated start-up is a measure, and a loaded machine can be slower)."""
        return (self.signalled and self.stderr.rstrip().endswith("KeyboardInterrupt")
                and f'File "{REPO / "restybuild"}' not in self.stderr)

    @property
    def ok(self) -> bool:
        if not self.signalled:
            return self.exit_code == 0 and not self.leftover
        if self.before_restybuild:  # nothing of restybuild ran: nothing may have changed
            return not self.tag_moved and not self.leftover
        return (self.exit_code == 130 and not self.tag_moved and not self.leftover
                and "Traceback" not in self.stderr
                and self.stderr.rstrip().endswith("restybuild: interrupted"))


def build(root: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "restybuild", "build", str(root / "Restyfile"),
                             "-t", TAG, "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def _has_output(proc: subprocess.Popen[str]) -> bool:
    import select

    assert proc.stdout is not None
    return bool(select.select([proc.stdout], [], [], 0)[0])


def settled(client: Any, before: set[str], timeout: float = 15) -> set[str]:
    """The containers that exist now and did not before, once the daemon has settled."""
    deadline = time.monotonic() + timeout
    extra: set[str] = set()
    while time.monotonic() < deadline:
        extra = {c["Id"] for c in client.api.containers(all=True)} - before
        if not extra:
            break
        time.sleep(0.5)
    return extra


def _startup(env: dict[str, str]) -> float:
    """Seconds until a new interpreter has imported restybuild's interrupt handling."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", "import restybuild.interrupt"], env=env, check=True)
    return time.monotonic() - start


def run_trials(client: Any, root: Path, count: int, seed: int) -> tuple[float, list[Trial]]:
    """The calibrated build duration and `count` interrupted builds of the app in `root`."""
    write_tree(root, APP)
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(root / "cache")}
    duration = 0.0
    for n in range(2):  # time a rebuild after a Lua edit: the kind of build each trial is
        (root / "lua/app.lua").write_text(f"return {{ run = function() ngx.say({n}) end }}\n")
        start = time.monotonic()
        calibrate = build(root, env)
        _out, err = calibrate.communicate(timeout=300)
        duration = time.monotonic() - start
        if calibrate.returncode != 0:
            raise AssertionError(f"the calibration build failed: {err}")
    # before the interpreter runs restybuild's first line no program can handle a signal
    # (Python dies of it): the moments start once it has, as measured here
    startup = max(_startup(env) for _ in range(3))
    rng = random.Random(seed)
    trials: list[Trial] = []
    for number in range(1, count + 1):
        (root / "lua/app.lua").write_text(
            f"return {{ run = function() ngx.say('trial {number}') end }}\n")
        before_tag = client.images.get(TAG).id
        before = {c["Id"] for c in client.api.containers(all=True)}
        moment = startup + rng.uniform(0.02, 0.8) * max(duration - startup, 0.0)
        proc = build(root, env)
        time.sleep(moment)
        # the result line reaches the pipe only once the work is over and late signals are
        # ignored (cli.entry): a signal sent then interrupts nothing
        signalled = proc.poll() is None and not _has_output(proc)
        if signalled:
            proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
        leftover = frozenset(settled(client, before))
        trials.append(Trial(number, moment, signalled, proc.returncode,
                            client.images.get(TAG).id != before_tag, leftover, err))
    client.images.remove(TAG, noprune=False)
    return duration, trials
