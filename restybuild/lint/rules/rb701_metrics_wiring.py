"""RB701 metrics without nginx-lua-prometheus.

What: `metrics prometheus` with no `nginx-lua-prometheus` rock declared.
Why: the generated wiring does `require("prometheus")`, which then fails at start.
Example: `metrics prometheus port 9145` and no `rock nginx-lua-prometheus 0.20240525-1`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB701"
NAME = "metrics-wiring"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    m = ctx.project.metrics
    if m is None or ctx.providers.who("prometheus") is not None:
        return
    yield Finding("`metrics prometheus` needs the nginx-lua-prometheus rock", m.span,
                  hint="add `rock nginx-lua-prometheus VERSION` to `rocks`")
