"""RB102 computed require.

What: `require(name)` with a name computed at run time.
Why: lint cannot check that such a module exists; make sure something provides it.
Example: `local drv = require("drivers." .. kind)`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB102"
NAME = "computed-require"
SEVERITY = "info"


def check(ctx: LintContext) -> Iterator[Finding]:
    for chunk in ctx.lua_chunks:
        for use in chunk.facts.requires:
            if use.name is None:
                yield Finding("`require` with a computed module name cannot be checked",
                              use.span)
