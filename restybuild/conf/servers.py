"""Which ``server`` block nginx hands a request on a port: ``listen``, ``default_server`` and
``server_name``, as ``ngx_http_core_listen``, ``ngx_http_add_listen`` and
``ngx_http_find_virtual_server`` do it.

A connection to ADDR:PORT is served by the servers listening on exactly that address and port
if any ``listen`` names that address, and by those listening on the wildcard (``listen PORT``,
``*:PORT``, ``0.0.0.0:PORT``) otherwise; a server listening on a wildcard is no candidate for
an address that some ``listen`` names. Among the candidates, in conf order, the Host header
picks by ``server_name``: an exact name, else the longest wildcard ``*.example.org`` (or
``.example.org``), else the longest ``www.example.*``, else the first regex ``~...`` that
matches; when none does, the candidate whose ``listen`` has ``default_server`` (or the old
``default``), else the first.

A server without ``listen`` listens on ``*:80`` when nginx starts as root and on ``*:8000``
otherwise (nginx checks ``getuid()``). restybuild's image runs nginx as UID 10001 (a non-root
user, as Kubernetes runs it too), so ``root`` defaults to False: such a server is on port
8000. A ``listen`` with an address and no port is on port 80 either way.

The defaults describe restybuild's own probe request (:mod:`restybuild.verify`): to
``127.0.0.1`` with ``Host: localhost``. The kubelet connects to the pod's IP, which no conf
names (``addr=None``), with ``Host:`` set to that IP.

Not modelled: host names in ``listen`` other than ``localhost`` (resolved when nginx starts;
such a listen is left out), ``server_name $hostname`` (the container's host name; never
matched), ``quic`` listens (UDP; not where an HTTP probe goes) and TLS SNI.
"""

from __future__ import annotations

import ipaddress

from restybuild.conf.pcre import Untranslatable, compile_pcre
from restybuild.conf.tree import ConfTree, Directive
from restybuild.records import dataclass

PROBE_ADDR = "127.0.0.1"
PROBE_HOST = "localhost"
_LOCALHOST = ("127.0.0.1", "::1")  # what "localhost" resolves to in a container's /etc/hosts


@dataclass(frozen=True)
class Listen:
    """One address and port a server listens on (a ``listen`` may give several)."""

    server: Directive
    directive: Directive | None  # None for the implicit listen of a server without one
    family: int  # 4 or 6
    addr: str  # "" for the wildcard, else the address as ipaddress prints it
    port: int
    default_server: bool
    dual_stack: bool = False  # [::] with ipv6only=off: takes IPv4 connections too


