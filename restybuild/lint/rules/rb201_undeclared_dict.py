"""RB201 undeclared shared dict.

What: `ngx.shared.NAME`, `ngx.shared["NAME"]` (also through an alias such as
`local s = ngx.shared`) or a dict name given to a known library
(`prometheus.init`, `resty.lock:new`, `resty.limit.*.new`) with no
`shared_dict NAME` in the Restyfile and no `lua_shared_dict NAME` in the conf.
Why: `ngx.shared.NAME` is nil: `attempt to index upvalue 'result_dict' (a nil value)`.
Example: `local d = ngx.shared.result_dict` without `shared_dict result_dict 10m`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from restybuild.lint import Finding, LuaChunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB201"
NAME = "undeclared-shared-dict"
SEVERITY = "error"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True


def declared(ctx: LintContext) -> dict[str, set[str]]:
    """subsystem -> declared dict names (the Restyfile's go to http)."""
    out: dict[str, set[str]] = {"http": {d.name for d in ctx.project.shared_dicts},
                                "stream": set()}
    if ctx.project.metrics is not None:
        out["http"].add("prometheus_metrics")
    for d in ctx.directives:
        if d.name == "lua_shared_dict" and d.args and d.ctx[:1] in (("http",), ("stream",)):
            out[d.ctx[0]].add(d.args[0])
    return out


def env(ctx: LintContext) -> Any:
    return {k: sorted(v) for k, v in declared(ctx).items()}


def check(ctx: LintContext) -> Iterator[Finding]:
    return check_lua(env(ctx), ctx.lua_chunks)


def check_lua(env: Any, chunks: list[LuaChunk]) -> Iterator[Finding]:
    have = {k: set(v) for k, v in env.items()}
    for chunk in chunks:
        for use in chunk.facts.dicts:
            if use.name is None:
                continue
            known = have.get(chunk.subsystem, set())
            if chunk.subsystem == "http" and not chunk.phase:
                known = known | have["stream"]  # a file may serve either subsystem
            if use.name not in known:
                via = f" (through {use.via})" if use.via else ""
                hint = (f"declare it in the Restyfile: shared_dict {use.name} 10m"
                        if chunk.subsystem != "stream" else
                        f"declare `lua_shared_dict {use.name} 10m;` in the conf's stream block")
                yield Finding(f"shared dict `{use.name}` is used{via} but never declared",
                              use.span, hint=hint)
