"""`conf` and `lua`: folders of the project copied into the image; where each one lands."""

from __future__ import annotations

import posixpath

from restybuild.model import Copy, Native, Rocks
from restybuild.resolve.context import Context
from restybuild.syntax import ConfStmt, LuaStmt, Restyfile


def conf(ctx: Context, rf: Restyfile, prefix: str) -> Copy | None:
    for st in rf.of(ConfStmt):
        dst = ctx.dst_path(st.dst, prefix) if st.dst is not None else \
            posixpath.join(prefix, "conf")
        copy = Copy(ctx.src_path(st.src, want="dir"), dst, st.span)
        if not ctx.tree.is_file(str(ctx.root / copy.src / "nginx.conf")):
            raise ctx.err(f"`{st.src.text}` has no nginx.conf", st.src.span)
        return copy
    return None


def lua(ctx: Context, rf: Restyfile, prefix: str) -> tuple[Copy, ...]:
    return tuple(Copy(ctx.src_path(st.src, want="dir"), ctx.dst_path(st.dst, prefix), st.span)
                 for st in rf.of(LuaStmt))


def check_destinations(ctx: Context, conf: Copy | None, lua: tuple[Copy, ...],
                       natives: tuple[Native, ...], rocks: Rocks | None) -> None:
    """Two declarations may not write the same folder of the image."""
    owners: dict[str, object] = {}
    dests = [(c.dst, c.span) for c in lua]
    if conf is not None:
        dests.append((conf.dst, conf.span))
    if rocks is not None:
        dests.append((rocks.tree, rocks.span))
    dests.sort(key=lambda d: (d[1].line, d[1].col))
    for dst, span in dests:
        if dst in owners:
            raise ctx.err(f"`{dst}` is the destination of two statements; the other is at "
                          f"{owners[dst]}", span)
        owners[dst] = span
    for n in natives:
        if rocks is not None and n.dst == rocks.tree:
            raise ctx.err("a native may not be copied into the rocks tree", n.span)
