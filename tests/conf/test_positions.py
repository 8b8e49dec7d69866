"""Offsets, lines and columns: every directive's slice is exactly what was written."""

from __future__ import annotations

import pytest

from restybuild.conf import Node, Pos, parse, parse_document
from tests.conf.confgen import ConfGen, Expected
from tests.conf.util import check_positions, where

HAND = [
    "worker_processes 2;\nevents { worker_connections 64; }\n",
    "http {\r\n\tserver {\r\n\t\tlisten\t80;\r\n"
    "\t\tserver_name  a.example\tb.example ;\r\n\t}\r\n}\r\n",
    "a 'b c' \"d;e\" f{g;}h;",
    "location ~ ^/x${y}(?<n>z)$ {\n  return 200 \"$n\";\n}",
    "a b # comment ; {\n c;\n# full line\nd{}",
    "map $a $b {\n  default   0;\n  ~^x      1;\n}\n",
    "if ($a = \"b\") { return 403; }\nif ($x ~* \"y\") {}",
    "x ${a}${b}c $d$e \\;\\{ a}b;",
    "café 'crème brûlée' 😀x;\n\tnäme ünï {\n\t\tcödé ü;\n\t}\n",
    "\"quoted name\" arg;\n'q' { in; }\n",
    "content_by_lua_block {\r\n  local t = { {} }\r\n}\r\nserver { listen 80; }\r\n",
]


@pytest.mark.parametrize("text", HAND)
def test_hand_written_positions(text: str) -> None:
    check_positions(text, parse(text))


def test_slices_are_the_directives_as_written() -> None:
    text = HAND[1]
    http = parse(text)[0]
    assert text[http.start.offset:http.end.offset] == text.rstrip("\r\n")
    assert http.block is not None
    server = http.block[0]
    assert server.block is not None
    listen, names = server.block
    assert text[listen.start.offset:listen.end.offset] == "listen\t80;"
    assert listen.start == Pos(text.index("listen"), 3, 3)
    assert listen.args[0].start == Pos(text.index("80"), 3, 10)  # a tab is one column
    assert text[names.start.offset:names.end.offset] == "server_name  a.example\tb.example ;"
    assert [a.raw for a in names.args] == ["a.example", "b.example"]
    assert server.close_brace == Pos(text.index("\t}") + 1, 5, 2)
    assert http.end == Pos(len(text) - 2, 6, 2)  # just after "}", before CR LF


def test_columns_count_characters_not_bytes() -> None:
    text = HAND[8]
    first, second = parse(text)
    assert first.args[1].raw == "😀x"
    assert first.args[1].start == Pos(text.index("😀"), 1, 21)
    assert first.end == Pos(text.index(";") + 1, 1, 24)
    assert second.block is not None
    assert second.block[0].args[0].start == Pos(text.index("ü;"), 3, 8)


def test_unquoted_specials_inside_words() -> None:
    (node,) = parse(HAND[7])
    assert [a.value for a in node.args] == ["${a}${b}c", "$d$e", "\\;\\{", "a}b"]


def test_quoted_names_and_values() -> None:
    first, second = parse(HAND[9])
    assert (first.name, first.args[0].value) == ("quoted name", "arg")
    assert second.name == "q" and second.name_end == Pos(HAND[9].index("'q'") + 3, 2, 4)


@pytest.mark.parametrize(("raw", "value"), [
    ('"a\\"b"', 'a"b'), ("'a\\'b'", "a'b"), ('"a\\\'b"', "a'b"), ('"a\\\\b"', "a\\b"),
    ('"a\\tb\\rc\\nd"', "a\tb\rc\nd"), ('"a\\xb\\$"', "a\\xb\\$"), ("a\\tb", "a\tb"),
    ("a\\;b", "a\\;b"), ('\\"a', '"a'), ("a\\\\", "a\\"), ('""', ""), ('"a\nb"', "a\nb"),
    ("'\\\\\\''", "\\'"), ("a\\ b", "a\\ b"),
])
def test_values_are_unescaped_as_nginx_does(raw: str, value: str) -> None:
    (node,) = parse(f"x {raw};")
    assert node.args[0].raw == raw
    assert node.args[0].value == value
    assert node.args[0].quoted == (raw[0] in "\"'")


def test_comments_are_exposed() -> None:
    text = "# top\r\na b # restybuild: ignore=RB201 reason\r\n  c; #tail"
    doc = parse_document(text)
    assert [c.text for c in doc.comments] == ["# top", "# restybuild: ignore=RB201 reason",
                                              "#tail"]
    assert doc.comments[1].start == Pos(text.index("# r"), 2, 5)
    assert doc.comments[2].end == where(text, len(text))
    assert [a.value for a in doc.nodes[0].args] == ["b", "c"]


def _compare(text: str, got: tuple[Node, ...], want: list[Expected]) -> None:
    assert [n.name for n in got] == [w.name for w in want], text
    for node, exp in zip(got, want):
        assert [a.value for a in node.args] == exp.args, text
        assert [(a.start.offset, a.end.offset) for a in node.args] == exp.raws, text
        assert (node.start.offset, node.end.offset) == (exp.start, exp.end), text
        assert (node.block is None) == (exp.block is None), text
        if node.block is not None and exp.block is not None:
            _compare(text, node.block, exp.block)


@pytest.mark.parametrize("seed", range(8))
def test_generated_confs_match_what_was_generated(seed: int) -> None:
    gen = ConfGen(seed, crossplane_safe=False)
    for _ in range(60):
        text, want = gen.conf()
        got = parse(text)
        _compare(text, got, want)
        check_positions(text, got)
