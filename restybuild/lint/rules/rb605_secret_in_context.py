"""RB605 secret or VCS file in a declared folder.

What: `.git`, `.env`, private keys and the like inside a folder the Restyfile copies.
Why: restybuild never copies them into the image, but their presence there
usually means the folder is not what it should be (or a secret is one
rename away from shipping).
Example: `conf/.env` or `lua/id_rsa`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from restybuild.context import excluded, kept_out
from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB605"
NAME = "secret-in-folder"
SEVERITY = "warning"


def check(ctx: LintContext) -> Iterator[Finding]:
    p = ctx.project
    folders = [(c.src, c.span) for c in p.lua]
    if p.conf:
        folders.append((p.conf.src, p.conf.span))
    for src, span in folders:
        for dirpath, dirnames, filenames in ctx.source.walk(str(ctx.root / src)):
            for name in sorted(dirnames + filenames):
                is_dir = name in dirnames
                why = kept_out(os.path.join(dirpath, name), is_dir, ctx.source)
                if why is not None and why != "editor leftovers" and name != "__pycache__":
                    rel = ctx.rel(Path(dirpath) / name)
                    yield Finding(f"{rel} is inside a declared folder; it is kept out of the "
                                  f"image ({why})", span,
                                  hint="move it out of the project's folders")
            dirnames[:] = [d for d in dirnames if not excluded(d, True)]
