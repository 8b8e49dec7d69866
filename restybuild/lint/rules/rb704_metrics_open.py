"""RB704 metrics location open to everyone.

What: a conf location serving `/metrics` (or the declared metrics path) with
no `allow`/`deny` rule.
Why: metrics leak internals (hosts, paths, error rates) to anyone who can reach the port.
Example: `location /metrics { content_by_lua_block { prometheus:collect() } }`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB704"
NAME = "metrics-open"
SEVERITY = "warning"


def check(ctx: LintContext) -> Iterator[Finding]:
    paths = {"/metrics"}
    if ctx.project.metrics is not None:
        paths.add(ctx.project.metrics.path)
    for d in ctx.find("location"):
        if not d.args or d.args[-1] not in paths:
            continue
        if not any(x.name in ("allow", "deny") for x in ctx.children(d)):
            yield Finding(f"`location {' '.join(d.args)}` serves metrics to everyone", d.span,
                          hint="add `allow 10.0.0.0/8; deny all;` (your scraper's network)")
