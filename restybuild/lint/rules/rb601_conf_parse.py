"""RB601 nginx conf does not parse.

What: the conf does not parse as nginx reads it (unbalanced braces, a missing `;`, a Lua
block lua-nginx-module would not read...).
Why: nginx will refuse it; this finds it before a build.
Example: `location / { return 200;` with no `}`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB601"
NAME = "conf-syntax"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    _ = ctx.conf_tree
    if ctx.conf_error is not None and ctx.conf_error.span is not None:
        yield Finding(ctx.conf_error.message, ctx.conf_error.span)
