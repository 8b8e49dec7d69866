"""`load_module` lines the base recipe needs (Debian's nginx loads lua-nginx-module so), then
those of the Restyfile's `module` lines (after the recipe's: set-misc needs the NDK)."""

from __future__ import annotations

import posixpath

from restybuild.conf.edit import Insert, Main, directive
from restybuild.conf.edits.base import EditContext, EditList


def edits(c: EditContext) -> EditList:
    have = {posixpath.basename(d.args[0]) for d in c.everywhere("load_module", ()) if d.args}
    wanted = (*c.project.flavor.load_modules, *(m.file for m in c.project.modules if m.file))
    return [Insert(Main(), (directive("load_module", m),), None)
            for m in wanted if posixpath.basename(m) not in have]
