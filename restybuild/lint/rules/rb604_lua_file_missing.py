"""RB604 *_by_lua_file names a file the image will not contain.

What: `init_by_lua_file`, `content_by_lua_file`... with a path that no declared
`lua` or `conf` folder puts into the image (relative paths are under the prefix).
Why: nginx opens the file when the phase first runs. `init_by_lua_file` and
`init_worker_by_lua_file` run as nginx starts (it does not start), and
`exit_worker_by_lua_file` as a worker exits (the verification stops nginx and
reads its log): errors. A request phase (`set`, `server_rewrite`, `rewrite`,
`access`, `content`, `header_filter`, `body_filter`, `log`) fails the request (a
500): an error where the verification sends one, a `probe` whose request nginx
gives to a location the directive applies to (it, a location around it, its server
or http block, unless a block nearer the location sets the same directive); else a
warning, as for the phases a probe never runs (TLS, balancer).
Example: `init_by_lua_file lua/init.lua;` with `lua src -> app`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.conf.tree import Directive
from restybuild.lint import Finding
from restybuild.lint.context import LUA_FILE_SUFFIX, LintContext, lua_file

CODE = "RB604"
NAME = "lua-file-missing"
SEVERITY = "error"
#: The phases nginx runs as it starts and stops, with no request: what they say.
AT_START = {"init_by_lua_file": "nginx does not start",
            "init_worker_by_lua_file": "nginx does not start",
            "exit_worker_by_lua_file": "each worker logs an error as it exits"}
#: The phases of a plain HTTP request (a probe's): what a probe's request runs.
REQUEST = frozenset(f"{phase}_by_lua_file" for phase in (
    "set", "server_rewrite", "rewrite", "access", "content", "header_filter", "body_filter",
    "log"))


def check(ctx: LintContext) -> Iterator[Finding]:
    lualib = ctx.project.flavor.lualib
    probed: dict[Directive, str] | None = None
    for d in ctx.directives:
        path = lua_file(d) if d.name.endswith(LUA_FILE_SUFFIX) else None
        if path is None or "$" in path:
            continue
        image = ctx.image_path(path)
        if any(image.startswith(lib.rstrip("/") + "/") for lib in lualib):
            continue
        src = ctx.image_to_project(image)
        if src is not None and ctx.source.is_file(str(ctx.root / src)):
            continue
        where = f" ({src} does not exist)" if src else ""
        message = f"`{d.name} {path}`: the image will have no {image}{where}"
        hint = "declare the folder with `lua SRC -> DST`, or fix the path"
        if d.name in AT_START:
            yield Finding(f"{message}: {AT_START[d.name]}", d.span, hint=hint)
            continue
        if probed is None:
            probed = probed_directives(ctx)
        probe = probed.get(d.directive)
        if probe is not None:
            yield Finding(f"{message}: {probe} gets a 500", d.span, hint=hint)
        else:
            fails = ("requests it serves get a 500" if d.name in REQUEST
                     else "the connections that run it fail")
            yield Finding(f"{message}: {fails}", d.span, hint=hint, severity="warning")


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
        seen: set[str] = set()  # phases set nearer the location (a _file or a _block)
        block: Directive | None = match.location
        while block is not None:  # from the location out: the nearest setting wins
            for c in tree.children(block):
                if c.name in REQUEST and _phase(c.name) not in seen:
                    out.setdefault(c, what)
            seen |= {_phase(c.name) for c in tree.children(block)}
            block = block.parent  # up to the http block
    return out


def _phase(name: str) -> str:
    """`access` of access_by_lua_file, _block and _by_lua: one handler, the nearest wins."""
    return name.split("_by_lua", 1)[0]
