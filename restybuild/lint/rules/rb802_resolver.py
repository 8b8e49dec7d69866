"""RB802 cosockets without a resolver.

What: `resty.http`, `resty.redis`, `ngx.socket.tcp`... used while the conf has
no `resolver`.
Why: cosockets resolve host names only through `resolver`; Kubernetes
service names then fail with `no resolver defined to resolve "redis"`.
Example: `httpc:request_uri("http://api.default.svc/")` with no `resolver`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from restybuild.lint import Finding, LuaChunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB802"
NAME = "cosocket-without-resolver"
SEVERITY = "warning"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True


def env(ctx: LintContext) -> Any:
    """Whether the conf has a resolver, and whether the base's nginx knows `local=on`."""
    return {"resolver": bool(ctx.find("resolver")),
            "local": bool(ctx.project.flavor.resolver_local)}


def check(ctx: LintContext) -> Iterator[Finding]:
    return check_lua(env(ctx), ctx.lua_chunks)


def check_lua(env: Any, chunks: list[LuaChunk]) -> Iterator[Finding]:
    if env["resolver"]:
        return
    for chunk in chunks:
        for use in chunk.facts.cosockets[:1]:
            if env["local"]:
                hint = "add `resolver local=on;` to the http block (OpenResty reads the "
                hint += "pod's /etc/resolv.conf then)"
            else:
                hint = ("add `resolver ADDRESS valid=30s;` with the cluster DNS address to the "
                        "http block (this base's nginx has no `local=on`, an OpenResty "
                        "extension)")
            yield Finding(f"{use.name} connects through cosockets but the conf has no "
                          "`resolver`", use.span, hint=hint)
