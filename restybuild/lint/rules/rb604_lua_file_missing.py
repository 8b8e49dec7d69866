"""RB604 *_by_lua_file names a file the image will not contain.

What: `init_by_lua_file`, `content_by_lua_file`... with a path that no declared
`lua` or `conf` folder puts into the image (relative paths are under the prefix).
Why: nginx fails at start or on the first request: `cannot open ...`.
Example: `init_by_lua_file lua/init.lua;` with `lua src -> app`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LUA_FILE_SUFFIX, LintContext

CODE = "RB604"
NAME = "lua-file-missing"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    lualib = ctx.project.flavor.lualib
    for d in ctx.directives:
        if not d.name.endswith(LUA_FILE_SUFFIX) or not d.args or "$" in d.args[-1]:
            continue
        image = ctx.image_path(d.args[-1])
        if any(image.startswith(lib.rstrip("/") + "/") for lib in lualib):
            continue
        src = ctx.image_to_project(image)
        if src is None or not ctx.source.is_file(str(ctx.root / src)):
            where = f" ({src} does not exist)" if src else ""
            yield Finding(f"`{d.name} {d.args[-1]}`: the image will have no {image}{where}",
                          d.span, hint="declare the folder with `lua SRC -> DST`, or fix the path")
