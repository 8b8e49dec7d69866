"""`shared_dict`: a `lua_shared_dict` each, unless the conf declares it with the same size."""

from __future__ import annotations

from restybuild.conf.edit import Http, Insert, directive
from restybuild.conf.edits.base import EditContext, EditList
from restybuild.conf.tree import Directive
from restybuild.errors import ConfigError
from restybuild.units import nginx_size, parse_size


def declared(c: EditContext) -> dict[str, Directive]:
    """The http-level `lua_shared_dict`s of the whole include tree, first declaration first."""
    out: dict[str, Directive] = {}
    for d in c.tree.directives:
        if d.name == "lua_shared_dict" and d.ctx[:1] == ("http",) and len(d.args) >= 2:
            out.setdefault(d.args[0], d)
    return out


def edits(c: EditContext) -> EditList:
    have = declared(c)
    out: EditList = []
    for sd in c.project.shared_dicts:
        d = have.get(sd.name)
        if d is None:
            out.append(Insert(Http(), (directive("lua_shared_dict", sd.name,
                                                 nginx_size(sd.size)),), sd.span))
        elif parse_size(d.args[1]) != sd.size:
            raise ConfigError(f"shared dict `{sd.name}` is {sd.size_text} here but "
                              f"{d.args[1]} in the conf at {d.span}", span=sd.span,
                              hint="declare it in one place only, or give both the same size")
    return out
