"""RB606 a declared folder holds what the build refuses to copy.

What: a FIFO, socket or device, a symlink that leads out of the project, a broken
symlink or a symlink loop inside a folder the Restyfile copies.
Why: the build copies regular files only and never follows a link out of the project:
`plan` and `build` stop on it (lint reports it where the build would fail, without
hanging on a FIFO).
Example: `lua/app.lua` a symlink to `/home/me/src/app.lua`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.context import walk_folder
from restybuild.errors import ConfigError
from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB606"
NAME = "context-refused"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    p = ctx.project
    folders = [(c.src, c.span) for c in p.lua]
    if p.conf:
        folders.append((p.conf.src, p.conf.span))
    for src, span in folders:
        try:
            walk_folder(ctx.source, ctx.root, src, "x", span)
        except ConfigError as e:
            yield Finding(e.message, e.span or span, hint=e.hint)
