"""RB202 shared dict declared but never used.

What: a `shared_dict` in the Restyfile that no Lua code of the project uses.
Why: each dict reserves its full size in every pod's memory budget.
Example: `shared_dict old_cache 100m` left over from a removed feature.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from restybuild.errors import Span
from restybuild.lint import Finding, LuaChunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB202"
NAME = "unused-shared-dict"
SEVERITY = "warning"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True


def env(ctx: LintContext) -> Any:
    """The dicts the Restyfile declares: name and place."""
    return [[d.name, d.span.file, d.span.line, d.span.col, d.span.end_line, d.span.end_col]
            for d in ctx.project.shared_dicts]


def check(ctx: LintContext) -> Iterator[Finding]:
    return check_lua(env(ctx), ctx.lua_chunks)


def check_lua(env: Any, chunks: list[LuaChunk]) -> Iterator[Finding]:
    used = {u.name for c in chunks for u in c.facts.dicts}
    if None in used:
        return  # a computed name may use any of them
    for name, file, line, col, end_line, end_col in env:
        if name not in used:
            yield Finding(f"shared dict `{name}` is declared but no Lua code uses it",
                          Span(file, line, col, end_line, end_col),
                          hint="remove it, or suppress this if a library uses it")
