"""`native SRC -> DST { search DIR ... }`: a prebuilt shared object and where its libraries are."""

from __future__ import annotations

from restybuild.model import Native
from restybuild.resolve.context import Context
from restybuild.syntax import NativeStmt, Restyfile


def natives(ctx: Context, rf: Restyfile, prefix: str) -> tuple[Native, ...]:
    out = []
    for st in rf.of(NativeStmt):
        src = ctx.src_path(st.src, want="file", missing_hint=(
            "a native is a build output: build it first (the comment on its line may say how)"))
        dst = ctx.dst_path(st.dst, prefix)
        search = tuple(ctx.src_path(d, want="dir") for item in st.search for d in item.dirs)
        out.append(Native(src, dst, search, st.span))
    return tuple(out)
