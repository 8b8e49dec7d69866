"""*_by_lua_block bodies that crossplane reads wrong, and lua-nginx-module's own reading."""

from __future__ import annotations

import pytest

from restybuild.conf import LUA_BLOCK_DIRECTIVES, ConfSyntaxError, Node, Pos, parse
from tests.conf.util import check_positions


def _lua_and_next(text: str, *path: int) -> tuple[Node, Node]:
    nodes = parse(text)
    check_positions(text, nodes)
    for i in path:
        block = nodes[i].block
        assert block is not None
        nodes = block
    lua, after = nodes[0], nodes[1]
    assert lua.lua is not None and lua.block is None
    return lua, after


def test_the_directive_list_is_complete() -> None:
    assert {
        "init_by_lua_block", "init_worker_by_lua_block", "exit_worker_by_lua_block",
        "set_by_lua_block", "server_rewrite_by_lua_block", "rewrite_by_lua_block",
        "access_by_lua_block", "precontent_by_lua_block", "content_by_lua_block",
        "log_by_lua_block", "header_filter_by_lua_block", "body_filter_by_lua_block",
        "balancer_by_lua_block", "ssl_client_hello_by_lua_block", "ssl_certificate_by_lua_block",
        "ssl_session_fetch_by_lua_block", "ssl_session_store_by_lua_block",
        "proxy_ssl_certificate_by_lua_block", "proxy_ssl_verify_by_lua_block",
        "preread_by_lua_block",
    } == LUA_BLOCK_DIRECTIVES


# crossplane's Lua extension does not know these three: it reads their Lua as nginx words
EXIT_WORKER = """http {
    exit_worker_by_lua_block {
        local msg = "bye; {"
        ngx.log(ngx.ERR, msg, 'worker\\'s end')
    }
    server { listen 80; }
}
"""
SERVER_REWRITE = """http {
    server {
        server_rewrite_by_lua_block {
            if ngx.var.uri == "/}" then return ngx.exit(404) end
        }
        listen 80;
    }
    server { listen 81; }
}
"""
CLIENT_HELLO = """http {
    server {
        ssl_client_hello_by_lua_block {
            local ssl_clt = require "ngx.ssl.clienthello"
            local host = ssl_clt.get_client_hello_server_name()
            if not host then ngx.log(ngx.ERR, "no SNI; {") end
        }
    }
    server { listen 80; }
}
"""


def test_exit_worker_by_lua_block() -> None:
    lua, server = _lua_and_next(EXIT_WORKER, 0)
    assert lua.lua is not None
    opening = EXIT_WORKER.index("exit_worker_by_lua_block {") + len("exit_worker_by_lua_block {")
    assert lua.lua.text == EXIT_WORKER[opening:EXIT_WORKER.index("}\n    server")]
    assert "'worker\\'s end'" in lua.lua.text
    assert server.name == "server"


def test_server_rewrite_by_lua_block() -> None:
    lua, listen = _lua_and_next(SERVER_REWRITE, 0, 0)
    assert lua.lua is not None and '"/}"' in lua.lua.text
    assert (listen.name, listen.args[0].value) == ("listen", "80")
    (http,) = parse(SERVER_REWRITE)
    assert http.block is not None and [n.name for n in http.block] == ["server", "server"]


def test_ssl_client_hello_by_lua_block() -> None:
    nodes = parse(CLIENT_HELLO)
    check_positions(CLIENT_HELLO, nodes)
    assert nodes[0].block is not None
    first, second = nodes[0].block
    assert first.block is not None
    (lua,) = first.block
    assert lua.lua is not None and lua.lua.text.strip().endswith('"no SNI; {") end')
    assert second.block is not None and second.block[0].args[0].value == "80"


@pytest.mark.parametrize("lua", [
    " local s = [[ } { ]] ",
    " local s = [=[ ]] } { ]=] ",
    " local s = [===[ ]==] ]=] } ]===] ",
    " --[[ } { ]] ",
    " --[==[ ]] }\n { ]=] ]==] ",
    " local s = [[it's]] ",
    " local s = [[it's]] .. 'it\\'s' .. \"it's\" ",
    "\n  ---[[ a line comment, not a long one }\n",
    "\n  -- }\n  local t = { {}, { {} } }\n",
    " local x = t[t[1]] + u[ [[k]] ] ",
    "\r\n  local s = [[\r\n}\r\n]] -- }\r\n",
    " ngx.say(\"}\", '{', \"\\\"}\", '\\'{') ",
])
def test_long_brackets_strings_and_comments(lua: str) -> None:
    text = f"location / {{\n  content_by_lua_block {{{lua}}}\n  server {{ listen 80; }}\n}}\n"
    node, server = _lua_and_next(text, 0)
    assert node.lua is not None and node.lua.text == lua
    assert server.name == "server" and server.block is not None


def test_body_positions() -> None:
    text = "x;\r\n\tcontent_by_lua_block {\r\n\t\tngx.say('é')\r\n\t}\r\ny;"
    _, lua, y = parse(text)
    assert lua.lua is not None
    assert lua.open_brace == Pos(text.index("{"), 2, 23)
    assert lua.lua.start == Pos(text.index("{") + 1, 2, 24)
    assert lua.lua.end == Pos(text.index("}"), 4, 2)
    assert lua.end == Pos(text.index("}") + 1, 4, 3)
    assert lua.lua.text == "\r\n\t\tngx.say('é')\r\n\t"
    assert y.start == Pos(len(text) - 2, 5, 1)


def test_arguments_and_spacing() -> None:
    (a,) = parse("set_by_lua_block $res { return 1 }")
    (b,) = parse('set_by_lua_block "$res"{ return 1 }')
    assert [x.value for x in a.args] == [x.value for x in b.args] == ["$res"]
    assert a.lua is not None and a.lua.text == " return 1 "
    c, d = parse("content_by_lua_block{return}x;")
    assert c.lua is not None and c.lua.text == "return" and d.name == "x"
    (e,) = parse('"content_by_lua_block" { local t = {} }')  # the name's value counts
    assert e.lua is not None and e.lua.text == " local t = {} "


def test_names_are_case_sensitive() -> None:
    (node,) = parse("Content_By_Lua_Block { x; }")
    assert node.lua is None and node.block is not None and node.block[0].name == "x"


def test_what_lua_nginx_module_does_with_strings_it_cannot_end() -> None:
    # a short string ends at its line; an unended one hides nothing, so its "{" counts
    text = 'content_by_lua_block {\n  s = "{\n  }\n}\nx;'
    lua, x = parse(text)
    assert lua.lua is not None and lua.lua.text == '\n  s = "{\n  }\n' and x.name == "x"
    # a backslash before a newline ends a short string for its lexer (Lua would go on), so
    # the "}" on the next line closes the block and nginx reads the '"' after it as a word
    text = 'content_by_lua_block {\n  s = "a\\\n}"\n}\n'
    with pytest.raises(ConfSyntaxError) as caught:
        parse(text)
    assert (caught.value.message, caught.value.line, caught.value.col) == (
        'unexpected end of file, expecting ";" or "}"', 5, 1)
    lua, x = parse('content_by_lua_block {\n  s = "a\\\n}"x";\n')
    assert lua.lua is not None and lua.lua.text == '\n  s = "a\\\n' and x.name == "x"
