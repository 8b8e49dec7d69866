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

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB101"
NAME = "unresolved-require"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    prov = ctx.providers
    for chunk in ctx.lua_chunks:
        for use in chunk.facts.requires:
            if use.name is None or prov.who(use.name) is not None:
                continue
            hint = prov.suggest(use.name)
            severity = None
            if prov.unknown_rocks:
                severity = "warning"
                hint = (hint + "; " if hint else "") + "the modules of " + ", ".join(
                    prov.unknown_rocks) + " could not be read offline and may provide it"
            optional = ""
            if use.via == "pcall":
                severity = "info"
                optional = " (optional: its failure is caught with pcall)"
            yield Finding(f'`require "{use.name}"`: no declared lua folder, native, rock or '
                          f"the base image provides this module{optional}", use.span,
                          hint=hint or "declare the folder, native or rock that provides it",
                          severity=severity)
