"""RB611 directive the base's nginx does not know.

What: a directive that neither the base's nginx nor a dynamic module the image loads
defines: `echo` or `more_set_headers` on a base without those modules, a directive of a
newer lua-nginx-module, an OpenResty-only directive on a plain nginx. Every one is
reported at once, from the base facts (`restybuild base snapshot`); when the base's
distribution packages the module (the recipe's [modules]), the hint names the `module`
line that brings it.
Why: `nginx -t` stops at the first with `unknown directive "echo"`; the next build
finds the next one.
Example: `more_set_headers "Server: app";` on `base debian-bookworm`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB611"
NAME = "unknown-directive"
SEVERITY = "error"

#: Blocks whose lines are data, not directives (`types { text/html html; }`).
DATA_BLOCKS = frozenset({"types", "map", "geo", "split_clients", "charset_map", "match"})


def check(ctx: LintContext) -> Iterator[Finding]:
    facts = ctx.facts
    if facts is None or not facts.directives:
        return
    loaded = ctx.loaded_modules  # a load_module of a file the image lacks is RB613's
    offered = {m.file: m for m in ctx.project.flavor.modules if m.file}
    for d in ctx.directives:
        if DATA_BLOCKS.intersection(d.ctx) or facts.known(d.name, loaded):
            continue
        providers = facts.providers(d.name)
        if providers and providers[0] in offered:
            module = offered[providers[0]]
            hint = (f"add `module {module.name}` to the Restyfile: it brings "
                    f"{posixpath.basename(module.file)} ({module.package}) and its "
                    "`load_module` line")
        elif providers:
            hint = (f"the base has it in {posixpath.basename(providers[0])}: add "
                    f"`load_module {providers[0]};` at the top of the conf")
        else:
            hint = (f"no module of the base ({facts.version}) defines it: use a base that "
                    "has the module, or drop the directive")
        yield Finding(f"unknown directive `{d.name}`: the base's nginx and the modules the "
                      "image loads do not define it (nginx -t fails)", d.span, hint=hint)
