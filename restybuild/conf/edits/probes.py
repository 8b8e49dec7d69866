"""A `location = PATH` answering 200 for each probe whose server lacks one."""

from __future__ import annotations

from restybuild.conf.edit import BlockEnd, Http, Insert, block, directive
from restybuild.conf.edits.base import EditContext, EditList
from restybuild.conf.tree import ConfTree, Directive


def listen_ports(tree: ConfTree, server: Directive) -> set[int]:
    """The ports a server listens on (80 when it has no `listen`, as nginx does)."""
    ports: set[int] = set()
    listens = [d for d in tree.children(server) if d.name == "listen" and d.args]
    if not listens:
        return {80}
    for d in listens:
        addr = d.args[0]
        if addr.startswith("unix:"):
            continue
        port_text = addr.rsplit(":", 1)[-1] if (":" in addr and not addr.endswith("]")) else addr
        if port_text.isascii() and port_text.isdigit():
            ports.add(int(port_text))
        elif "." in addr or addr.startswith("[") or addr == "*":
            ports.add(80)
    return ports


def has_location(tree: ConfTree, server: Directive, path: str) -> bool:
    return any(d.name == "location" and d.args in (["=", path], [path], ["^~", path])
               for d in tree.children(server))


def edits(c: EditContext) -> EditList:
    out: EditList = []
    servers = c.everywhere("server", ("http",))
    for probe in c.project.probes:
        serving = [s for s in servers if probe.port in listen_ports(c.tree, s)]
        location = block("location", ("=", probe.path), (
            directive("access_log", "off"), directive("default_type", "text/plain"),
            directive("return", "200", "ok\n")))
        if any(has_location(c.tree, s, probe.path) for s in serving):
            continue
        if serving:
            out.append(Insert(BlockEnd(serving[0]), location, probe.span))
        else:
            out.append(Insert(Http(), block("server", (), (
                directive("listen", str(probe.port)), *location)), probe.span))
    return out
