"""Which ``location`` nginx picks for a request, as ``ngx_http_core_find_location`` does.

At each level (the server, then the location chosen in it) nginx looks at the level's own
locations: an exact ``= URI`` wins at once; else the longest prefix (plain or ``^~``) that
the URI starts with is remembered, and nginx looks inside it for nested locations the same way
(an exact or regex match there wins); then, unless that remembered prefix is ``^~``, the
level's regexes (``~``, ``~*``) are tried in conf order and the first that matches wins (and
is looked inside for nested locations too); else the remembered prefix (or what was chosen
inside it) is used. A ``^~`` stops only its own level's regexes: the regexes of the levels
around it are still tried. Named locations (``@name``) never match a URI; ``if`` and
``limit_except`` blocks are not locations. A URI one ``/`` short of a prefix or exact location
whose ``*_pass`` makes nginx redirect (``location /api/ { proxy_pass ...; }`` and ``/api``)
is answered with a 301 to the URI with the slash, unless an exact or prefix location names
the URI itself (``how`` is "redirect").

The URI is normalized first as nginx does: the query removed, ``%XX`` decoded, ``.`` and
``..`` resolved, repeated slashes merged (unless ``merge_slashes off``).

Regexes are PCRE; :mod:`restybuild.conf.pcre` translates what Python's ``re`` takes the same
way. When a regex that could decide the outcome cannot be translated, the Match is that
regex's location with ``uncertain`` set, and ``otherwise`` is what nginx picks if it does not
match. A server-level ``rewrite`` (or an ``if`` holding a ``rewrite`` or ``return``) may change
the URI, or answer, before any location is chosen: such a Match is ``uncertain`` too, with a
note. Lua (``*_by_lua*``) and location-level rewrites, ``try_files`` and ``error_page``, which
may send the request on internally after the location is chosen, are not followed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote_to_bytes

from restybuild.conf.pcre import Regex, Untranslatable, compile_pcre
from restybuild.conf.servers import (
    PROBE_ADDR,
    ServerPick,
    default_server,
    pick_server,
    servers_for_port,
)
from restybuild.conf.tree import ConfTree, Directive
from restybuild.records import dataclass, field, replace

__all__ = ["PASS_DIRECTIVES", "Location", "Match", "ServerPick", "default_server",
           "find_location", "find_request", "normalize_uri", "parse_location", "pick_server",
           "servers_for_port"]

# the content handlers that hand the request to another server (nginx sets a location's
# handler only where the directive is, so a nested location does not inherit it)
PASS_DIRECTIVES = ("proxy_pass", "fastcgi_pass", "uwsgi_pass", "scgi_pass", "grpc_pass",
                   "memcached_pass")
_MODIFIERS = ("=", "^~", "~*", "~", "")
OK, DONE, AGAIN, DECLINED = "ok", "done", "again", "declined"  # ngx_http_core_find_location's
_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")


@dataclass(frozen=True)
class Location:
    """A ``location`` directive read as ``ngx_http_core_location`` reads it."""

    directive: Directive
    modifier: str  # "=", "^~", "~", "~*", "" (a plain prefix) or "@" (named)
    name: str  # the URI, prefix, regex or @name


def parse_location(d: Directive) -> Location | None:
    """`d` as a location, the modifier given apart (``= /x``) or attached (``=/x``); None for
    what nginx refuses."""
    args = d.args
    if len(args) == 2:
        return Location(d, args[0], args[1]) if args[0] in _MODIFIERS[:4] else None
    if len(args) != 1:
        return None
    arg = args[0]
    if arg.startswith("@"):
        return Location(d, "@", arg)
    mod = next(m for m in _MODIFIERS if arg.startswith(m))
    return Location(d, mod, arg[len(mod):])


@dataclass(frozen=True)
class Match:
    """The location nginx picks, how, and whether that is certain."""

    location: Directive
    path: tuple[Directive, ...]  # the locations from the server's own down to `location`
    how: str  # "exact" | "prefix" | "^~" | "regex" | "redirect" (nginx answers a 301)
    server: Directive
    tree: ConfTree = field(compare=False, repr=False)
    uncertain: bool = False
    otherwise: Match | None = None  # nginx's pick if the untranslatable regex does not match
    notes: tuple[str, ...] = ()

    @property
    def parsed(self) -> Location:
        loc = parse_location(self.location)
        assert loc is not None
        return loc

    @property
    def catch_all(self) -> bool:
        """Whether the pick is ``location /``: the prefix every URI has."""
        return self.parsed.modifier in ("", "^~") and self.parsed.name == "/"

    @property
    def server_return(self) -> Directive | None:
        """The server-level ``return`` that answers before any location is chosen."""
        return next((d for d in self.tree.children(self.server) if d.name == "return"), None)

    @property
    def proxies(self) -> bool:
        """Whether the request is passed elsewhere: by a ``*_pass`` of the location itself
        (nested locations do not inherit it), or redirected (a ``return 3xx`` or ``return URL``
        of the server, answering before any location, or of the location; nginx's own 301
        of ``how == "redirect"``). A location's ``return`` comes before its handler."""
        ret = self.server_return
        if ret is not None:
            return _redirects(ret)
        if self.how == "redirect":
            return True
        own = self.tree.children(self.location)
        ret = next((d for d in own if d.name == "return"), None)
        if ret is not None:
            return _redirects(ret)
        return any(d.name in PASS_DIRECTIVES for d in own)


