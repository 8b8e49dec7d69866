"""RB102 computed require.

What: `require(name)` with a name computed at run time.
Why: lint cannot check that such a module exists; make sure something provides it.
Example: `local drv = require("drivers." .. kind)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from restybuild.lint import Finding, LuaChunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB102"
NAME = "computed-require"
SEVERITY = "info"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True


def env(ctx: LintContext) -> Any:
    return None


def check(ctx: LintContext) -> Iterator[Finding]:
    return check_lua(env(ctx), ctx.lua_chunks)


def check_lua(env: Any, chunks: list[LuaChunk]) -> Iterator[Finding]:
    for chunk in chunks:
        for use in chunk.facts.requires:
            if use.name is None:
                yield Finding("`require` with a computed module name cannot be checked",
                              use.span)
