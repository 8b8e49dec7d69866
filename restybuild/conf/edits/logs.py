"""Logs go to the container's stdout and stderr; file logs are moved there too, unless they
are in a declared `data` folder (a file log the user wants)."""

from __future__ import annotations

from restybuild.conf.edit import Http, Insert, Main, directive
from restybuild.conf.edits.base import EditContext, EditList
from restybuild.conf.edits.pid import writable

SPECIAL = ("off", "stderr")
PREFIXES = ("syslog:", "memory:", "/dev/")


def edits(c: EditContext) -> EditList:
    out: EditList = []
    if not c.everywhere("error_log", ()):
        out.append(Insert(Main(), (directive("error_log", "stderr"),), None))
    if not c.everywhere("access_log", ("http",)):  # nginx's compiled-in default is a file
        out.append(Insert(Http(), (directive("access_log", "/dev/stdout"),), None))
    for name, target in (("error_log", "stderr"), ("access_log", "/dev/stdout")):
        for d in c.everywhere(name):
            if d.args and d.args[0] not in SPECIAL and not d.args[0].startswith(PREFIXES) \
                    and not writable(c, d.args[0]):
                c.notes.append(f"{name} {d.args[0]} ({d.span}) goes to {target}: the image's "
                               "root is read-only (declare a `data` folder for a file log)")
                out.append(c.replace_arg(d, 0, target, None))
    return out
