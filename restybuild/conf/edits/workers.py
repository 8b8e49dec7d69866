"""`workers`: `worker_processes` follows the container's CPU limit, never the node's CPUs."""

from __future__ import annotations

from restybuild.conf.edit import Insert, Main, directive
from restybuild.conf.edits.base import EditContext, EditList
from restybuild.errors import ConfigError


def edits(c: EditContext) -> EditList:
    w = c.project.workers
    if w is None:
        return []
    want = str(w.count)
    found = c.everywhere("worker_processes", ())
    if not found:
        return [Insert(Main(), (directive("worker_processes", want),), w.span)]
    out: EditList = []
    for d in found:
        have = d.args[0] if d.args else ""
        if have == "auto":
            c.notes.append(f"worker_processes auto replaced by {want} ({d.span}; Restyfile "
                           f"{w.span})")
            out.append(c.replace_args(d, want, w.span))
        elif have != want:
            raise ConfigError(
                f"`workers {want}` conflicts with `worker_processes {have}` at {d.span}",
                span=w.span, hint="remove one of them; the Restyfile's value is the one that "
                                  "follows the container's CPU limit")
    return out
