"""RB608 Lua writes a file where the image is read-only.

What: `io.open(PATH, "w")` (or `"a"`, `"+"`) with a PATH (literal, or
`ngx.config.prefix() .. "x"`) outside the run folder and every `data` folder.
Why: the image runs with a read-only root (Kubernetes, and restybuild's own
verification): the open fails with `Read-only file system` at run time.
Example: `io.open(ngx.config.prefix() .. "logs/attack.log", "a")` — declare
`data logs` in the Restyfile.
A warning, as the open fails when the code runs, except where it runs as nginx starts or
stops and the failure raises: at the top of an `init_by_lua*`, `init_worker_by_lua*` or
`exit_worker_by_lua*` chunk, an open whose nil result is used untested
(`assert(io.open(...))`, `io.open(...):write()`, `local f = io.open(...)` then `f:write`
with no `if f`): nginx does not start, or logs the error the verification fails on.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from restybuild.lint import Finding, LuaChunk
from restybuild.lint.luascan import RAISES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB608"
NAME = "write-read-only"
SEVERITY = "warning"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True
#: The phases that run as nginx starts or stops, with the verification watching.
AT_START = ("init_by_lua", "init_worker_by_lua", "exit_worker_by_lua")


def env(ctx: LintContext) -> Any:
    """nginx's prefix and the folders the image lets it write."""
    from restybuild.conf.effective import RUN_DIR
    from restybuild.conf.tree import sources

    p = ctx.project
    copied = [dst for dst, _src in sources(p)]
    return {"prefix": p.prefix, "writable": [RUN_DIR, "/dev", *(d.path for d in p.data)],
            "copied": copied}


def check(ctx: LintContext) -> Iterator[Finding]:
    return check_lua(env(ctx), ctx.lua_chunks)


def check_lua(env: Any, chunks: list[LuaChunk]) -> Iterator[Finding]:
    prefix, writable = env["prefix"], env["writable"]
    for chunk in chunks:
        for use in chunk.facts.writes:
            if use.name is None:
                continue
            path = use.name.replace("$prefix/", prefix.rstrip("/") + "/")
            image = posixpath.normpath(posixpath.join("/", path))
            if any(_inside(image, w) for w in writable):
                continue
            folder = posixpath.dirname(image)
            rel = posixpath.relpath(folder, prefix) if folder.startswith(prefix) else folder
            hint = f"declare a writable folder in the Restyfile: data {rel}"
            if any(_inside(folder, c) for c in env.get("copied", ())):
                hint = (f"{folder} holds files the Restyfile copies (a `data` folder there "
                        "would start empty and hide them): write into a folder of its own, "
                        'e.g. `data state` and ngx.config.prefix() .. "state/..."')
            mode, _, how = use.via.partition(" ")
            fatal = how == RAISES and chunk.phase.startswith(AT_START)
            when = "a worker exits" if chunk.phase.startswith("exit_") else "nginx starts"
            yield Finding(f"`io.open(..., '{mode}')` writes {image}, but the image's root "
                          "is read-only there" + (f": the open fails and {chunk.phase} "
                                                  f"raises as {when}" if fatal else ""),
                          use.span, severity="error" if fatal else None, hint=hint)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
