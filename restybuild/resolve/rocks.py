"""`rocks -> TREE { server / rock / system }`: rocks installed in a build stage."""

from __future__ import annotations

import re

from restybuild.errors import Span
from restybuild.model import Rock, Rocks, SystemPackage
from restybuild.resolve.context import Context
from restybuild.syntax import Restyfile, RockItem, RocksStmt, ServerItem, SystemItem, Value

ROCK_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
ROCK_VERSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~]*-[0-9]{1,9}")
#: Debian's and Alpine's package names (lowercase letters, digits, `+ . - _`, two or more
#: characters, an alphanumeric first), and never ending in `-`: apt-get reads `name-` as
#: "remove name". An apt architecture qualifier (`:amd64`) may follow.
PACKAGE_RE = re.compile(r"[a-z0-9][a-z0-9+._-]*[a-z0-9+.](?::[a-z0-9]+)?")
SERVER_URL_RE = re.compile(r"(https?|file)://[^\s'\"`$\\;]+")


def rocks(ctx: Context, rf: Restyfile, prefix: str) -> Rocks | None:
    for st in rf.of(RocksStmt):
        return _rocks(ctx, st, prefix)
    return None


def _rocks(ctx: Context, st: RocksStmt, prefix: str) -> Rocks:
    tree = ctx.dst_path(st.tree, prefix)
    server: str | None = None
    is_url = False
    items: list[Rock] = []
    system: list[SystemPackage] = []
    for item in st.items:
        if isinstance(item, ServerItem):
            if server is not None:
                raise ctx.err("`server` is declared twice in this block", item.span)
            server, is_url = _server(ctx, item.location)
        elif isinstance(item, RockItem):
            items.append(_rock(ctx, item.first, item.second, item.span))
        elif isinstance(item, SystemItem):
            system.append(_system(ctx, item))
    seen: dict[str, Span] = {}
    for r in items:
        key = r.name or r.path or ""
        if key in seen:
            raise ctx.err(f"rock `{key}` is declared twice; the first is at {seen[key]}", r.span)
        seen[key] = r.span
    return Rocks(tree, server, is_url, tuple(items), tuple(system), st.span)


def _server(ctx: Context, location: Value) -> tuple[str, bool]:
    if "://" in location.text:
        if not SERVER_URL_RE.fullmatch(location.text):
            raise ctx.err(f"`{location.text}` is not a server URL restybuild accepts",
                          location.span)
        return location.text, True
    return ctx.src_path(location, want="dir"), False


def _rock(ctx: Context, first: Value, second: Value | None, span: Span) -> Rock:
    if first.text.endswith((".rockspec", ".rock")):
        if second is not None:
            raise ctx.err("a rock given by file takes no version", second.span)
        return Rock(None, None, ctx.src_path(first, want="file"), span)
    if not ROCK_NAME_RE.fullmatch(first.text):
        raise ctx.err(f"`{first.text}` is not a rock name", first.span)
    if second is None:
        raise ctx.err(f"rock `{first.text}` has no version; rocks are pinned", first.span,
                      hint=f"write: rock {first.text} VERSION-REVISION (e.g. 1.0-1)")
    if not ROCK_VERSION_RE.fullmatch(second.text):
        raise ctx.err(f"`{second.text}` is not a rock version", second.span,
                      hint="rock versions carry a revision, e.g. 1.13.1-1")
    return Rock(first.text, second.text, None, span)


def _system(ctx: Context, item: SystemItem) -> SystemPackage:
    for pv in (item.build, item.runtime):
        if pv is not None and not PACKAGE_RE.fullmatch(pv.text):
            hint = ("a name ending in `-` asks apt-get to remove that package"
                    if pv.text.endswith("-") else
                    "Debian and Alpine package names: lowercase letters, digits and + . - _")
            raise ctx.err(f"`{pv.text}` is not a package name", pv.span, hint=hint)
    return SystemPackage(item.build.text, item.runtime.text if item.runtime else None,
                         item.span)
