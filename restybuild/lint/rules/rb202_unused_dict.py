"""RB202 shared dict declared but never used.

What: a `shared_dict` in the Restyfile that no Lua code of the project uses.
Why: each dict reserves its full size in every pod's memory budget.
Example: `shared_dict old_cache 100m` left over from a removed feature.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB202"
NAME = "unused-shared-dict"
SEVERITY = "warning"


def check(ctx: LintContext) -> Iterator[Finding]:
    used = {u.name for c in ctx.lua_chunks for u in c.facts.dicts}
    if None in used:
        return  # a computed name may use any of them
    for d in ctx.project.shared_dicts:
        if d.name not in used:
            yield Finding(f"shared dict `{d.name}` is declared but no Lua code uses it",
                          d.span, hint="remove it, or suppress this if a library uses it")