def _redirects(ret: Directive) -> bool:
    args = ret.args
    if len(args) == 1 and args[0].startswith(("http://", "https://", "$scheme")):
        return True  # return URL: a 302
    return bool(args) and args[0].isascii() and args[0].isdigit() and 300 <= int(args[0]) < 400


def normalize_uri(uri: str, merge_slashes: bool = True) -> str:
    """`uri` as nginx matches it (``ngx_http_parse_complex_uri``); raises ValueError where
    nginx answers 400."""
    path = uri.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        raise ValueError(f"a request URI starts with '/': {uri!r}")
    if _BAD_ESCAPE.search(path):
        raise ValueError(f"nginx answers 400 to the bad escape in {uri!r}")
    decoded = unquote_to_bytes(path).decode("utf-8", "surrogateescape")
    if "\0" in decoded:
        raise ValueError(f"nginx answers 400 to a NUL in {uri!r}")
    segments = decoded.split("/")[1:]
    out: list[str] = []
    for k, seg in enumerate(segments):
        last = k == len(segments) - 1
        if seg in (".", ".."):
            if seg == "..":
                if not out:
                    raise ValueError(f"nginx answers 400 to {uri!r}: it leaves the root")
                out.pop()
            if last:
                out.append("")
        elif seg or last or not merge_slashes:
            out.append(seg)
    return "/" + "/".join(out)


@lru_cache(maxsize=512)
def _regex(pattern: str, caseless: bool) -> Regex | str:
    try:
        return compile_pcre(pattern, caseless)
    except Untranslatable as e:
        return str(e)


class _Unsure(Exception):
    def __init__(self, loc: Location, reason: str) -> None:
        super().__init__(reason)
        self.loc, self.reason = loc, reason


Step = tuple[Location, str]  # a location on the way and how it was reached


