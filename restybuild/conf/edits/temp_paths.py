"""nginx's temp folders go to the run folder, also those a legacy conf put elsewhere."""

from __future__ import annotations

from restybuild.conf.edit import Http, Insert, directive, quote
from restybuild.conf.edits.base import RUN_DIR, EditContext, EditList
from restybuild.conf.edits.pid import writable

KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def edits(c: EditContext) -> EditList:
    out: EditList = []
    have = set()
    for d in c.tree.directives:
        kind = d.name.removesuffix("_temp_path")
        if d.name.endswith("_temp_path") and kind in KINDS:
            have.add(kind)
            if d.args and not writable(c, d.args[0]):
                target = f"{RUN_DIR}/{kind}"
                c.notes.append(f"{d.name} {d.args[0]} ({d.span}) moved to {target}: the "
                               "image's root is read-only")
                out.append(c.replace_arg(d, 0, quote(target), None))
    lines = tuple(directive(f"{kind}_temp_path", f"{RUN_DIR}/{kind}") for kind in KINDS
                  if kind not in have)
    if lines:
        out.insert(0, Insert(Http(), lines, None))
    return out
