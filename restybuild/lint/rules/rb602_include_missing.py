"""RB602 include matches no file.

What: an `include` of the conf that names a file the project's conf folder
does not hold (a glob that matches nothing is a warning).
Why: nginx fails with `open() ... failed (2: No such file or directory)`.
Example: `include vhosts/*.conf;` with no `vhosts/` folder.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB602"
NAME = "include-missing"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    tree, conf = ctx.conf_tree, ctx.project.conf
    if tree is None or conf is None:
        return
    for d in ctx.find("include"):
        if not d.args:
            continue
        rel = tree.map_include(d.args[0])
        if rel is None:
            continue  # a file of the base image
        matches = glob.glob(str(ctx.root / conf.src / rel))
        if matches:
            continue
        is_glob = any(c in d.args[0] for c in "*?[")
        yield Finding(f"`include {d.args[0]}` matches no file in {conf.src}", d.span,
                      severity="warning" if is_glob else None)
