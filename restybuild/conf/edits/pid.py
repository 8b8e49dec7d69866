"""`pid`: the pid file goes to the run folder (a tmpfs under a read-only root).

A legacy conf's own `pid logs/nginx.pid;` would crash the pod (`open() ... failed (30:
Read-only file system)`): it is moved to the run folder, with a note naming the line.
"""

from __future__ import annotations

from restybuild.conf.edit import Insert, Main, directive, quote
from restybuild.conf.edits.base import RUN_DIR, EditContext, EditList

PID = f"{RUN_DIR}/nginx.pid"


def writable(c: EditContext, path: str) -> bool:
    """Whether nginx may write `path` in the running image: below the run folder or a
    declared `data` folder."""
    image = c.tree.image_path(path)
    return image.startswith("/dev/") or any(
        image == d or image.startswith(d.rstrip("/") + "/")
        for d in (RUN_DIR, *(x.path for x in c.project.data)))


def edits(c: EditContext) -> EditList:
    found = c.everywhere("pid", ())
    if not found:
        return [Insert(Main(), (directive("pid", PID),), None)]
    out: EditList = []
    for d in found:
        if d.args and not writable(c, d.args[0]):
            c.notes.append(f"pid {d.args[0]} ({d.span}) moved to {PID}: the image's root is "
                           "read-only; its run folder is the one place nginx writes")
            out.append(c.replace_arg(d, 0, quote(PID), None))
    return out


