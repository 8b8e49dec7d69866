"""`daemon off`: the container's main process is nginx's master."""

from __future__ import annotations

from restybuild.conf.edit import Insert, Main, directive
from restybuild.conf.edits.base import EditContext, EditList


def edits(c: EditContext) -> EditList:
    found = c.everywhere("daemon", ())
    if not found:
        return [Insert(Main(), (directive("daemon", "off"),), None)]
    return [c.replace_args(d, "off", None) for d in found if d.args != ["off"]]
