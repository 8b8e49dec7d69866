"""Which server and which location nginx picks for a request (restybuild.conf.locations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from restybuild.conf.locations import (
    Match,
    default_server,
    find_location,
    find_request,
    normalize_uri,
    parse_location,
    servers_for_port,
)
from restybuild.conf.servers import normalize_host, pick_server
from restybuild.conf.tree import ConfTree, Directive, load_conf
from restybuild.resolve import load_project
from restybuild.source import SourceTree
from tests.conf.locations_cases import (
    LOCATION_CASES,
    LOCATIONS,
    SERVER_CASES,
    SERVERS,
    UNCERTAIN,
    UNCERTAIN_CASES,
)
from tests.conftest import write_tree

_TREES: dict[str, ConfTree] = {}


def conf_tree(root: Path, http: str) -> ConfTree:
    """The ConfTree of a project whose conf's http block is `http`."""
    key = http
    if key not in _TREES:
        write_tree(root, {"Restyfile": "name app\nbase debian-bookworm\nconf conf\n",
                          "conf/nginx.conf": f"events {{\n}}\nhttp {{\n{http}\n}}\n"})
        _TREES[key] = load_conf(load_project(root / "Restyfile"), SourceTree())
    return _TREES[key]


def one_server(tmp_path_factory: pytest.TempPathFactory, body: str) -> ConfTree:
    root = tmp_path_factory.mktemp("conf")
    return conf_tree(root, f"server {{\nlisten 8080;\n{body}\n}}\n")


def answer(m: Match | None) -> str | None:
    """What nginx answers for the pick, as the cases name it."""
    if m is None:
        return None
    if m.how == "redirect":
        return "301"
    ret = next((d for d in m.tree.children(m.location) if d.name == "return"), None)
    return ret.args[-1] if ret is not None else "502" if m.proxies else "?"


def pick(tree: ConfTree, uri: str) -> Match | None:
    return find_request(tree, 8080, uri)


@pytest.mark.parametrize(("conf", "uri", "expected"), LOCATION_CASES)
def test_the_location_nginx_picks(tmp_path_factory: pytest.TempPathFactory, conf: str,
                                  uri: str, expected: str | None) -> None:
    m = pick(one_server(tmp_path_factory, LOCATIONS[conf]), uri)
    assert answer(m) == expected
    assert m is None or not m.uncertain


@pytest.mark.parametrize(("conf", "uri", "nginx", "chain"), UNCERTAIN_CASES)
def test_a_regex_python_cannot_take_makes_the_match_uncertain(
        tmp_path_factory: pytest.TempPathFactory, conf: str, uri: str, nginx: str | None,
        chain: list[str | None]) -> None:
    m = pick(one_server(tmp_path_factory, UNCERTAIN[conf]), uri)
    got: list[str | None] = []
    while m is not None:
        got.append(answer(m))
        assert m.uncertain or m.otherwise is None
        m = m.otherwise
    if len(got) < len(chain):
        got.append(None)
    assert got == chain
    assert nginx in chain


