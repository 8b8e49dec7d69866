"""restybuild.luatable: Lua data chunks read as tables, never run."""

from __future__ import annotations

import pytest

from restybuild import luasyntax, luatable
from restybuild.luatable import BoolKey, LuaDataError, LuaTable, Unknown, read_assignments


def value(lua: str) -> object:
    return read_assignments(f"x = {lua}\n".encode())["x"]


# -- strings ----------------------------------------------------------------------------------

STRINGS = [
    ('"abc"', "abc"),
    ("'abc'", "abc"),
    ("''", ""),
    ('"it\'s"', "it's"),
    ("'say \"hi\"'", 'say "hi"'),
    ("[[abc]]", "abc"),
    ("[[]]", ""),
    ("[==[a]]b]=]c]==]", "a]]b]=]c"),
    ("[=[[[nested]]]=]", "[[nested]]"),
    ("[[\nfirst newline dropped]]", "first newline dropped"),
    ("[[\r\nCRLF first]]", "CRLF first"),
    ("[[\n\nonly one dropped]]", "\nonly one dropped"),
    ("[[a\r\nb\n\rc\rd\ne]]", "a\nb\nc\nd\ne"),
    ("[[no \\n escapes]]", "no \\n escapes"),
    ('"\\a\\b\\f\\n\\r\\t\\v"', "\a\b\f\n\r\t\v"),
    ('"\\\\ \\" \\\'"', "\\ \" '"),
    ('"\\65\\066\\0677"', "ABC7"),
    ('"\\0"', "\x00"),
    ('"\\x41\\x7a\\x7A"', "Azz"),
    ('"\\u{48}\\u{20AC}\\u{1F600}"', "H\u20ac\U0001f600"),
    ('"\\u{000041}"', "A"),
    ('"a\\z   \n\t  b"', "ab"),
    ('"a\\z"', "a"),
    ('"line\\\nnext"', "line\nnext"),
    ('"line\\\r\nnext"', "line\nnext"),
    ('"cr\\\rlf\\\n\rend"', "cr\nlf\nend"),
    ('"caf\u00e9"', "caf\u00e9"),
    ('"\\195\\169"', "\u00e9"),  # the UTF-8 bytes of é, spelled out
    ('"\\255"', "\ufffd"),  # not UTF-8: replaced
    ('"}{ -- not a comment"', "}{ -- not a comment"),
]


@pytest.mark.parametrize(("lua", "expected"), STRINGS, ids=[s for s, _ in STRINGS])
def test_every_string_form_and_escape(lua: str, expected: str) -> None:
    assert value(lua) == expected


def test_a_utf8_escape_beyond_unicode_is_read_not_refused() -> None:
    assert isinstance(value('"\\u{7FFFFFFF}"'), str)


BAD_STRINGS = [
    ('"\\256"', "decimal escape too large", 6),
    ('"\\u{80000000}"', "UTF-8 value too large", 6),
    ("'a\nb'", "unfinished string", 7),
]


@pytest.mark.parametrize(("lua", "message", "col"), BAD_STRINGS)
def test_escapes_lua_refuses_raise_with_their_place(lua: str, message: str, col: int) -> None:
    with pytest.raises(LuaDataError) as err:
        read_assignments(f"ok = 1\nx = {lua}\n".encode())
    assert (err.value.message, err.value.line, err.value.col) == (message, 2, col)


@pytest.mark.parametrize("lua", ['"\\q"', '"\\x4"', '"\\x4g"', '"\\u48"', '"\\u{}"', '"abc',
                                 "[==[abc]=]", '"\\'])
def test_malformed_strings_raise(lua: str) -> None:
    with pytest.raises(LuaDataError):
        value(lua)


def test_crlf_and_cr_line_ends() -> None:
    got = read_assignments(b'a = "x"\r\nb = [[\r\n1\r\n2]]\r\n-- c = 1\rd = 2\r\n')
    assert got == {"a": "x", "b": "1\n2", "d": 2}


def test_a_bom_and_a_hash_first_line_are_skipped_as_lua_does() -> None:
    assert read_assignments(b"\xef\xbb\xbf#!/usr/bin/env lua\nx = 1\n") == {"x": 1}
    assert read_assignments(b"#x = 1\ny = 2\n") == {"y": 2}
    with pytest.raises(LuaDataError):
        read_assignments(b"x = 1\n# not a first line\n")


def test_columns_count_characters() -> None:
    with pytest.raises(LuaDataError) as err:
        read_assignments('x = "\u00e9\u00e9\\256"'.encode())
    assert (err.value.line, err.value.col) == (1, 8)


