"""RB702 prometheus.init in init_by_lua.

What: `prometheus.init()` called from `init_by_lua*`.
Why: since 0.20200420 nginx-lua-prometheus must be initialised in
`init_worker_by_lua*`: its per-worker counters need a worker.
Example: `init_by_lua_block { prometheus = require("prometheus").init("prometheus_metrics") }`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from restybuild.lint import Finding, LuaChunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB702"
NAME = "prometheus-init-phase"
SEVERITY = "warning"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True


def env(ctx: LintContext) -> Any:
    return None


def check(ctx: LintContext) -> Iterator[Finding]:
    return check_lua(env(ctx), ctx.lua_chunks)


def check_lua(env: Any, chunks: list[LuaChunk]) -> Iterator[Finding]:
    for chunk in chunks:
        if chunk.phase.startswith("init_by_lua"):
            for use in chunk.facts.prometheus_init:
                yield Finding("prometheus.init() runs in init_by_lua; the library wants "
                              "init_worker_by_lua", use.span,
                              hint="move it to init_worker_by_lua_block")
