"""RB608 Lua writes a file where the image is read-only.

What: `io.open(PATH, "w")` (or `"a"`, `"+"`) with a PATH (literal, or
`ngx.config.prefix() .. "x"`) outside the run folder and every `data` folder.
Why: the image runs with a read-only root (Kubernetes, and restybuild's own
verification): the open fails with `Read-only file system` at run time.
Example: `io.open(ngx.config.prefix() .. "logs/attack.log", "a")` — declare
`data logs` in the Restyfile.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from restybuild.lint import Finding, LuaChunk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.context import LintContext

CODE = "RB608"
NAME = "write-read-only"
SEVERITY = "warning"
#: its findings depend on the Lua code: after a Lua edit, :func:`check_lua` runs alone on
#: :func:`env` as stored (restybuild.lint.incremental)
LUA = True


def env(ctx: LintContext) -> Any:
    """nginx's prefix and the folders the image lets it write."""
    from restybuild.conf.effective import RUN_DIR

    p = ctx.project
    return {"prefix": p.prefix, "writable": [RUN_DIR, "/dev", *(d.path for d in p.data)]}


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
            if any(image == w or image.startswith(w.rstrip("/") + "/") for w in writable):
                continue
            folder = posixpath.dirname(image)
            rel = posixpath.relpath(folder, prefix) if folder.startswith(prefix) else folder
            yield Finding(f"`io.open(..., '{use.via}')` writes {image}, but the image's root "
                          "is read-only there", use.span,
                          hint=f"declare a writable folder in the Restyfile: data {rel}")
