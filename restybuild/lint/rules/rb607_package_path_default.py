"""RB607 a `lua_package_path` (or cpath) without `;;`.

What: the conf sets `lua_package_path` or `lua_package_cpath` with no `;;`, the
default search path of the base.
Why: without it lua-nginx-module cannot find `resty.core`, which it loads at start
(`failed to load the 'resty.core' module`), nor the base's other libraries;
restybuild appends `;;` in the effective conf, so the build works, but the conf
does not say what it means.
Example: `lua_package_path "/opt/waf/?.lua";` (write `"/opt/waf/?.lua;;"`).
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB607"
NAME = "package-path-without-default"
SEVERITY = "info"


def check(ctx: LintContext) -> Iterator[Finding]:
    for name in ("lua_package_path", "lua_package_cpath"):
        for d in ctx.find(name, ("http",))[:1]:
            if d.args and ";;" not in d.args[0]:
                yield Finding(f"`{name}` has no `;;` (the base's default path): restybuild "
                              "appends it, so resty.core and the base's libraries stay "
                              "reachable", d.span,
                              hint=f'write it yourself: {name} "{d.args[0].rstrip(";")};;";')
