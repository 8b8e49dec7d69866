"""Each error gives nginx's (or lua-nginx-module's) message at the line and column where it
would complain."""

from __future__ import annotations

import pytest

from restybuild.conf import ConfSyntaxError, parse

EOF_SEMI = 'unexpected end of file, expecting ";" or "}"'
EOF_BRACE = 'unexpected end of file, expecting "}"'
EOF_LUA = "unexpected end of file, expecting terminating characters for lua code block"
NO_BRACKET = ('Lua code block missing the closing long bracket "{}", '
              "the inlined Lua code may be too long")
TOO_LONG_LUA = "too long lua code block, probably missing terminating characters"

CASES = [
    # a closing quote wants whitespace, ";", "{" or ")" after it
    ('a "b"c;', 'unexpected "c"', 1, 6),
    ('a "b"#c;', 'unexpected "#"', 1, 6),
    ("a 'b'}", 'unexpected "}"', 1, 6),
    ('a\tb\t"c"d', 'unexpected "d"', 1, 8),
    ('café "b"é;', 'unexpected "é"', 1, 9),
    # "}" where a word could start
    ("}", 'unexpected "}"', 1, 1),
    ("a;\r\n}", 'unexpected "}"', 2, 1),
    ("a b }", 'unexpected "}"', 1, 5),
    ("http {\n  server {\n    listen 80\n  }\n}\n", 'unexpected "}"', 4, 3),
    # ";" or "{" with no directive name before it
    (";", 'unexpected ";"', 1, 1),
    ("{", 'unexpected "{"', 1, 1),
    ("a { ; }", 'unexpected ";"', 1, 5),
    ("a;;", 'unexpected ";"', 1, 3),
    # end of file
    ("a {\r\n\tb;\r\n", EOF_BRACE, 3, 1),
    ("a { b { c; }", EOF_BRACE, 1, 13),
    ("a", EOF_SEMI, 1, 2),
    ("a b", EOF_SEMI, 1, 4),
    ('a "b\n', EOF_SEMI, 2, 1),
    ("a \\", EOF_SEMI, 1, 4),
    ("a # b;", EOF_SEMI, 1, 7),
    # ngx_conf_handler's checks of a *_by_lua_block directive
    ("content_by_lua_block;", 'directive "content_by_lua_block" has no opening "{"', 1, 21),
    ("set_by_lua_block {}", 'invalid number of arguments in "set_by_lua_block" directive', 1, 18),
    ("set_by_lua_block $a $b {}",
     'invalid number of arguments in "set_by_lua_block" directive', 1, 24),
    ("init_by_lua_block x {}", 'invalid number of arguments in "init_by_lua_block" directive',
     1, 21),
    # lua-nginx-module: the line of the last "{" it saw
    ("http {\n  content_by_lua_block {\n    local t = {\n", EOF_LUA, 3, 15),
    ("content_by_lua_block {\n  f({\n  })\n  x = {\n", EOF_LUA, 4, 7),
    ('content_by_lua_block { local s = "}" ', EOF_LUA, 1, 22),
    # an unclosed long bracket, at its opening
    ("content_by_lua_block {\n  local s = [==[ x ]=] ]]\n}\n", NO_BRACKET.format("]==]"), 2, 13),
    ("content_by_lua_block {\r\n  --[[ a comment }\r\n}\r\n", NO_BRACKET.format("]]"), 2, 3),
    ("stream { server { preread_by_lua_block { [=[ } } } }", NO_BRACKET.format("]=]"), 1, 42),
]


@pytest.mark.parametrize(("text", "message", "line", "col"), CASES)
def test_error(text: str, message: str, line: int, col: int) -> None:
    with pytest.raises(ConfSyntaxError) as caught:
        parse(text)
    err = caught.value
    assert (str(err), err.line, err.col) == (message, line, col)
    assert err.message == message and err.pos.line == line


def _error(text: str) -> tuple[str, int, int]:
    with pytest.raises(ConfSyntaxError) as caught:
        parse(text)
    return caught.value.message, caught.value.line, caught.value.col


