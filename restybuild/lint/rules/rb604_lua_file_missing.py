"""RB604 *_by_lua_file names a file the image will not contain.

What: `init_by_lua_file`, `content_by_lua_file`... with a path that no declared
`lua` or `conf` folder puts into the image (relative paths are under the prefix).
Why: nginx opens the file when the phase first runs: `init_by_lua_file` and
`init_worker_by_lua_file` as it starts (it does not start: an error), the others
on a request (`cannot open ...`, a 500). A request phase is an error only where the
verification sends a request: a `probe` whose request nginx gives to a location the
directive applies to (it, a location around it, its server or http block, unless a
block nearer the location sets the same directive); elsewhere a warning.
Example: `init_by_lua_file lua/init.lua;` with `lua src -> app`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.conf.tree import Directive
from restybuild.lint import Finding
from restybuild.lint.context import LUA_FILE_SUFFIX, LintContext

CODE = "RB604"
NAME = "lua-file-missing"
SEVERITY = "error"
#: The phases nginx runs as it starts, before any request.
AT_START = ("init_by_lua_file", "init_worker_by_lua_file")


def check(ctx: LintContext) -> Iterator[Finding]:
    lualib = ctx.project.flavor.lualib
    probed: dict[Directive, str] | None = None
    for d in ctx.directives:
        if not d.name.endswith(LUA_FILE_SUFFIX) or not d.args or "$" in d.args[-1]:
            continue
        image = ctx.image_path(d.args[-1])
        if any(image.startswith(lib.rstrip("/") + "/") for lib in lualib):
            continue
        src = ctx.image_to_project(image)
        if src is not None and ctx.source.is_file(str(ctx.root / src)):
            continue
        where = f" ({src} does not exist)" if src else ""
        message = f"`{d.name} {d.args[-1]}`: the image will have no {image}{where}"
        hint = "declare the folder with `lua SRC -> DST`, or fix the path"
        if d.name in AT_START:
            yield Finding(message + ": nginx does not start", d.span, hint=hint)
            continue
        if probed is None:
            probed = probed_directives(ctx)
        probe = probed.get(d.directive)
        if probe is not None:
            yield Finding(f"{message}: {probe} gets a 500", d.span, hint=hint)
        else:
            yield Finding(f"{message}: requests it serves get a 500", d.span, hint=hint,
                          severity="warning")


def probed_directives(ctx: LintContext) -> dict[Directive, str]:
    """The conf's `*_by_lua_file` directives that run on a probe's request in the
    verification (as :mod:`restybuild.conf.edits.probes` sends it), with that probe."""
    from restybuild.conf.locations import find_location
    from restybuild.conf.servers import PROBE_ADDR, default_server

    tree = ctx.conf_tree
    out: dict[Directive, str] = {}
    if tree is None:
        return out
    for probe in ctx.project.probes:
        server = default_server(tree, probe.port, None, PROBE_ADDR, False)
        match = find_location(tree, server, probe.path) if server is not None else None
        if match is None or match.uncertain or (match.catch_all and match.proxies) \
                or match.server_return is not None:
            continue  # a stub answers it, nginx answers before the location, or unknown
        what = f"the {probe.kind} probe GET {probe.path}"
        seen: set[str] = set()
        block: Directive | None = match.location
        while block is not None:  # from the location out: the nearest setting wins
            for c in tree.children(block):
                if c.name.endswith(LUA_FILE_SUFFIX) and c.name not in seen:
                    out.setdefault(c, what)
            seen |= {c.name for c in tree.children(block)}
            block = block.parent  # up to the http block
    return out
