"""nginx's temp folders go to the run folder unless the conf chose them."""

from __future__ import annotations

from restybuild.conf.edit import Http, Insert, directive
from restybuild.conf.edits.base import RUN_DIR, EditContext, EditList

KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def edits(c: EditContext) -> EditList:
    have = {d.name for d in c.tree.directives if d.ctx[:1] == ("http",)}
    lines = tuple(directive(f"{kind}_temp_path", f"{RUN_DIR}/{kind}") for kind in KINDS
                  if f"{kind}_temp_path" not in have)
    return [Insert(Http(), lines, None)] if lines else []
