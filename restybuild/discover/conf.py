"""Step 2: the running nginx's conf, found (the unit's `-c`, `--conf-path`, the prefix) and
read with the project's conf tree (:mod:`restybuild.conf.tree`: crossplane's reading, every
directive with its origin, includes followed), leniently: a file that cannot be read, a
syntax error in an included file or an include loop is one finding, and the rest is read."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from restybuild import recipes
from restybuild.conf.locations import PASS_DIRECTIVES
from restybuild.conf.servers import listens
from restybuild.conf.tree import ConfTree, Directive, load_conf
from restybuild.discover.launch import Launch
from restybuild.discover.model import ConfFacts, Finding, Health, Listen, NginxFacts
from restybuild.errors import ConfigError, RestySyntaxError, Span
from restybuild.lint.rules.rb611_unknown_directive import DATA_BLOCKS
from restybuild.model import Base, Copy, Project
from restybuild.source import SourceTree

HOST_CONFS = ("/usr/local/openresty/nginx/conf/nginx.conf", "/etc/nginx/nginx.conf",
              "/usr/local/nginx/conf/nginx.conf", "/etc/openresty/nginx.conf")
CHECKOUT_CONFS = ("conf/nginx.conf", "nginx/conf/nginx.conf", "nginx.conf", "nginx/nginx.conf")
FILE_DIRECTIVES = ("ssl_certificate", "ssl_certificate_key", "ssl_trusted_certificate",
                   "ssl_client_certificate", "ssl_dhparam", "auth_basic_user_file",
                   "geoip_country", "geoip_city", "lua_ssl_trusted_certificate")


def find_conf(root: Path, host: bool, nginx: NginxFacts, launch: Launch) -> tuple[str, str]:
    """(main conf, prefix) as host paths ("/..."); for a checkout, paths below ROOT."""
    if not host:
        for rel in CHECKOUT_CONFS:
            if (root / rel).is_file() or (root / rel).is_symlink():
                folder = posixpath.dirname(rel)
                return "/" + rel, "/" + (posixpath.dirname(folder) if folder else "")
        return "/conf/nginx.conf", "/"
    prefix = launch.prefix or nginx.option("prefix")
    conf = launch.conf or nginx.option("conf-path")
    if prefix is None and (nginx.recipe == "openresty"
                           or (root / "usr/local/openresty/nginx").is_dir()):
        prefix = "/usr/local/openresty/nginx"
    prefix = prefix or "/usr/local/nginx"
    if conf is None:
        found = [c for c in (posixpath.join(prefix, "conf/nginx.conf"), *HOST_CONFS)
                 if (root / c.lstrip("/")).exists() or (root / c.lstrip("/")).is_symlink()]
        conf = found[0] if found else posixpath.join(prefix, "conf/nginx.conf")
    conf = conf if conf.startswith("/") else posixpath.join(prefix, conf)
    return posixpath.normpath(conf), posixpath.normpath(prefix.rstrip("/") or "/")

#: the last part of a path a health check usually has: /healthz, /api/health, /nginx_status
HEALTH_PATH = re.compile(r"(?:^|/)(?:[a-z0-9]+[-_])?(?:health|healthz|healthcheck|ready|readyz|"
                         r"readiness|live|livez|liveness|alive|ping|status|heartbeat)/?$")
_CONTENT = ("content_by_lua_block", "content_by_lua_file", "content_by_lua", "stub_status")


def scan_project(root: Path, main: str, prefix: str, host: bool) -> Project:
    """A project whose conf folder is the host's, and whose whole ROOT is at `/` (a host
    copy), so that includes anywhere on the host are followed as nginx follows them."""
    fl = recipes.load("debian-bookworm").flavor(None, None)
    span = Span(str(root / main.lstrip("/")), 1, 1)
    conf_dir = posixpath.dirname(main)
    files = (Copy(".", "/", span),) if host else ()
    # shown paths are the host's ("/usr/local/...") or the checkout's ("conf/nginx.conf")
    return Project(restyfile="/Restyfile" if host else "Restyfile", root=str(root), version=1,
                   name="discover", base=Base("debian-bookworm", None, None, None, None, span),
                   flavor=fl, prefix=prefix, conf=Copy(conf_dir.lstrip("/") or ".", conf_dir,
                                                       span),
                   lua=(), natives=(), rocks=None, shared_dicts=(), workers=None,
                   resources=None, probes=(), metrics=None, env=(), expose=(), files=files)


def read_conf(root: Path, main: str, prefix: str, host: bool
              ) -> tuple[ConfFacts | None, list[Finding]]:
    """The facts of the conf at `main` (a host path), and what went wrong reading it."""
    project = scan_project(root, main, prefix, host)
    problems: list[ConfigError | RestySyntaxError] = []
    findings: list[Finding] = []
    try:
        tree = load_conf(project, SourceTree(), problems, posixpath.basename(main))
    except (ConfigError, RestySyntaxError) as e:
        return None, [Finding("conf", "error", f"the conf cannot be read: {e.message}",
                              str(e.span or main), e.hint or "")]
    loops: set[frozenset[str]] = set()
    for p in problems:
        if p.message.startswith("include loop: "):  # one loop, met from each of its files
            members = frozenset(p.message.removeprefix("include loop: ").split(" -> "))
            if members in loops:
                continue
            loops.add(members)
        findings.append(Finding("conf", "error", p.message, str(p.span or ""), p.hint or ""))
    for u in tree.unfollowed:
        findings.append(Finding("conf", "warning", f"`include {u.directive.args[0]}` "
                                f"matches no file{' under ROOT' if host else ''}",
                                str(u.directive.span), "copy the included files in"))
    return facts_of(tree, root, prefix), findings


def _expand(entry: str, prefix: str) -> str:
    entry = entry.replace("$prefix", prefix.rstrip("/")).replace("${prefix}", prefix.rstrip("/"))
    return entry if entry.startswith("/") else posixpath.join(prefix, entry)


def _paths(tree: ConfTree, name: str, prefix: str) -> tuple[str, ...]:
    out: list[str] = []
    for d in tree.find(name):
        for entry in (d.args[0] if d.args else "").split(";"):
            if entry:
                out.append(_expand(entry, prefix))
    return tuple(dict.fromkeys(out))


def _answer(tree: ConfTree, location: Directive) -> str | None:
    """How a location answers by itself: `return 2xx|3xx`, stub_status or the app's Lua; None
    when it passes the request on, refuses some clients (`deny`: the kubelet is not
    127.0.0.1) or answers otherwise."""
    inside = tree.children(location)
    if any(d.name in ("deny", "auth_basic", "auth_request", *PASS_DIRECTIVES) for d in inside):
        return None
    for d in inside:
        if d.name == "return" and d.args and d.args[0].isdigit() and 200 <= int(d.args[0]) < 400:
            return f"return {d.args[0]}"
        if d.name in _CONTENT:
            return d.name
    return None


def health_locations(tree: ConfTree) -> tuple[Health, ...]:
    """The conf's health-like locations (exact or prefix, not regex) that answer by
    themselves, with a port of their server that is not loopback only."""
    out: list[Health] = []
    ports: dict[int, list[int]] = {}  # id(server) -> its ports the pod's address reaches
    for loc in tree.directives:
        if loc.name != "location" or not loc.args or \
                loc.args[0] not in ("=", "^~", loc.args[-1]) or \
                not HEALTH_PATH.search(loc.args[-1]):
            continue
        server = _server_of(loc)
        if server is None:
            continue
        if id(server) not in ports:
            ports[id(server)] = [x.port for x in listens(tree, server) if x.directive is not None
                                 and not (x.addr.startswith("127.") or x.addr == "::1")]
        answer = _answer(tree, loc)
        if answer is not None and ports[id(server)]:
            out.append(Health(loc.args[-1], ports[id(server)][0], answer, str(loc.span)))
    return tuple(out)


def _server_of(d: Directive) -> Directive | None:
    parent = d.parent
    while parent is not None and not (parent.name == "server" and parent.ctx == ("http",)):
        parent = parent.parent
    return parent


def facts_of(tree: ConfTree, root: Path, prefix: str) -> ConfFacts:
    def host(path: str) -> str:
        return posixpath.normpath(_expand(path, prefix))

    first = {n: next(iter(tree.find(n, ())), None) for n in ("worker_processes", "user")}
    ports = {(x.port, x.addr.startswith("127.") or x.addr == "::1")
             for s in tree.find("server", ("http",)) for x in listens(tree, s)}
    lua_files = [host(d.args[-1]) for d in tree.directives
                 if d.name.endswith("_by_lua_file") and d.args]
    static = [host(d.args[0].split("$", 1)[0]) for d in tree.directives
              if d.name in ("root", "alias") and d.args and not d.args[0].startswith("$")]
    refs = [host(d.args[0]) for d in tree.directives if d.name in FILE_DIRECTIVES and d.args
            and "$" not in d.args[0] and not d.args[0].startswith("data:")]
    wp, user = first["worker_processes"], first["user"]
    return ConfFacts(
        main=tree.main.image_path, prefix=prefix,
        files=tuple(f.image_path for f in tree.files),
        package_path=_paths(tree, "lua_package_path", prefix),
        package_cpath=_paths(tree, "lua_package_cpath", prefix),
        dicts=tuple((d.args[0], d.args[1]) for d in tree.find("lua_shared_dict")
                    if len(d.args) >= 2),
        workers=wp.args[0] if wp is not None and wp.args else None,
        user=" ".join(user.args) if user is not None else None,
        listens=tuple(Listen(p, lo) for p, lo in sorted(ports)),
        lua_files=tuple(dict.fromkeys(lua_files)),
        static_dirs=tuple(dict.fromkeys(static)), referenced=tuple(dict.fromkeys(refs)),
        directives=tuple({d.name: str(d.span) for d in reversed(tree.directives)
                          if not DATA_BLOCKS.intersection(d.ctx)}.items()),
        health=health_locations(tree))
