"""RB603 lua_shared_dict declared twice.

What: the same `lua_shared_dict` name twice in one subsystem of the conf.
Why: nginx refuses it: `the shared memory zone "x" is already declared`.
Example: `lua_shared_dict cache 10m;` in nginx.conf and in a vhost file.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import ConfDirective, LintContext

CODE = "RB603"
NAME = "shared-dict-twice"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    seen: dict[tuple[str, str], ConfDirective] = {}
    for d in ctx.find("lua_shared_dict"):
        if not d.args:
            continue
        key = (d.ctx[0] if d.ctx else "", d.args[0])
        if key in seen:
            yield Finding(f"lua_shared_dict `{d.args[0]}` is already declared at "
                          f"{ctx.where(seen[key].span)}", d.span)
        else:
            seen[key] = d
