"""`user`: workers drop to the recipe's unprivileged user when the master runs as root."""

from __future__ import annotations

from restybuild.conf.edit import Insert, Main, directive
from restybuild.conf.edits.base import EditContext, EditList


def edits(c: EditContext) -> EditList:
    if c.everywhere("user", ()):
        return []
    return [Insert(Main(), (directive("user", c.project.flavor.user),), None)]
