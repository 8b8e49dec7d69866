"""`conf`, `lua`, `files` and `data`: the folders of the image, and where each one lands.

Two statements may not write the same part of the image: destinations of copied
folders (conf, lua, files) and the rocks tree may not be nested in one another (a
file could come from both); a `data` folder, empty in the image, may not hold a
copied folder's files either.
"""

from __future__ import annotations

import posixpath

from restybuild.errors import Span
from restybuild.model import Copy, DataDir, Native, Rocks
from restybuild.resolve.context import Context
from restybuild.syntax import ConfStmt, DataStmt, FilesStmt, LuaStmt, Restyfile
from restybuild.units import parse_size


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


def files(ctx: Context, rf: Restyfile, prefix: str) -> tuple[Copy, ...]:
    return tuple(Copy(ctx.src_path(st.src, want="dir"), ctx.dst_path(st.dst, prefix), st.span)
                 for st in rf.of(FilesStmt))


def data(ctx: Context, rf: Restyfile, prefix: str) -> tuple[DataDir, ...]:
    out = []
    for st in rf.of(DataStmt):
        size = None
        if st.size is not None:
            size = parse_size(st.size.text)
            if size is None or size < 1024:
                raise ctx.err(f"`{st.size.text}` is not a size for a data folder",
                              st.size.span, hint="for example 64Mi or 1Gi")
        out.append(DataDir(ctx.dst_path(st.path, prefix), size, st.span))
    return tuple(out)


def _inside(a: str, b: str) -> bool:
    """Whether image path `a` is `b` or below it."""
    return a == b or a.startswith(b.rstrip("/") + "/")


def check_destinations(ctx: Context, copies: list[tuple[str, str, Span]],
                       natives: tuple[Native, ...], rocks: Rocks | None,
                       data: tuple[DataDir, ...]) -> None:
    """Two declarations may not write the same part of the image (see the module)."""
    dests = sorted(copies + ([("rocks tree", rocks.tree, rocks.span)] if rocks else []),
                   key=lambda d: (d[2].line, d[2].col))
    for i, (kind, dst, span) in enumerate(dests):
        for other_kind, other, other_span in dests[:i]:
            if dst == other:
                raise ctx.err(f"`{dst}` is the destination of two statements; the other is at "
                              f"{other_span}", span)
            if _inside(dst, other) or _inside(other, dst):
                inner, outer = (dst, other) if _inside(dst, other) else (other, dst)
                raise ctx.err(f"the {kind} destination `{dst}` and the {other_kind} destination "
                              f"`{other}` at {other_span} overlap: {inner} is inside {outer}",
                              span, hint="give each statement a folder of its own in the "
                                         "image (or move the files into one folder)")
        for d in data:
            if _inside(dst, d.path):
                raise ctx.err(f"the {kind} destination `{dst}` is inside the data folder "
                              f"`{d.path}` at {d.span}, which starts empty", span)
    for n in natives:
        if rocks is not None and n.dst == rocks.tree:
            raise ctx.err("a native may not be copied into the rocks tree", n.span)
