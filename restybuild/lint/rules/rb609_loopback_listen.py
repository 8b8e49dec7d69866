"""RB609 a probe, exposed or metrics port that only a loopback address listens on.

What: the only `listen` for a port a probe checks, `expose` names or metrics serves is
`127.0.0.1:PORT` (or `[::1]`, `localhost`).
Why: the kubelet and the Service reach the pod at its own address, never at its
loopback: the probe fails and the pod is restarted, traffic never arrives. restybuild's
verification sends its probes to 127.0.0.1, so only this finding sees it.
Example: `listen 127.0.0.1:8080;` with `probe readiness http /ready port 8080`: write
`listen 8080;`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from restybuild.conf.servers import listens, servers_for_port
from restybuild.conf.tree import ConfTree
from restybuild.lint import Finding
from restybuild.lint.context import LintContext
from restybuild.model import Project

CODE = "RB609"
NAME = "loopback-only-listen"
SEVERITY = "warning"


def loopback_only(tree: ConfTree | None, p: Project) -> dict[int, str]:
    """port -> what needs it, for the ports only loopback addresses listen on."""
    if tree is None:
        return {}
    wanted: dict[int, str] = {}
    for probe in p.probes:
        wanted.setdefault(probe.port, f"the {probe.kind} probe")
    for port in p.expose:
        wanted.setdefault(port, "`expose`")
    loopback = {x.port for s in tree.find("server", ("http",)) for x in listens(tree, s)
                if x.addr and ipaddress.ip_address(x.addr).is_loopback}
    return {port: what for port, what in wanted.items()
            if port in loopback and not servers_for_port(tree, port, None, False)}


def check(ctx: LintContext) -> Iterator[Finding]:
    for port, what in sorted(loopback_only(ctx.conf_tree, ctx.project).items()):
        for d in ctx.find("listen"):
            if d.args and d.args[0].endswith(f":{port}"):
                yield Finding(f"port {port} ({what}) is listened on at a loopback address "
                              "only: the kubelet and the Service reach the pod at its own "
                              "address, never there", d.span,
                              hint=f"listen on every address: `listen {port};`")
