"""RB302 more workers than CPUs.

What: `workers N` above the CPU limit (rounded up).
Why: workers beyond the CPUs only compete for them and each costs memory.
Example: `workers 8` with `limit cpu 2`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB302"
NAME = "workers-above-cpu-limit"
SEVERITY = "warning"


def check(ctx: LintContext) -> Iterator[Finding]:
    w, r = ctx.project.workers, ctx.project.resources
    if w is None or r is None or r.limit_cpu is None:
        return
    cpus = max(1, math.ceil(r.limit_cpu / 1000))
    if w.count > cpus:
        yield Finding(f"{w.count} workers for a CPU limit of {r.limit_cpu}m ({cpus} CPU)",
                      w.span, hint="use `workers cpu`")