def _port(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 65536 else None


def _addresses(text: str) -> tuple[list[tuple[int, str]], int] | None:
    """The (family, address) pairs and the port of a listen's first argument."""
    if text.startswith("unix:"):
        return None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = _port(rest[1:]) if rest.startswith(":") else (80 if not rest else None)
        try:
            ip = ipaddress.IPv6Address(host)
        except ValueError:
            return None
        return (None if port is None else ([(6, "" if ip.packed == bytes(16) else str(ip))],
                                           port))
    host, colon, port_text = text.partition(":")
    if not colon and _port(text) is not None:
        return [(4, "")], int(text)
    port = _port(port_text) if colon else 80
    if port is None:
        return None
    if host in ("*", "0.0.0.0"):
        return [(4, "")], port
    if host.lower() == "localhost":
        return [(4 if ":" not in a else 6, a) for a in _LOCALHOST], port
    try:
        return [(4, str(ipaddress.IPv4Address(host)))], port
    except ValueError:
        return None  # a host name nginx resolves when it starts


def listens(tree: ConfTree, server: Directive, root: bool = False) -> list[Listen]:
    """Every TCP address and port `server` listens on."""
    found = [d for d in tree.children(server) if d.name == "listen" and d.args]
    if not found:
        return [Listen(server, None, 4, "", 80 if root else 8000, False)]
    out: list[Listen] = []
    for d in found:
        parsed = _addresses(d.args[0])
        params = d.args[1:]
        if parsed is None or "quic" in params:
            continue
        default = "default_server" in params or "default" in params
        for family, addr in parsed[0]:
            dual = family == 6 and addr == "" and "ipv6only=off" in params
            out.append(Listen(server, d, family, addr, parsed[1], default, dual))
    return out


def _bound(tree: ConfTree, port: int, addr: str | None, root: bool) -> list[Listen]:
    every = [li for s in tree.find("server", ("http",)) for li in listens(tree, s, root)
             if li.port == port]
    if addr is None:
        family, wanted = 4, None
    else:
        ip = ipaddress.ip_address(addr)
        family, wanted = ip.version, ("" if ip.is_unspecified else str(ip))
    same = [li for li in every if li.family == family]
    exact = [li for li in same if wanted and li.addr == wanted]
    if exact:
        return exact
    wild = [li for li in same if li.addr == ""]
    if wild or family == 6:
        return wild
    return [li for li in every if li.dual_stack]


def servers_for_port(tree: ConfTree, port: int, addr: str | None = PROBE_ADDR,
                     root: bool = False) -> list[Directive]:
    """The http servers that take a connection to `addr`:`port`, in conf order (see the module
    docstring; `addr` None is an address no ``listen`` names)."""
    out: list[Directive] = []
    for li in _bound(tree, port, addr, root):
        if li.server not in out:
            out.append(li.server)
    return out


def normalize_host(host: str) -> str:
    """The Host header as nginx compares it: lower case, without the port and a final dot."""
    host = host.lower()
    if host.startswith("["):
        end = host.find("]")
        host = host[:end + 1] if end >= 0 else host
    else:
        host = host.partition(":")[0]
    if "/" in host or "\0" in host or ".." in host:
        raise ValueError(f"nginx answers 400 to the Host {host!r}")
    return host[:-1] if host.endswith(".") else host


def _names(tree: ConfTree, server: Directive) -> list[str]:
    names = [a for d in tree.children(server) if d.name == "server_name" for a in d.args]
    return names or [""]


@dataclass(frozen=True)
class ServerPick:
    """The server a request goes to and why."""

    server: Directive
    how: str  # "exact" | "wildcard" (*.example.org, .example.org) | "suffix" (www.*) | "regex"
    #           | "default" (no name matched)
    uncertain: bool = False  # a regex server_name that could not be translated came first
    notes: tuple[str, ...] = ()


class _Names:
    """The server names of one address as ``ngx_http_server_names`` hashes them: in server
    order, a name that conflicts with one hashed before is ignored (nginx warns "conflicting
    server name"). ``.example.org`` takes both ``example.org`` and ``*.example.org``, and is
    dropped whole when either is taken; the exact part is claimed even when the wildcard part
    is then found taken (``ngx_hash_add_key``)."""

    def __init__(self, tree: ConfTree, servers: list[Directive]) -> None:
        self.exact: dict[str, Directive] = {}
        self.claimed: set[str] = set()  # the exact hash's conflict check
        self.head: dict[str, tuple[bool, Directive]] = {}  # "example.org": (from ".", server)
        self.tail: dict[str, Directive] = {}  # "www.example": server
        self.regexes: list[tuple[str, Directive]] = []
        for s in servers:
            for name in _names(tree, s):
                self.add(name, s)

    def add(self, name: str, server: Directive) -> None:
        if name.startswith("~") and len(name) > 1:
            self.regexes.append((name[1:], server))
            return
        low = name.lower()
        if low.count("*") > 1 or ".." in low or low == "$hostname":
            return  # nginx refuses the first two; the third is the machine's name
        if low.startswith(".") and len(low) > 1:
            if low[1:] in self.claimed:
                return
            self.claimed.add(low[1:])
            self.head.setdefault(low[1:], (True, server))
        elif low.startswith("*.") and len(low) > 2:
            self.head.setdefault(low[2:], (False, server))
        elif low.endswith(".*") and len(low) > 2:
            self.tail.setdefault(low[:-2], server)
        elif "*" not in low and low not in self.claimed:
            self.claimed.add(low)
            self.exact[low] = server

    def wildcard(self, host: str) -> ServerPick | None:
        """The longest ``*.x`` (or ``.x``) that `host` is under, else the longest ``x.*``."""
        heads = [(len(base), s) for base, (dot, s) in self.head.items()
                 if host.endswith("." + base) or (dot and host == base)]
        if heads:
            return ServerPick(max(heads, key=lambda h: h[0])[1], "wildcard")
        tails = [(len(base), s) for base, s in self.tail.items() if host.startswith(base + ".")]
        return ServerPick(max(tails, key=lambda t: t[0])[1], "suffix") if tails else None


def _by_name(tree: ConfTree, servers: list[Directive], host: str) -> ServerPick | None:
    names = _Names(tree, servers)
    if host in names.exact:
        return ServerPick(names.exact[host], "exact")
    found = names.wildcard(host)
    if found is not None:
        return found
    unsure: list[str] = []
    for pattern, s in names.regexes if host else []:
        if _regex_matches(pattern, host, unsure):
            return ServerPick(s, "regex", bool(unsure), tuple(unsure))
    return ServerPick(servers[0], "default", True, tuple(unsure)) if unsure else None


def _regex_matches(pattern: str, host: str, unsure: list[str]) -> bool:
    caseless = any("A" <= c <= "Z" for c in pattern)  # nginx: caseless iff it has capitals
    try:
        return compile_pcre(pattern, caseless).search(host)
    except Untranslatable as e:
        unsure.append(f"server_name ~{pattern}: {e}")
        return False


def pick_server(tree: ConfTree, port: int, host: str | None = None,
                addr: str | None = PROBE_ADDR, root: bool = False) -> ServerPick | None:
    """The server nginx gives a request for `host` (None: ``localhost``, the probe's; "": no
    Host header) on `addr`:`port`, and how; None when no server listens there."""
    bound = _bound(tree, port, addr, root)
    servers = servers_for_port(tree, port, addr, root)
    if not servers:
        return None
    flagged = [li.server for li in bound if li.default_server]
    default = flagged[0] if flagged else servers[0]
    pick = _by_name(tree, servers, normalize_host(PROBE_HOST if host is None else host))
    if pick is None:
        return ServerPick(default, "default")
    if pick.how == "default":  # only unsure regexes: the default server unless one matches
        return ServerPick(default, "default", True, pick.notes)
    return pick


def default_server(tree: ConfTree, port: int, host: str | None = None,
                   addr: str | None = PROBE_ADDR, root: bool = False) -> Directive | None:
    """The server of :func:`pick_server`, or None when no server listens there."""
    pick = pick_server(tree, port, host, addr, root)
    return None if pick is None else pick.server
