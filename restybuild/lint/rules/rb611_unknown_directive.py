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
A directive the base knows only in other blocks is the same failure (`"lua_shared_dict"
directive is not allowed here`): `lua_shared_dict` in a `stream` block where the base has
the http Lua module and no stream one.
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
        if DATA_BLOCKS.intersection(d.ctx):
            continue
        if facts.known(d.name, loaded):
            found = _misplaced(d.name, d.ctx, facts.contexts(d.name, loaded), facts.version)
            if found is not None:
                yield Finding(found[0], d.span, hint=found[1])
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


#: The block a directive stands in, as nginx's modules name their contexts.
_BLOCKS = {(): "main", ("events",): "event", ("http",): "http_main",
           ("stream",): "stream_main", ("mail",): "mail_main"}
_INNER = {("http", "server"): "http_srv", ("http", "location"): "http_loc",
          ("http", "upstream"): "http_ups", ("http", "limit_except"): "http_lmt",
          ("stream", "server"): "stream_srv", ("stream", "upstream"): "stream_ups",
          ("mail", "server"): "mail_srv"}


def context_of(blocks: tuple[str, ...]) -> str | None:
    """`http_loc`, `stream_srv`... for a directive inside `blocks` (("http", "server")), or
    None where restybuild does not name it."""
    if blocks in _BLOCKS:
        return _BLOCKS[blocks]
    if blocks[-1] == "if" and len(blocks) > 1:
        return {"server": "http_sif", "location": "http_lif"}.get(blocks[-2]) \
            if blocks[0] == "http" else None
    return _INNER.get((blocks[0], blocks[-1]))


def _misplaced(name: str, blocks: tuple[str, ...], allowed: frozenset[str],
               version: str) -> tuple[str, str] | None:
    """(message, hint) when the base knows `name` but not in `blocks`."""
    here = context_of(blocks)
    if here is None or not allowed or "any" in allowed or here in allowed:
        return None
    where = " ".join(blocks) or "the main context"
    subsystems = sorted({c.split("_")[0] for c in allowed if "_" in c})
    hint = (f"the base ({version}) has `{name}` for {' and '.join(subsystems)} only, no "
            f"{blocks[0]} module that defines it: use a base that has one (OpenResty's)"
            if blocks and subsystems and blocks[0] not in subsystems
            else "move it to a block where nginx takes it")
    return (f"`{name}` is not allowed in {where}: the base's nginx and the modules the image "
            f"loads take it elsewhere (nginx -t: \"{name}\" directive is not allowed here)",
            hint)
