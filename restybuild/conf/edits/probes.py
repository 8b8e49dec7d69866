"""A `location = PATH` answering 200 for each probe nothing of the app answers.

The probe should test the app: when a location of the server that takes the probe's
request already matches its path (as nginx picks locations: exact, prefix, regex; see
:mod:`restybuild.conf.locations`), no stub is added and a note says which location serves
it. A stub is added where nothing matches, or where only a catch-all that passes the
request to another service matches (the probe would test the upstream, not this pod),
with a note. The server is the one the verification's request reaches: on the probe's
port at 127.0.0.1, nginx running as a non-root user (a server with no `listen` is on
8000). Where that server listens on loopback only, the kubelet (which connects to the pod's
address) reaches another one: lint warns about it.
"""

from __future__ import annotations

from restybuild.conf.edit import BlockEnd, Http, Insert, block, directive
from restybuild.conf.edits.base import EditContext, EditList
from restybuild.conf.locations import find_location
from restybuild.conf.servers import PROBE_ADDR, default_server
from restybuild.errors import Span


def stub(path: str) -> tuple[str, ...]:
    return block("location", ("=", path), (
        directive("access_log", "off"), directive("default_type", "text/plain"),
        directive("return", "200", "ok\n")))


def serve(c: EditContext, port: int, path: str, what: str, origin: Span,
          lines: tuple[str, ...]) -> EditList:
    """Add `lines` (a stub location) for `what` on `port` unless the app answers `path`."""
    server = default_server(c.tree, port, None, PROBE_ADDR, False)
    if server is None:
        return [Insert(Http(), block("server", (), (directive("listen", str(port)), *lines)),
                       origin)]
    match = find_location(c.tree, server, path)
    if match is not None and not (match.catch_all and match.proxies):
        c.notes.append(f"{what} is served by the app: `location "
                       f"{' '.join(match.location.args)}` at {match.location.span}"
                       + (" (a regex restybuild cannot read for certain)"
                          if match.uncertain else ""))
        return []
    if match is not None:
        c.notes.append(f"{what}: only the catch-all `location /` at {match.location.span} "
                       "matches and it passes the request elsewhere: a stub answers it, so the "
                       "probe tests this pod, not the upstream")
    return [Insert(BlockEnd(server), lines, origin)]


def edits(c: EditContext) -> EditList:
    out: EditList = []
    for probe in c.project.probes:
        out += serve(c, probe.port, probe.path, f"the {probe.kind} probe GET {probe.path} "
                     f"on port {probe.port}", probe.span, stub(probe.path))
    return out
