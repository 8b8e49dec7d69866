"""RB602 include matches no file.

What: an `include` of the conf that names a file the project's conf folder
does not hold (a glob that matches nothing is a warning).
Why: nginx fails with `open() ... failed (2: No such file or directory)`.
Example: `include vhosts/*.conf;` with no `vhosts/` folder. An include outside every
declared folder (a file of the base image, or a folder the Restyfile does not copy) is a
warning: restybuild cannot follow it, unless the base facts say whether the base has it
(no finding when it does, an error when it does not). An include the conf folder lacks but
the base keeps elsewhere (`include mime.types;` where Debian keeps `/etc/nginx/mime.types`)
says where. With no facts of the base (`base openresty ...` before a snapshot), a relative
include of a file nginx's own install puts beside nginx.conf (`mime.types`, `*_params`,
the `koi-*` maps) is a warning: such a base has it in the folder the conf is copied over.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterator

from restybuild.conf.tree import sources
from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB602"
NAME = "include-missing"
SEVERITY = "error"
#: The files nginx's `make install` puts into its conf folder beside nginx.conf: a base
#: image built that way (OpenResty's) has them where a relative include looks.
STOCK = frozenset({"mime.types", "fastcgi_params", "fastcgi.conf", "scgi_params",
                   "uwsgi_params", "koi-utf", "koi-win", "win-utf"})


def check(ctx: LintContext) -> Iterator[Finding]:
    tree, conf = ctx.conf_tree, ctx.project.conf
    if tree is None or conf is None:
        return
    facts = ctx.facts
    base = facts.files if facts is not None else ()
    listed = facts.conf_dir.rstrip("/") + "/" if facts is not None else ""  # what it lists
    for u in tree.unfollowed:
        d = u.directive
        span = ctx.find_span(d)
        is_glob = any(c in d.args[0] for c in "*?[")
        covered = bool(base) and u.image_pattern.startswith(listed)  # the facts can tell
        if covered and fnmatch.filter(base, u.image_pattern):
            continue  # the base has it (a conf folder is copied over the base's: it stays)
        if u.reason == "outside" and covered:
            if not is_glob:
                yield Finding(f"`include {d.args[0]}` reads {u.image_pattern}, which neither a "
                              "declared folder nor the base image has (nginx -t fails)", span,
                              hint=_elsewhere(base, u.image_pattern))
        elif u.reason == "outside":
            yield Finding(f"`include {d.args[0]}` reads {u.image_pattern}, outside every "
                          "declared folder: restybuild cannot follow it, so the edits and the "
                          "checks do not see it; the base image must have it", span,
                          severity="warning",
                          hint="declare the folder that holds it (`conf`, `lua` or `files`), "
                               "or include the file from the conf folder")
        elif not base and posixpath.basename(u.image_pattern) in STOCK and not is_glob \
                and _folder_of(ctx, u.image_pattern) == conf.src:
            yield Finding(f"`include {d.args[0]}` matches no file in {conf.src}: nginx's own "
                          f"install keeps it in its conf folder, and the base image's copy "
                          f"stays under {posixpath.dirname(u.image_pattern)} beside the conf "
                          "folder's; restybuild has no facts of this base to be sure", span,
                          severity="warning",
                          hint="`restybuild base snapshot IMAGE` records what the base has; "
                               "or put a copy in the conf folder")
        else:
            yield Finding(f"`include {d.args[0]}` matches no file in "
                          f"{_folder_of(ctx, u.image_pattern) or conf.src}", span,
                          severity="warning" if is_glob else None,
                          hint=_elsewhere(base, u.image_pattern) if base else None)


def _elsewhere(base: tuple[str, ...], image: str) -> str | None:
    """Where the base keeps a file of the same name, as a hint."""
    name = posixpath.basename(image)
    there = [f for f in base if posixpath.basename(f) == name]
    if not there:
        return None
    return (f"the base keeps it at {there[0]}: include that path, or put a copy in the "
            "conf folder")


def _folder_of(ctx: LintContext, image: str) -> str | None:
    """The declared folder (its project path) the image path `image` is in, if any."""
    return next((src for dst, src in sources(ctx.project)
                 if image.startswith(dst.rstrip("/") + "/")), None)
