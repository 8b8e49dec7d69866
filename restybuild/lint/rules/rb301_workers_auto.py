"""RB301 worker_processes auto in a container.

What: `worker_processes auto` in the conf and no `workers` in the Restyfile.
Why: `auto` counts the node's CPUs, not the pod's CPU limit: a 64-core node
starts 64 workers in a 2-CPU, 1 GiB pod, which is OOM-killed.
Example: `worker_processes auto;` — write `workers cpu` (the CPU limit) instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB301"
NAME = "workers-auto"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    if ctx.project.workers is not None:
        return
    for d in ctx.find("worker_processes", ()):
        if d.args == ["auto"]:
            yield Finding("`worker_processes auto` counts the node's CPUs, not the "
                          "container's CPU limit", d.span,
                          hint="add `workers cpu` (with a CPU limit) or `workers N` to the "
                               "Restyfile")
