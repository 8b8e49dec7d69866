"""RB101 unresolved require.

What: a `require "x"` in the project's Lua (files and `*_by_lua_block`s) that
no declared lua folder, native, rock, the base image's bundled libraries or
LuaJIT provide.
Why: `module 'x' not found` at run time; in `init_by_lua*` nginx does not even
start, and `nginx -t` does not run that code.
Example: `local bp = require "binary_protocol"` with no `native binary_protocol.so`.
A `require` whose failure is caught (`pcall(require, "x")`, or inside a function passed
to `pcall`) is an optional module: info, not an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from restybuild.lint import Finding, LuaChunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB101"
NAME = "unresolved-require"
SEVERITY = "error"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True


def env(ctx: LintContext) -> Any:
    """What provides each module the code requires, and what would: {name: [who, suggest]}."""
    prov = ctx.providers
    names = sorted({u.name for c in ctx.lua_chunks for u in c.facts.requires if u.name})
    who = {n: prov.who(n) for n in names}
    return {"who": {n: [w, None if w else prov.suggest(n)] for n, w in who.items()},
            "unknown_rocks": list(prov.unknown_rocks)}


def check(ctx: LintContext) -> Iterator[Finding]:
    return check_lua(env(ctx), ctx.lua_chunks)


def check_lua(env: Any, chunks: list[LuaChunk]) -> Iterator[Finding]:
    for chunk in chunks:
        for use in chunk.facts.requires:
            if use.name is None or env["who"][use.name][0] is not None:
                continue
            hint = env["who"][use.name][1]
            severity = None
            if env["unknown_rocks"]:
                severity = "warning"
                hint = (hint + "; " if hint else "") + "the modules of " + ", ".join(
                    env["unknown_rocks"]) + " could not be read offline and may provide it"
            optional = ""
            if use.via == "pcall":
                severity = "info"
                optional = " (optional: its failure is caught with pcall)"
            yield Finding(f'`require "{use.name}"`: no declared lua folder, native, rock or '
                          f"the base image provides this module{optional}", use.span,
                          hint=hint or "declare the folder, native or rock that provides it",
                          severity=severity)
