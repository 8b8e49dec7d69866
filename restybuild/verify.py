"""Prove a candidate image before its tag moves: `nginx -t`, then a boot check.

`nginx -t` has not run `init_by_lua*` since lua-nginx-module 0.10.13, so a
missing module passes it. The boot check starts nginx in the candidate (no
network), waits until its workers are up, fails on any `[emerg]`, `[alert]`,
`[crit]` or `[error]` logged while starting, and stops nginx gracefully.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from restybuild.engine import run_once
from restybuild.errors import VerifyFailed
from restybuild.plan import BuildPlan

BAD = re.compile(r"\[(emerg|alert|crit|error)\]")
WORKER = re.compile(r"start worker process \d+")
SETTLE = 0.5  # seconds to let init_worker_by_lua* code run after the last worker starts


@dataclass(frozen=True)
class VerifyReport:
    nginx_t: str
    boot_log: str
    workers: int


def expected_workers(plan: BuildPlan) -> int:
    if plan.workers is not None:
        return plan.workers
    for f in plan.effective.files:
        if f.rel == "nginx.conf":
            m = re.search(r"^\s*worker_processes\s+(\d+)\s*;", f.text, re.M)
            if m:
                return int(m.group(1))
    return 1


def nginx_test(client: Any, image: str, plan: BuildPlan) -> str:
    result = run_once(client, image, [*plan.cmd, "-t"])
    if result.exit_code != 0:
        raise VerifyFailed("`nginx -t` failed in the candidate image",
                           notes=tuple(_interesting(result.output)),
                           hint="fix the nginx configuration; the tag did not move")
    return result.output


def boot_check(client: Any, image: str, plan: BuildPlan, timeout: float = 30) -> tuple[str, int]:
    """Start nginx in `image`, wait for its workers, stop it; raise on errors."""
    want = expected_workers(plan)
    container = client.containers.create(
        image, [*plan.cmd, "-g", "error_log stderr notice;"], network_mode="none", detach=True)
    log = ""
    started = 0
    exited = False
    try:
        container.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.1)
            log = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
            started = len(WORKER.findall(log))
            container.reload()
            if container.status in ("exited", "dead"):
                exited = True
                break
            if started >= want:
                time.sleep(SETTLE)
                break
        log = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        container.reload()
        exited = exited or container.status in ("exited", "dead")
        if not exited:
            container.kill(signal="SIGQUIT")
            try:
                container.wait(timeout=15)
            except Exception:  # the graceful stop took too long
                container.kill()
    finally:
        container.remove(force=True)
    bad = [line for line in log.splitlines() if BAD.search(line)]
    if exited or bad or started < want:
        if exited:
            why = "nginx exited while starting"
        elif bad:
            why = "nginx logged errors while starting"
        else:
            why = f"only {started} of {want} worker(s) started within {timeout:.0f}s"
        raise VerifyFailed(f"boot check failed: {why}",
                           notes=tuple(bad or _interesting(log)),
                           hint="this is what `nginx -t` does not catch (init_by_lua* runs only "
                                "at start); the tag did not move")
    return log, started


def _interesting(output: str) -> list[str]:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    bad = [ln for ln in lines if BAD.search(ln)]
    return (bad or lines)[-15:]


def verify(client: Any, image: str, plan: BuildPlan) -> VerifyReport:
    """Run every check against the candidate `image`."""
    t = nginx_test(client, image, plan)
    log, workers = boot_check(client, image, plan)
    return VerifyReport(t, log, workers)
