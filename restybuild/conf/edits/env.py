"""`env NAME;` for each `env` of the Restyfile: nginx clears its workers' environment."""

from __future__ import annotations

from restybuild.conf.edit import Insert, Main, directive
from restybuild.conf.edits.base import EditContext, EditList


def edits(c: EditContext) -> EditList:
    have = {d.args[0].split("=", 1)[0] for d in c.everywhere("env", ()) if d.args}
    return [Insert(Main(), (directive("env", e.key),), e.span)
            for e in c.project.env if e.key not in have]