class _Finder:
    def __init__(self, tree: ConfTree, uri: str, assume: dict[Directive, bool]) -> None:
        self.tree, self.uri, self.assume = tree, uri, assume  # untranslatable regexes: assumed

    def locations(self, parent: Directive) -> list[Location]:
        found = (parse_location(d) for d in self.tree.children(parent) if d.name == "location")
        return [loc for loc in found if loc is not None]

    def find(self, parent: Directive) -> tuple[str, list[Step]]:
        """ngx_http_core_find_location, with `parent` as the request's location so far."""
        locs = self.locations(parent)
        rc, step = self.static([loc for loc in locs if loc.modifier in ("=", "^~", "")])
        path = [step] if step else []
        noregex = False
        if rc == AGAIN and step:
            noregex = step[0].modifier == "^~"
            rc, inner = self.find(step[0].directive)  # nested locations
            path += inner
        if rc in (OK, DONE) or noregex:
            return rc, path
        for loc in locs:
            if loc.modifier in ("~", "~*") and self.matches(loc):
                return OK, [(loc, "regex"), *self.find(loc.directive)[1]]
        return rc, path

    def matches(self, loc: Location) -> bool:
        rx = _regex(loc.name, loc.modifier == "~*")
        if isinstance(rx, str):
            if loc.directive in self.assume:
                return self.assume[loc.directive]
            raise _Unsure(loc, rx)
        return rx.search(self.uri)

    def static(self, locs: list[Location]) -> tuple[str, Step | None]:
        """ngx_http_core_find_static_location over one level's exact and prefix locations."""
        uri = self.uri
        exact = next((loc for loc in locs if loc.modifier == "=" and loc.name == uri), None)
        if exact:
            return OK, (exact, "exact")
        prefixes = [loc for loc in locs if loc.modifier != "=" and uri.startswith(loc.name)]
        best = max(prefixes, key=lambda loc: len(loc.name), default=None)
        if best and best.name == uri:
            return AGAIN, (best, best.modifier or "prefix")
        slashed = [loc for loc in locs if loc.name == uri + "/"]
        if any(self.auto_redirect(loc) for loc in slashed):
            target = min(slashed, key=lambda loc: loc.modifier != "=")  # the exact one's conf
            return DONE, (target, "redirect")
        if best:
            return AGAIN, (best, best.modifier or "prefix")
        return DECLINED, None

    def auto_redirect(self, loc: Location) -> bool:
        return loc.name.endswith("/") and any(
            d.name in PASS_DIRECTIVES for d in self.tree.children(loc.directive))


def _server_notes(tree: ConfTree, server: Directive) -> tuple[str, ...]:
    notes = []
    for d in tree.children(server):
        if d.name == "return":
            break  # nothing after it runs
        inner = {c.name for c in tree.children(d)} if d.name == "if" else set()
        if d.name == "rewrite" or inner & {"rewrite", "return"}:
            notes.append(f"the server-level {d.name} at {d.span} may change the URI or answer "
                         "before a location is chosen")
    return tuple(notes)


def _merge_slashes(tree: ConfTree, server: Directive) -> bool:
    around = tree.children(server.parent) if server.parent is not None else []
    for d in (*tree.children(server), *around):
        if d.name == "merge_slashes" and d.args:
            return d.args[0] != "off"
    return True


def find_location(tree: ConfTree, server: Directive, uri: str) -> Match | None:
    """The location of `server` nginx picks for `uri` (see the module docstring); None when
    none matches (nginx then uses the server's own configuration)."""
    norm = normalize_uri(uri, _merge_slashes(tree, server))
    return _search(tree, server, norm, {}, _server_notes(tree, server))


def _search(tree: ConfTree, server: Directive, uri: str, assume: dict[Directive, bool],
            notes: tuple[str, ...]) -> Match | None:
    try:
        _, path = _Finder(tree, uri, assume).find(server)
    except _Unsure as e:
        loc = e.loc
        note = f"location {loc.modifier} {loc.name} at {loc.directive.span}: {e.reason}"
        matched = _search(tree, server, uri, {**assume, loc.directive: True}, notes)
        assert matched is not None  # the regex is assumed to match: its location is the pick
        otherwise = _search(tree, server, uri, {**assume, loc.directive: False}, notes)
        return _chain(replace(matched, notes=(note, *matched.notes)), otherwise)
    if not path:
        return None
    loc, how = path[-1]
    return Match(loc.directive, tuple(s[0].directive for s in path), how, server, tree,
                 bool(notes), None, notes)


def _chain(first: Match, then: Match | None) -> Match:
    """`first`, uncertain, with `then` after the last of its own alternatives."""
    tail = then if first.otherwise is None else _chain(first.otherwise, then)
    return replace(first, uncertain=True, otherwise=tail)


def find_request(tree: ConfTree, port: int, uri: str, host: str | None = None,
                 addr: str | None = PROBE_ADDR, root: bool = False) -> Match | None:
    """:func:`find_location` in the server :func:`pick_server` picks for the request."""
    pick = pick_server(tree, port, host, addr, root)
    if pick is None:
        return None
    found = find_location(tree, pick.server, uri)
    if found is None or not pick.uncertain:
        return found
    return replace(found, uncertain=True, notes=(*pick.notes, *found.notes))
