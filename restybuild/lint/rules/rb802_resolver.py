"""RB802 cosockets without a resolver.

What: `resty.http`, `resty.redis`, `ngx.socket.tcp`... used while the conf has
no `resolver`.
Why: cosockets resolve host names only through `resolver`; Kubernetes
service names then fail with `no resolver defined to resolve "redis"`.
Example: `httpc:request_uri("http://api.default.svc/")` with no `resolver`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB802"
NAME = "cosocket-without-resolver"
SEVERITY = "warning"


def check(ctx: LintContext) -> Iterator[Finding]:
    if ctx.find("resolver"):
        return
    for chunk in ctx.lua_chunks:
        for use in chunk.facts.cosockets[:1]:
            if ctx.project.flavor.resolver_local:
                hint = "add `resolver local=on;` to the http block (OpenResty reads the "
                hint += "pod's /etc/resolv.conf then)"
            else:
                hint = ("add `resolver ADDRESS valid=30s;` with the cluster DNS address to the "
                        "http block (this base's nginx has no `local=on`, an OpenResty "
                        "extension)")
            yield Finding(f"{use.name} connects through cosockets but the conf has no "
                          "`resolver`", use.span, hint=hint)