def test_an_uncertain_match_says_which_regex_and_why(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    m = pick(one_server(tmp_path_factory, UNCERTAIN["keep_out"]), "/v1/ping")
    assert m is not None and m.uncertain and m.how == "regex"
    assert m.location.args == ["~", r"^/v\d+/\Kping$"]
    assert len(m.notes) == 1 and r"\K" in m.notes[0] and "nginx.conf:" in m.notes[0]
    assert m.otherwise is not None and m.otherwise.location.args == ["~", "ping$"]


def test_the_path_runs_through_the_nested_locations(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    tree = one_server(tmp_path_factory, LOCATIONS["nested"])
    m = pick(tree, "/app/static/a.css")
    assert m is not None and m.how == "prefix"
    assert [d.args for d in m.path] == [["/app/"], ["/app/static/"]]
    m = pick(tree, "/app/static/a.json")
    assert m is not None and m.how == "regex"
    assert [d.args for d in m.path] == [["/app/"], ["~", r"\.json$"]]  # /app/static/'s sibling
    m = pick(tree, "/app/raw/x")
    assert m is not None and m.how == "^~"
    m = pick(tree, "/app/exact")
    assert m is not None and m.how == "exact" and len(m.path) == 2


def test_how_each_kind_matched(tmp_path_factory: pytest.TempPathFactory) -> None:
    tree = one_server(tmp_path_factory, LOCATIONS["kinds"])
    hows = {uri: (m.how if (m := pick(tree, uri)) else None)
            for uri in ("/", "/a", "/documents/a", "/images/a.gif", "/a.gif")}
    assert hows == {"/": "exact", "/a": "prefix", "/documents/a": "prefix",
                    "/images/a.gif": "^~", "/a.gif": "regex"}
    catch_all = {uri: m.catch_all for uri in ("/", "/a") if (m := pick(tree, uri))}
    assert catch_all == {"/": False, "/a": True}


PROXIES = r"""
    location / { proxy_pass http://app; }
    location /grpc/ { grpc_pass grpc://app; }
    location /php/ { fastcgi_pass unix:/run/php.sock; }
    location /moved/ { return 301 /elsewhere/; }
    location /url/ { return https://example.org/; }
    location /teapot/ { return 418; }
    location /answer/ { return 200 "ok"; proxy_pass http://app; }
    location /static/ { root /srv; }
    location /nested/ {
        proxy_pass http://app;
        location /nested/inner/ { root /srv; }
    }
    location /lua/ { content_by_lua_block { ngx.say("hi") } }
    location /cond/ { if ($arg_x) { return 302 /y; } root /srv; }
"""


@pytest.mark.parametrize(("uri", "proxies"), [
    ("/", True), ("/grpc/x", True), ("/php/x", True), ("/moved/x", True), ("/url/x", True),
    ("/teapot/x", False), ("/answer/x", False), ("/static/x", False), ("/nested/x", True),
    ("/nested/inner/x", False), ("/lua/x", False), ("/cond/x", False), ("/grpc", True),
])
def test_proxies(tmp_path_factory: pytest.TempPathFactory, uri: str, proxies: bool) -> None:
    m = pick(one_server(tmp_path_factory, PROXIES), uri)
    assert m is not None and m.proxies is proxies


def test_a_server_level_return_answers_before_any_location(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    tree = one_server(tmp_path_factory, "return 301 https://$host$request_uri;\n"
                                        "location /static/ { root /srv; }")
    m = pick(tree, "/static/x")
    assert m is not None and m.proxies and m.server_return is not None
    assert not m.uncertain


@pytest.mark.parametrize("directive", [
    "rewrite ^/old/(.*)$ /new/$1 last;", "if ($http_x) { return 403; }",
    "if ($http_x) { rewrite ^ /y; }",
])
def test_a_server_level_rewrite_makes_the_match_uncertain(
        tmp_path_factory: pytest.TempPathFactory, directive: str) -> None:
    m = pick(one_server(tmp_path_factory, f"{directive}\nlocation / {{ root /srv; }}"), "/a")
    assert m is not None and m.uncertain and m.otherwise is None
    assert "server-level" in m.notes[0]


def test_a_location_from_an_included_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name app\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": "events {\n}\nhttp {\nserver {\nlisten 8080;\n"
                           "include health.conf;\nlocation / { proxy_pass http://app; }\n}\n}\n",
        "conf/health.conf": "location = /healthz { return 200; }\n"})
    tree = load_conf(load_project(tmp_path / "Restyfile"), SourceTree())
    m = find_request(tree, 8080, "/healthz")
    assert m is not None and m.how == "exact" and m.location.file.rel == "conf/health.conf"
    m = find_request(tree, 8080, "/healthz/x")
    assert m is not None and m.catch_all and m.proxies


@pytest.mark.parametrize(("args", "parsed"), [
    (["=", "/x"], ("=", "/x")), (["=/x"], ("=", "/x")), (["^~", "/x"], ("^~", "/x")),
    (["^~/x"], ("^~", "/x")), (["~", "x$"], ("~", "x$")), (["~x$"], ("~", "x$")),
    (["~*", "x$"], ("~*", "x$")), (["~*x$"], ("~*", "x$")), (["/x"], ("", "/x")),
    (["@x"], ("@", "@x")), (["!", "/x"], None), ([], None), (["=", "/x", "y"], None),
])
def test_parse_location(tmp_path_factory: pytest.TempPathFactory, args: list[str],
                        parsed: tuple[str, str] | None) -> None:
    text = " ".join(f'"{a}"' for a in args)
    tree = one_server(tmp_path_factory, f"location {text} {{ }}")
    d = next(d for d in tree.directives if d.name == "location")
    loc = parse_location(d)
    assert (None if loc is None else (loc.modifier, loc.name)) == parsed


@pytest.mark.parametrize(("uri", "merged", "unmerged"), [
    ("/a/./b/../c", "/a/c", "/a/c"), ("//a///b", "/a/b", "//a///b"), ("/a/..", "/", "/"),
    ("/a/.", "/a/", "/a/"), ("/a%2F..%2Fb", "/b", "/b"), ("/%25zz", "/%zz", "/%zz"),
    ("/x?y=/../z", "/x", "/x"), ("/a/%2e%2e/b", "/b", "/b"), ("/caf%C3%A9", "/café", "/café"),
    ("/a/...", "/a/...", "/a/..."),
])
def test_normalize_uri(uri: str, merged: str, unmerged: str) -> None:
    assert normalize_uri(uri) == merged
    assert normalize_uri(uri, merge_slashes=False) == unmerged


@pytest.mark.parametrize("uri", ["/..", "/a/../..", "/%zz", "/%2", "/a%00b", "x"])
def test_normalize_uri_refuses_what_nginx_answers_400(uri: str) -> None:
    with pytest.raises(ValueError):
        normalize_uri(uri)


def test_merge_slashes_off_is_read_from_the_conf(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("conf")
    tree = conf_tree(root, "merge_slashes off;\nserver {\nlisten 8080;\n"
                           "location /a/b { return 200 'ab'; }\n}\n")
    assert pick(tree, "/a/b") is not None
    assert pick(tree, "/a//b") is None


@pytest.mark.parametrize(("port", "host", "addr", "expected"), SERVER_CASES)
def test_the_server_nginx_picks(tmp_path_factory: pytest.TempPathFactory, port: int,
                                host: str | None, addr: str | None, expected: str) -> None:
    tree = conf_tree(tmp_path_factory.mktemp("conf"), SERVERS)
    server = default_server(tree, port, host, addr)
    assert server is not None
    assert answer(find_location(tree, server, "/")) == expected


def _name(tree: ConfTree, server: Directive) -> str:
    m = find_location(tree, server, "/")
    assert m is not None
    return answer(m) or ""


def test_servers_for_port(tmp_path_factory: pytest.TempPathFactory) -> None:
    tree = conf_tree(tmp_path_factory.mktemp("conf"), SERVERS + r"""
        server { location / { return 200 "no-listen"; } }
        server { listen [::]:8093; location / { return 200 "v6"; } }
        server { listen [::]:8094 ipv6only=off; location / { return 200 "dual"; } }
        server { listen unix:/run/app.sock; location / { return 200 "unix"; } }
        server { listen localhost:8095; location / { return 200 "localhost"; } }
        server { listen 127.0.0.1; location / { return 200 "port80"; } }
    """)
    names = {p: [_name(tree, s) for s in servers_for_port(tree, p)]
             for p in (80, 8000, 8080, 8081, 8082, 8093, 8094, 8095)}
    assert names == {80: ["port80"], 8000: ["no-listen"], 8080: [
        "exact", "head", "longer", "tail", "default", "regex", "caseless", "dot"],
        8081: ["local81"], 8082: ["first82", "named82", "empty82"], 8093: [],
        8094: ["dual"], 8095: ["localhost"]}
    assert [_name(tree, s) for s in servers_for_port(tree, 80, root=True)] == ["port80"]
    assert [_name(tree, s) for s in servers_for_port(tree, 80, None, root=True)] == [
        "no-listen"]  # as root nginx puts a server without listen on *:80
    assert [_name(tree, s) for s in servers_for_port(tree, 8081, addr=None)] == ["wild81"]
    assert [_name(tree, s) for s in servers_for_port(tree, 8093, addr="::1")] == ["v6"]
    assert [_name(tree, s) for s in servers_for_port(tree, 8095, addr="::1")] == ["localhost"]
    assert default_server(tree, 9999) is None
    assert find_request(tree, 9999, "/") is None


def test_how_the_server_was_picked(tmp_path_factory: pytest.TempPathFactory) -> None:
    tree = conf_tree(tmp_path_factory.mktemp("conf"), SERVERS)
    hows = {host: p.how for host in ("a.example.org", "b.example.org", "www.x", "api1.x",
                                     "nothing") if (p := pick_server(tree, 8080, host))}
    assert hows == {"a.example.org": "exact", "b.example.org": "wildcard", "www.x": "suffix",
                    "api1.x": "regex", "nothing": "default"}


def test_an_untranslatable_server_name_regex_makes_the_pick_uncertain(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    tree = conf_tree(tmp_path_factory.mktemp("conf"), r"""
        server { listen 8080; location / { return 200 "first"; } }
        server { listen 8080; server_name ~^(?i)x\Ky; location / { return 200 "odd"; } }
        server { listen 8080; server_name ~^local; location / { return 200 "local"; } }
    """)
    p = pick_server(tree, 8080)
    assert p is not None and p.uncertain and p.how == "regex" and r"\K" in p.notes[0]
    m = find_request(tree, 8080, "/")
    assert m is not None and answer(m) == "local" and m.uncertain
    p = pick_server(tree, 8080, "other")
    assert p is not None and p.uncertain and p.how == "default"
    p = pick_server(tree, 8080, "localhost.example")
    assert p is not None and answer(find_location(tree, p.server, "/")) == "local"


@pytest.mark.parametrize(("host", "normal"), [
    ("LocalHost", "localhost"), ("example.org.", "example.org"), ("a.b:8080", "a.b"),
    ("[::1]:80", "[::1]"), ("", ""),
])
def test_normalize_host(host: str, normal: str) -> None:
    assert normalize_host(host) == normal


@pytest.mark.parametrize("host", ["a/b", "a..b"])
def test_a_host_nginx_refuses(host: str) -> None:
    with pytest.raises(ValueError):
        normalize_host(host)


@pytest.mark.parametrize(("body", "how", "proxies", "catch_all"), [
    ("location / { proxy_pass http://app; }", "prefix", True, True),
    ("location ~ ^/health { content_by_lua_block { ngx.say('ok') } }\n"
     "location / { proxy_pass http://app; }", "regex", False, False),
    ("location /healthz/ { proxy_pass http://app; }", "redirect", True, False),
])
def test_a_probe_path_the_app_already_serves(tmp_path_factory: pytest.TempPathFactory,
                                             body: str, how: str, proxies: bool,
                                             catch_all: bool) -> None:
    m = pick(one_server(tmp_path_factory, body), "/healthz")
    assert m is not None and (m.how, m.proxies, m.catch_all) == (how, proxies, catch_all)
