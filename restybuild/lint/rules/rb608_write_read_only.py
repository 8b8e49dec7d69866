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

from restybuild.conf.effective import RUN_DIR
from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB608"
NAME = "write-read-only"
SEVERITY = "warning"


def check(ctx: LintContext) -> Iterator[Finding]:
    p = ctx.project
    writable = (RUN_DIR, "/dev", *(d.path for d in p.data))
    for chunk in ctx.lua_chunks:
        for use in chunk.facts.writes:
            if use.name is None:
                continue
            path = use.name.replace("$prefix/", p.prefix.rstrip("/") + "/")
            image = posixpath.normpath(posixpath.join("/", path))
            if any(image == w or image.startswith(w.rstrip("/") + "/") for w in writable):
                continue
            folder = posixpath.dirname(image)
            rel = posixpath.relpath(folder, p.prefix) if folder.startswith(p.prefix) else folder
            yield Finding(f"`io.open(..., '{use.via}')` writes {image}, but the image's root "
                          "is read-only there", use.span,
                          hint=f"declare a writable folder in the Restyfile: data {rel}")
