"""Generated Lua in every *_by_lua_block directive comes back byte for byte, and the server
block after it stays a sibling."""

from __future__ import annotations

import zlib

import pytest

from restybuild.conf import LUA_BLOCK_DIRECTIVES, Node, parse
from restybuild.conf.luablock import HTTP_LUA_BLOCK_DIRECTIVES, STREAM_LUA_BLOCK_DIRECTIVES
from tests.conf.luagen import LuaGen
from tests.conf.util import check_positions

# where each directive may stand (lua-nginx-module / stream-lua-nginx-module contexts)
HTTP_CONTEXTS = {
    "init_by_lua_block": ["http"],
    "init_worker_by_lua_block": ["http"],
    "exit_worker_by_lua_block": ["http"],
    "ssl_session_fetch_by_lua_block": ["http"],
    "ssl_session_store_by_lua_block": ["http"],
    "server_rewrite_by_lua_block": ["http", "server"],
    "ssl_client_hello_by_lua_block": ["http", "server"],
    "ssl_certificate_by_lua_block": ["http", "server"],
    "set_by_lua_block": ["http", "server", "location /"],
    "rewrite_by_lua_block": ["http", "server", "location /"],
    "access_by_lua_block": ["http", "server", "location /"],
    "precontent_by_lua_block": ["http", "server", "location /"],
    "content_by_lua_block": ["http", "server", "location /"],
    "log_by_lua_block": ["http", "server", "location /"],
    "header_filter_by_lua_block": ["http", "server", "location /"],
    "body_filter_by_lua_block": ["http", "server", "location /"],
    "proxy_ssl_certificate_by_lua_block": ["http", "server", "location /"],
    "proxy_ssl_verify_by_lua_block": ["http", "server", "location /"],
    "balancer_by_lua_block": ["http", "upstream backend"],
}
STREAM_CONTEXTS = {
    "init_by_lua_block": ["stream"],
    "init_worker_by_lua_block": ["stream"],
    "preread_by_lua_block": ["stream", "server"],
    "content_by_lua_block": ["stream", "server"],
    "log_by_lua_block": ["stream", "server"],
    "ssl_client_hello_by_lua_block": ["stream", "server"],
    "ssl_certificate_by_lua_block": ["stream", "server"],
    "proxy_ssl_certificate_by_lua_block": ["stream", "server"],
    "proxy_ssl_verify_by_lua_block": ["stream", "server"],
    "balancer_by_lua_block": ["stream", "upstream backend"],
}
CASES = sorted([(d, tuple(p)) for d, p in HTTP_CONTEXTS.items()]
               + [(d, tuple(p)) for d, p in STREAM_CONTEXTS.items()])
SEEDS = 24


def test_every_directive_has_a_context() -> None:
    assert set(HTTP_CONTEXTS) == HTTP_LUA_BLOCK_DIRECTIVES
    assert set(STREAM_CONTEXTS) == STREAM_LUA_BLOCK_DIRECTIVES
    assert {d for d, _ in CASES} == LUA_BLOCK_DIRECTIVES


def _wrap(path: tuple[str, ...], inner: str, nl: str) -> str:
    text = inner
    for ctx in reversed(path):
        text = f"{ctx} {{{nl}    {text}{nl}}}"
    return text + nl


def _descend(nodes: tuple[Node, ...], path: tuple[str, ...]) -> tuple[Node, ...]:
    for ctx in path:
        (node,) = nodes
        assert " ".join([node.name, *(a.value for a in node.args)]) == ctx
        assert node.block is not None
        nodes = node.block
    return nodes


@pytest.mark.parametrize(("directive", "path"), CASES)
def test_lua_body_round_trips(directive: str, path: tuple[str, ...]) -> None:
    for seed in range(SEEDS):
        gen = LuaGen(zlib.crc32(f"{directive} {path} {seed}".encode()))
        chunk = gen.chunk()
        nl = gen.nl
        arg = " $v" if directive == "set_by_lua_block" else ""
        gap = gen.rnd.choice(("", " ", nl))
        text = _wrap(path, f"{directive}{arg}{gap}{{{chunk}}}{nl}    server {{ listen 80; }}", nl)
        nodes = parse(text)
        check_positions(text, nodes)
        lua, server = _descend(nodes, path)
        assert lua.name == directive
        assert [a.value for a in lua.args] == (["$v"] if arg else [])
        assert lua.lua is not None and lua.block is None
        assert lua.lua.text == chunk, (seed, text)
        assert text[lua.start.offset:lua.end.offset] == f"{directive}{arg}{gap}{{{chunk}}}"
        assert server.name == "server" and server.block is not None
        assert [(n.name, [a.value for a in n.args]) for n in server.block] == [("listen", ["80"])]