# nginx reads the file through a 4096-byte buffer (NGX_CONF_BUFFER); these limits are its.
TAIL = "b;\n" * 1500  # keeps the file going past every buffer end below


def test_a_word_of_4096_bytes_is_too_long() -> None:
    (node, *_) = parse("a " + "x" * 4095 + ";\n" + TAIL)
    assert len(node.args[0].value) == 4095
    assert _error("a " + "x" * 4096 + ";\n" + TAIL) == (
        'too long parameter "xxxxxxxxxx..." started', 1, 3)


def test_the_limit_counts_bytes() -> None:
    parse("a " + "é" * 2047 + ";\n" + TAIL)
    assert _error("a " + "é" * 2048 + ";\n" + TAIL)[0].startswith("too long parameter")


def test_an_unclosed_quote_runs_into_the_limit() -> None:
    assert _error('a "' + "x" * 5000) == (
        'too long parameter, probably missing terminating """ character', 1, 3)
    assert _error("a '" + "x" * 4000) == (EOF_SEMI, 1, 4004)  # the file ends first


def test_a_comment_of_4096_bytes_is_too_long() -> None:
    parse("# " + "x" * 4093 + "\n" + TAIL)
    assert _error("# " + "x" * 4094 + "\n" + TAIL) == (
        'too long parameter "# xxxxxxxx..." started', 1, 1)


def _lua(prefix: int, body: str) -> str:
    """A Lua block whose "{" ends ``prefix`` bytes into the file (a comment pads it)."""
    pad = "#" + "p" * (prefix - 24) + "\n" if prefix > 22 else ""
    assert len(pad) + 22 == max(prefix, 22)
    return f"{pad}content_by_lua_block {{{body}}}\n" + TAIL


def test_a_long_bracket_must_end_inside_the_buffer() -> None:
    # the "{" ends at byte 22: the buffer still holds bytes 0-4095
    parse(_lua(22, "[[" + "x" * 3000 + "]]"))
    assert _error(_lua(22, "[[" + "x" * 4100 + "]]")) == (NO_BRACKET.format("]]"), 1, 23)
    # 2019: 2077 bytes left in the buffer, not reloaded, so 2100 bytes of string are too many
    assert _error(_lua(2019, "[[" + "x" * 2100 + "]]")) == (NO_BRACKET.format("]]"), 2, 23)
    # 2122: fewer than 2048 bytes left, so the buffer is reloaded from the "[[" first
    (lua, *_) = parse(_lua(2122, "[[" + "x" * 2100 + "]]"))
    assert lua.lua is not None and len(lua.lua.text) == 2104


def test_lua_without_tokens_for_a_whole_buffer_is_too_long() -> None:
    parse(_lua(22, "x" * 3000))
    assert _error(_lua(22, "x" * 5000)) == (TOO_LONG_LUA, 1, 23)


def test_a_line_comment_cut_by_the_buffer_end() -> None:
    # lua-nginx-module lexes only what the buffer holds: a "--" comment running past its
    # end stops there, and what follows is lexed as code, "{" and all
    code = "x = 1\n" * 670 + "-- " + "y" * 60 + " {\n"
    text = f"content_by_lua_block {{{code}}}\nserver {{ listen 80; }}\n"
    assert text.index("-- ") < 4096 < text.index(" {\n")
    brace = text.rindex("server {") + 7
    assert _error(text) == (EOF_LUA, text.count("\n", 0, brace) + 1, 8)  # the server's "{"
    short = code[60:]  # the same comment, within the buffer
    lua, server = parse(f"content_by_lua_block {{{short}}}\nserver {{ listen 80; }}\n")
    assert lua.lua is not None and lua.lua.text == short and server.name == "server"


def test_lines_are_true_after_lua_nginx_skipped_a_buffer() -> None:
    # 4074 token-free bytes of Lua fill the rest of the buffer: the module skips them without
    # counting their lines, so nginx itself would name line 2 here; the true line is 681
    text = "content_by_lua_block {" + "x = 1\n" * 679 + "}\n}\n"
    assert text.index("}") == 4096
    assert _error(text) == ('unexpected "}"', 681, 1)
