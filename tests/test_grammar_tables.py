"""The LALR tables shipped beside the grammar (restybuild.grammar_tables): current, used only
when made from the same grammar, and a parser that answers as the built one does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lark import Lark

from restybuild import grammar_tables, parser
from restybuild.errors import RestySyntaxError
from tests.conftest import REPO

BAD = ["name\n", "nmae x\n", "shared_dict a\n", "native a.so -> lua {\n", "rocks {\n rock\n}\n",
       "resources {\n limit cpu\n}\n", "name x y z {\n", "probe readiness tcp\n", "$%^\n"]


def texts() -> list[str]:
    found = [p.read_text() for p in sorted((REPO / "tests/cases").glob("*/Restyfile"))]
    return [(REPO / "Restyfile.example").read_text(), *found]


def test_the_shipped_tables_are_those_of_the_grammar() -> None:
    """Made from this grammar text, this Lark and these options (else they are not used:
    after a grammar change, run `python -m restybuild.grammar_tables`)."""
    grammar = parser.grammar_text()
    shipped = (REPO / "grammar" / grammar_tables.NAME).read_text(encoding="utf-8")
    assert grammar_tables.decode(shipped)["stamp"] == grammar_tables.decode(
        json.dumps(grammar_tables.stamp(grammar, parser.LARK_OPTIONS)))
    assert grammar_tables.load(grammar, parser.LARK_OPTIONS) is not None


def test_the_loaded_parser_parses_as_the_built_one() -> None:
    loaded = grammar_tables.load(parser.grammar_text(), parser.LARK_OPTIONS)
    assert loaded is not None
    built = Lark(parser.grammar_text(), **parser.LARK_OPTIONS)
    for text in texts():
        assert loaded.parse(text) == built.parse(text)


def _errors(monkeypatch: pytest.MonkeyPatch, shipped: bool) -> list[str]:
    parser._parser.cache_clear()
    if not shipped:
        monkeypatch.setattr(grammar_tables, "load", lambda *a: None)
    out = []
    for text in BAD:
        try:
            parser.parse(text)
            out.append("parsed")
        except RestySyntaxError as e:
            out.append(e.render())
    parser._parser.cache_clear()
    return out


def test_syntax_errors_are_the_same_with_the_shipped_tables(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with_tables = _errors(monkeypatch, True)
    assert with_tables == _errors(monkeypatch, False)
    assert with_tables.count("parsed") == 0


def test_tables_of_another_grammar_are_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(REPO / "grammar", tmp_path / "grammar")
    monkeypatch.setattr(grammar_tables, "data_dir", lambda name: tmp_path / name)
    grammar = parser.grammar_text()
    assert grammar_tables.load(grammar, parser.LARK_OPTIONS) is not None
    assert grammar_tables.load(grammar + "\n// changed\n", parser.LARK_OPTIONS) is None
    assert grammar_tables.load(grammar, {**parser.LARK_OPTIONS, "lexer": "basic"}) is None
    (tmp_path / "grammar" / grammar_tables.NAME).write_text("{not json")
    assert grammar_tables.load(grammar, parser.LARK_OPTIONS) is None
    (tmp_path / "grammar" / grammar_tables.NAME).unlink()
    assert grammar_tables.load(grammar, parser.LARK_OPTIONS) is None


def test_encoding_keeps_tuples_and_keys_that_are_not_strings() -> None:
    value = {"a": (1, "x", [2, (3,)]), 4: {"__t": 1}, (5, 6): None, "__d": [1.5, True]}
    assert grammar_tables.decode(json.dumps(grammar_tables.encode(value))) == value
    with pytest.raises(TypeError):
        grammar_tables.encode({"x": object()})
