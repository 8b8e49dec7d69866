"""RB801 os.getenv of a variable nginx strips.

What: `os.getenv("X")` in Lua with no `env X;` in the effective conf (the
Restyfile's `env X=...` adds one).
Why: nginx clears the environment of its processes except TZ and the
variables `env` names: `os.getenv` returns nil.
Example: `os.getenv("REDIS_HOST")` with only `ENV REDIS_HOST` in a Dockerfile.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from restybuild.lint import Finding, LuaChunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB801"
NAME = "getenv-stripped"
SEVERITY = "warning"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True


def env(ctx: LintContext) -> Any:
    """The variables nginx keeps: TZ, the Restyfile's `env`, the conf's `env` lines."""
    kept = {"TZ"} | {e.key for e in ctx.project.env}
    kept |= {d.args[0].split("=", 1)[0] for d in ctx.find("env", ()) if d.args}
    return sorted(kept)


def check(ctx: LintContext) -> Iterator[Finding]:
    return check_lua(env(ctx), ctx.lua_chunks)


def check_lua(env: Any, chunks: list[LuaChunk]) -> Iterator[Finding]:
    kept = set(env)
    for chunk in chunks:
        for use in chunk.facts.getenv:
            if use.name is not None and use.name not in kept:
                yield Finding(f'os.getenv("{use.name}") is nil: nginx strips the environment',
                              use.span,
                              hint=f"add `env {use.name}=VALUE` to the Restyfile, or "
                                   f"`env {use.name};` to the conf's main context")
