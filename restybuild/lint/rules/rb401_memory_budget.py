"""RB401 memory budget.

What: master + workers x per-worker memory + every shared dict at its full
size + reload headroom (old workers linger during a reload), against the
memory limit: above it is an error, within 20% of it a warning.
Why: shared dict pages are charged to the pod's cgroup as they fill and there
is no swap: `worker process exited on signal 9`.
Example: `workers 4`, `shared_dict cache 900m` and `limit memory 1Gi`.
Per-worker memory: the `worker-memory` option, else the base recipe's
`worker_memory`, else 64Mi; master: `master-memory` (default 16Mi); set the
options in `[tool.restybuild]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext
from restybuild.units import parse_size

CODE = "RB401"
NAME = "memory-budget"
SEVERITY = "error"
DEFAULT_WORKER = 64 * 1024**2
DEFAULT_MASTER = 16 * 1024**2


def _mi(n: int) -> str:
    return f"{n / 1024**2:.0f}Mi"


def check(ctx: LintContext) -> Iterator[Finding]:
    p = ctx.project
    if p.resources is None or p.resources.limit_memory is None:
        return
    limit = p.resources.limit_memory
    per_worker = (parse_size(str(ctx.options.get("worker-memory", "")))
                  or parse_size(p.flavor.worker_memory) or DEFAULT_WORKER)
    master = parse_size(str(ctx.options.get("master-memory", ""))) or DEFAULT_MASTER
    workers = p.workers.count if p.workers else 1
    if p.workers is None:  # the conf's own count, when it states one (auto is RB301's)
        for d in ctx.find("worker_processes", ()):
            if d.args and d.args[0].isdigit():
                workers = int(d.args[0])
    dicts = sum(d.size for d in p.shared_dicts)
    for d in ctx.find("lua_shared_dict"):
        if len(d.args) >= 2 and d.args[0] not in {x.name for x in p.shared_dicts}:
            dicts += parse_size(d.args[1]) or 0
    headroom = workers * per_worker
    total = master + workers * per_worker + dicts + headroom
    terms = (f"master {_mi(master)} + {workers} workers x {_mi(per_worker)} + shared dicts "
             f"{_mi(dicts)} + reload headroom {_mi(headroom)} = {_mi(total)}")
    span = p.resources.span
    if total > limit:
        yield Finding(f"estimated memory {terms} is above the limit {_mi(limit)}", span,
                      hint="raise the memory limit, or lower workers or dict sizes")
    elif total > 0.8 * limit:
        yield Finding(f"estimated memory {terms} is within 20% of the limit {_mi(limit)}",
                      span, severity="warning")
