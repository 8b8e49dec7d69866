"""RB602 include matches no file.

What: an `include` of the conf that names a file the project's conf folder
does not hold (a glob that matches nothing is a warning).
Why: nginx fails with `open() ... failed (2: No such file or directory)`.
Example: `include vhosts/*.conf;` with no `vhosts/` folder. An include outside every
declared folder (a file of the base image, or a folder the Restyfile does not copy) is a
warning: restybuild cannot follow it.
"""

from __future__ import annotations

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
    for u in tree.unfollowed:
        d = u.directive
        span = ctx.find_span(d)
        if u.reason == "outside":
            yield Finding(f"`include {d.args[0]}` reads {u.image_pattern}, outside every "
                          "declared folder: restybuild cannot follow it, so the edits and the "
                          "checks do not see it; the base image must have it", span,
                          severity="warning",
                          hint="declare the folder that holds it (`conf`, `lua` or `files`), "
                               "or include the file from the conf folder")
            continue
        is_glob = any(c in d.args[0] for c in "*?[")
        yield Finding(f"`include {d.args[0]}` matches no file in {conf.src}", span,
                      severity="warning" if is_glob else None)