# -- numbers, booleans, nil -------------------------------------------------------------------

NUMBERS = [
    ("3", 3), ("0", 0), ("007", 7), ("0x10", 16), ("0XfF", 255), ("1.5", 1.5), (".5", 0.5),
    ("5.", 5.0), ("1e3", 1000.0), ("1E-2", 0.01), ("2.5e+2", 250.0), ("0x.8", 0.5),
    ("0xA.8p1", 21.0), ("0x1p-2", 0.25), ("-7", -7), ("- 0x10", -16), ("-1.5", -1.5),
    ("(42)", 42), ("-(2)", -2), ("0xffffffffffffffff", -1), ("9223372036854775807", 2**63 - 1),
    ("9223372036854775808", 9.223372036854776e18), ("1e999", float("inf")),
]


@pytest.mark.parametrize(("lua", "expected"), NUMBERS, ids=[n for n, _ in NUMBERS])
def test_numbers(lua: str, expected: float) -> None:
    got = value(lua)
    assert got == expected
    assert type(got) is type(expected)


def test_luajit_suffixed_numbers_are_unknown() -> None:
    assert value("1LL") == Unknown("1LL")
    assert value("0x10ULL") == Unknown("0x10ULL")


@pytest.mark.parametrize("lua", ["0x", "1e", "3..4", "1.5.3", "1e+"])
def test_malformed_numbers_raise(lua: str) -> None:
    with pytest.raises(LuaDataError):
        value(lua)


def test_booleans_and_nil() -> None:
    assert read_assignments(b"a = true\nb = false\nc = nil\n") == {"a": True, "b": False,
                                                                    "c": None}


# -- tables -----------------------------------------------------------------------------------


def test_nested_tables_with_array_and_hash_parts() -> None:
    got = value('{ "one", 2; name = "n", ["a.b"] = { sources = { "x.c", "y.c" }, '
                "libraries = { 'z' } }, [10] = true, { nested = {} }, }")
    assert isinstance(got, LuaTable)
    assert got.array[:2] == ("one", 2)
    assert got.array[2] == LuaTable((), {"nested": LuaTable()})
    assert got.fields["name"] == "n"
    assert got.fields[10] is True
    inner = got.table("a.b")
    assert inner is not None
    assert inner.table("sources") == LuaTable(("x.c", "y.c"))
    assert inner.get("libraries") == LuaTable(("z",))
    assert got.keys() == [1, 2, 3, "name", "a.b", 10]


def test_positional_items_win_over_explicit_indexes() -> None:
    got = value('{ [1] = "explicit", "positional", [2.0] = "two", [3] = "three" }')
    assert isinstance(got, LuaTable)
    assert got.get(1) == "positional"
    assert got.get(2) == "two"  # 2.0 is the key 2
    assert got.get(3.0) == "three"
    assert got.get(4, "none") == "none"


def test_boolean_keys_do_not_collide_with_1_and_0() -> None:
    got = value('{ [true] = "yes", [1] = "one", [false] = "no", [0] = "zero" }')
    assert isinstance(got, LuaTable)
    assert (got.get(True), got.get(1), got.get(False), got.get(0)) == ("yes", "one", "no",
                                                                       "zero")
    assert BoolKey(True) in got.fields


def test_nil_values_and_holes() -> None:
    got = value("{ 1, nil, 3, k = nil, j = 1, j = nil }")
    assert got == LuaTable((1, None, 3), {})
    assert isinstance(got, LuaTable)
    assert list(got.items()) == [(1, 1), (3, 3)]


def test_braces_and_quotes_inside_comments_and_strings() -> None:
    source = b"""
-- build = { type = "make" }   a } in a comment
build = { --[[ } ]] type = "builtin", --[==[ {{ ]==]
   modules = {
      ["a.b"] = "src/a/b.lua", -- }
      c = '}', d = "{", e = [[ }} ]], f = "\\"}\\"",
   },
} --[[ trailing } ]]
"""
    build = read_assignments(source)["build"]
    assert isinstance(build, LuaTable)
    modules = build.table("modules")
    assert modules is not None
    assert modules.keys() == ["a.b", "c", "d", "e", "f"]
    assert (modules.get("c"), modules.get("e"), modules.get("f")) == ("}", " }} ", '"}"')


