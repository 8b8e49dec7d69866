"""`pid`: the pid file goes to the run folder (a tmpfs under a read-only root)."""

from __future__ import annotations

from restybuild.conf.edit import Insert, Main, directive
from restybuild.conf.edits.base import RUN_DIR, EditContext, EditList


def edits(c: EditContext) -> EditList:
    if c.everywhere("pid", ()):
        return []
    return [Insert(Main(), (directive("pid", f"{RUN_DIR}/nginx.pid"),), None)]
