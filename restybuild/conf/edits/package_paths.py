"""The Lua search paths of the declared folders, natives and rocks tree.

They are merged into the conf's own `lua_package_path` / `lua_package_cpath`
(wherever in the include tree it is set), before its `;;`; a conf that sets
none gets one ending in `;;` (the base's default path).
"""

from __future__ import annotations

import posixpath

from restybuild.conf.edit import Http, Insert, directive, quote
from restybuild.conf.edits.base import EditContext, EditList
from restybuild.model import Project


def wanted(p: Project) -> tuple[list[str], list[str]]:
    """(path entries, cpath entries) the Restyfile's folders need."""
    path: list[str] = []
    cpath: list[str] = []
    for c in p.lua:
        path += [f"{c.dst}/?.lua", f"{c.dst}/?/init.lua"]
    for n in p.natives:
        if f"{n.dst}/?.so" not in cpath:
            cpath.append(f"{n.dst}/?.so")
    if p.rocks is not None:
        share = f"{p.rocks.tree}/share/lua/5.1"
        path += [f"{share}/?.lua", f"{share}/?/init.lua"]
        cpath.append(f"{p.rocks.tree}/lib/lua/5.1/?.so")
    return path, cpath


def merge(current: str, want: list[str], prefix: str) -> str:
    """Add the `want` entries missing from a search path value, before its `;;`."""

    def norm(entry: str) -> str:
        e = entry.replace("${prefix}", prefix + "/").replace("$prefix", prefix + "/")
        return posixpath.normpath(e)

    entries = [e for e in current.split(";") if e]
    have = {norm(e) for e in entries}
    missing = [w for w in want if norm(w) not in have]
    if not missing:
        return current
    out = ";".join(entries + missing)
    return out + (";;" if ";;" in current else "")


def edits(c: EditContext) -> EditList:
    """The declared folders' entries merged in; and a conf's own path that lacks `;;` (the
    base's default path) gets it at the end: without it nginx cannot load `resty.core`
    (lua-nginx-module requires it at start), nor the base's other libraries."""
    p = c.project
    out: EditList = []
    spans = [c.span for c in p.lua] + [n.span for n in p.natives] + (
        [p.rocks.span] if p.rocks else [])
    origin = spans[0] if spans else None
    for name, want in zip(("lua_package_path", "lua_package_cpath"), wanted(p)):
        found = c.everywhere(name, ("http",))
        if not found:
            if want:
                out.append(Insert(Http(), (directive(name, ";".join(want) + ";;"),), origin))
            continue
        d = found[0]
        value = d.args[0] if d.args else ""
        merged = merge(value, want, p.prefix)
        if ";;" not in merged:
            merged = merged.rstrip(";") + ";;"
            c.notes.append(f"{name} at {d.span} has no `;;`: restybuild appends it, so the "
                           "base's own Lua libraries (resty.core) stay reachable")
        if merged != value:
            out.append(c.replace_args(d, quote(merged), origin))
    return out
