"""`metrics prometheus`: nginx-lua-prometheus's dict, its init in init_worker, a scrape server."""

from __future__ import annotations

from restybuild.conf.edit import Http, Insert, LuaStart, block, directive
from restybuild.conf.edits.base import EditContext, EditList
from restybuild.conf.edits.shared_dicts import declared
from restybuild.errors import ConfigError

DICT = "prometheus_metrics"


def edits(c: EditContext) -> EditList:
    m = c.project.metrics
    if m is None:
        return []
    out: EditList = []
    if DICT not in declared(c):
        out.append(Insert(Http(), (directive("lua_shared_dict", DICT, "10m"),), m.span))
    init = f'prometheus = require("prometheus").init("{DICT}")'
    workers = [d for d in c.tree.directives
               if d.name.startswith("init_worker_by_lua") and d.ctx == ("http",)]
    if not workers:
        out.append(Insert(Http(), (f"init_worker_by_lua_block {{ {init} }}",), m.span))
    else:
        d = workers[0]
        if d.name != "init_worker_by_lua_block" or d.node.lua is None:
            raise ConfigError(
                f"`metrics prometheus` needs `{init}` at the start of init_worker, but the "
                f"conf uses {d.name} at {d.span}", span=m.span,
                hint="add that line to the init_worker file, or use init_worker_by_lua_block")
        if "prometheus" not in d.node.lua.text:
            out.append(Insert(LuaStart(d), (init,), m.span))
    out.append(Insert(Http(), block("server", (), (
        directive("listen", str(m.port)), directive("access_log", "off"),
        *block("location", ("=", m.path), ("content_by_lua_block { prometheus:collect() }",)),
    )), m.span))
    return out
