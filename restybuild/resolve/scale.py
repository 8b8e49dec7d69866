"""`scale MIN..MAX cpu PERCENT`: how many replicas `restybuild k8s` lets the autoscaler run.

The HorizontalPodAutoscaler measures a pod's CPU use as a percentage of its CPU request,
so the statement needs `resources { request cpu ... }`; without one the autoscaler reports
`missing request for cpu` and never scales. MIN is at least 1 (scaling to zero is an alpha
feature of Kubernetes) and at most MAX.
"""

from __future__ import annotations

import re

from restybuild.model import Resources, Scale
from restybuild.resolve.context import Context
from restybuild.syntax import Restyfile, ScaleStmt
from restybuild.units import parse_int

RANGE_RE = re.compile(r"([0-9]+)\.\.([0-9]+)")
MAX_REPLICAS = 1000
MAX_PERCENT = 1000  # above 100 when the limit is above the request
METRICS = ("cpu",)
USAGE = "scale 2..10 cpu 70"


def scale(ctx: Context, rf: Restyfile, res: Resources | None) -> Scale | None:
    for st in rf.of(ScaleStmt):
        return _scale(ctx, st, res)
    return None


def _replicas(ctx: Context, st: ScaleStmt) -> tuple[int, int]:
    val = st.replicas
    m = RANGE_RE.fullmatch(val.text)
    if m is None:
        raise ctx.err(f"`{val.text}` is not a replica range", val.span,
                      hint=f"write MIN..MAX, for example: {USAGE}")
    low = parse_int(m.group(1), 1, MAX_REPLICAS)
    high = parse_int(m.group(2), 1, MAX_REPLICAS)
    if low is None or high is None:
        raise ctx.err(f"`{val.text}`: replica counts go from 1 to {MAX_REPLICAS}", val.span,
                      hint="MIN is at least 1: Kubernetes does not scale a Deployment to zero")
    if low > high:
        raise ctx.err(f"`{val.text}`: MIN ({low}) is above MAX ({high})", val.span,
                      hint=f"write {high}..{low}")
    return low, high


def _scale(ctx: Context, st: ScaleStmt, res: Resources | None) -> Scale:
    low, high = _replicas(ctx, st)
    if st.metric.text not in METRICS:
        raise ctx.err(f"`scale` follows CPU use, not `{st.metric.text}`", st.metric.span,
                      hint="restybuild scales on: " + ", ".join(METRICS) + f" ({USAGE})")
    target = st.target.text.removesuffix("%")
    percent = parse_int(target, 1, MAX_PERCENT)
    if percent is None:
        raise ctx.err(f"`{st.target.text}` is not a CPU target", st.target.span,
                      hint=f"a percentage of the CPU request from 1 to {MAX_PERCENT}, "
                           "for example 70")
    if res is None or res.request_cpu is None:
        raise ctx.err("`scale ... cpu` needs a CPU request: the autoscaler measures CPU use "
                      "as a percentage of it", st.span,
                      hint="add: resources { request cpu 500m memory 256Mi }" if res is None
                      else f"add `request cpu 500m` to the `resources` block at {res.span}")
    return Scale(low, high, percent, st.span)