def test_the_table_helpers() -> None:
    got = value('{ s = "x", t = {}, n = 1 }')
    assert isinstance(got, LuaTable)
    assert (got.string("s"), got.string("n"), got.table("s")) == ("x", None, None)
    assert got.table("t") == LuaTable()
    assert LuaTable.from_items({1: "a", 2: "b", 4: "d", "k": None}) == LuaTable(("a", "b"),
                                                                                {4: "d"})


# -- what only running the chunk would tell ---------------------------------------------------

UNKNOWN = ["f()", "f", "a.b", "os.getenv('X')", "1 + 2", '"a" .. "b"', "not x", "#t",
           "function() end", "...", "-x", '-"2"', "(f())", "({})[1]", "require 'x'"]


@pytest.mark.parametrize("lua", UNKNOWN)
def test_what_is_not_a_literal_is_unknown(lua: str) -> None:
    assert value(lua) == Unknown(lua)


def test_unknown_keys_and_items_inside_tables() -> None:
    got = value("{ f(), [k] = 1, [{}] = 2, [nil] = 3, v = g.h }")
    assert got == LuaTable((Unknown("f()"),), {Unknown("k"): 1, Unknown("{}"): 2,
                                               Unknown("nil"): 3, "v": Unknown("g.h")})


# -- statements -------------------------------------------------------------------------------


def test_later_assignments_win_and_lists_assign_in_order() -> None:
    got = read_assignments(b'a = 1\na = 2\nb, c, d = "b", "c"\ne, f = g()\nh, i = 1, 2, 3\n')
    assert got == {"a": 2, "b": "b", "c": "c", "d": None, "e": Unknown("g()"),
                   "f": Unknown("g()"), "h": 1, "i": 2}


def test_locals_are_not_globals() -> None:
    got = read_assignments(b'local v = "1.0"\nv = "2.0"\nversion = v .. "-1"\n'
                           b"local function helper() end\nhelper = 1\n"
                           b"function global_fn() end\n")
    assert got == {"version": Unknown('v .. "-1"'),
                   "global_fn": Unknown("function global_fn() end")}


def test_only_top_level_statements_count() -> None:
    got = read_assignments(b"if os then a = 1 end\ndo b = 2 end\nc = 3\nprint(c)\nreturn c\n")
    assert got == {"c": 3}


def test_field_assignments_update_an_assigned_table() -> None:
    got = read_assignments(b'build = { type = "builtin", modules = {} }\n'
                           b'build.modules["a.b"] = "a/b.lua"\nbuild.modules.c = "c.lua"\n'
                           b"build.type = nil\nother.x = 1\nnum = 1\nnum.x = 2\n")
    assert got["build"] == LuaTable((), {"modules": LuaTable((), {"a.b": "a/b.lua",
                                                                   "c": "c.lua"})})
    assert got["other"] == Unknown("other.x = 1")
    assert got["num"] == Unknown("num.x = 2")


# -- broken input -----------------------------------------------------------------------------

BROKEN = [
    ("x = {", 1, 6, "unexpected end of input"),
    ("x = 1 y", 1, 7, "syntax error near `y`"),
    ('package = "a"\nbuild = { type = "builtin" modules = {} }', 2, 27, "`,` or `}` expected"),
    ('build = {\n  modules = {\n    a = "a.lua",\n}\n', 4, 2, "`}` expected"),
    ("x = }", 1, 5, "syntax error near `}`"),
    ('x = "abc', 1, 9, '`"` expected'),
]


@pytest.mark.parametrize(("source", "line", "col", "message"), BROKEN)
def test_syntax_errors_raise_one_error_with_line_and_column(source: str, line: int, col: int,
                                                           message: str) -> None:
    with pytest.raises(LuaDataError) as err:
        read_assignments(source.encode())
    assert (err.value.line, err.value.col, err.value.message) == (line, col, message)
    assert str(err.value) == f"{line}:{col}: {message}"


def test_depth_is_bounded() -> None:
    deep = luatable.MAX_DEPTH + 1
    with pytest.raises(LuaDataError, match="nested deeper"):
        value("{" * deep + "}" * deep)
    with pytest.raises(LuaDataError, match="nested deeper"):
        value("(" * deep + "1" + ")" * deep)
    assert isinstance(value("{" * (deep - 1) + "}" * (deep - 1)), LuaTable)


def test_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(luasyntax, "MAX_BYTES", 10)
    with pytest.raises(LuaDataError, match="larger than 10 bytes"):
        read_assignments(b'x = "more than ten bytes"')


def test_a_very_deep_source_raises_and_does_not_crash() -> None:
    with pytest.raises(LuaDataError):
        read_assignments(b"x = " + b"{" * 100_000 + b"}" * 100_000)
