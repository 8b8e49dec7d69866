"""RB703 metrics port collides with a listen.

What: the port of `metrics prometheus port N` is also in a `listen` of the conf.
Why: nginx serves the scrape on one server only; the app's or the metrics'
requests go to the wrong place, or nginx refuses duplicate listen options.
Example: `metrics prometheus port 80` with `listen 80;`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB703"
NAME = "metrics-port-collision"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    m = ctx.project.metrics
    if m is None:
        return
    for d in ctx.find("listen"):
        if d.args and d.args[0].rsplit(":", 1)[-1] == str(m.port):
            where = ctx.where(d.span)
            yield Finding(f"metrics port {m.port} is also listened on at {where}", m.span,
                          hint="pick a port no server of the conf uses")
