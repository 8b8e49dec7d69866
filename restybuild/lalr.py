"""Lark's LALR tables for the Restyfile run without importing Lark, for input that parses.

Importing Lark costs a cold `lint` or `plan` about 20 ms (its grammar compiler, Earley and
CYK parsers, logging, pickle, dataclasses and inspect come with it), and reading its
serialized parser a few more. Most Restyfiles parse; this module parses those with the
tables Lark made for the grammar, exported by :mod:`restybuild.grammar_tables` into
``grammar/restyfile.tables.json`` (data: regular expressions, names and numbers, read
from Lark's own lexers, parse table and tree builder):

- the contextual lexer: in each parser state, the terminals that state accepts (and the
  ignored ones) tried in Lark's order, the first that matches wins (Lark's one regular
  expression is their alternation in that order; each is compiled once here); a terminal
  whose text is also a keyword of that state becomes the keyword (Lark's
  ``UnlessCallback``); lines and columns counted as Lark's ``LineCounter`` does;
- the LALR loop of Lark's ``ParserState.feed_token``, then ``$END``;
- each rule's child filter (keywords and ``_TERMINALS`` dropped, ``_rules`` spliced into
  their parent, ``None`` where an optional ``[item]`` is absent), and the positions Lark's
  ``propagate_positions`` gives the node: from its first to its last child with a place.

The rule callbacks are those of :class:`restybuild.parser.ToSyntax`, called with the same
meta and children as Lark's ``Transformer`` would. Whenever the input does not lex or
parse, or the tables are missing or were made from another grammar, :func:`parse` returns
None and the caller runs Lark, whose errors and messages stay as they were.
tests/test_lalr.py compares the two parsers on the repository's Restyfiles and on many
generated and mutated ones.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache

from restybuild.data import data_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

NAME = "restyfile.tables.json"
SHIFT = 0


class Token(str):
    """A token as Lark gives it to the callbacks: the text, its terminal and its place."""

    type: str
    line: int
    column: int
    end_line: int
    end_column: int


class Meta:
    """A node's place, as Lark's ``Meta`` after ``propagate_positions``."""

    __slots__ = ("column", "empty", "end_column", "end_line", "line")

    def __init__(self, place: tuple[int, int, int, int] | None) -> None:
        self.empty = place is None
        if place is not None:
            self.line, self.column, self.end_line, self.end_column = place


class _Inline:
    """What a ``_rule`` made: children its parent splices in."""

    __slots__ = ("children",)

    def __init__(self, children: list[Any]) -> None:
        self.children = children


class _NoParse(Exception):
    """The input does not lex or parse: Lark says why."""


class Tables:
    def __init__(self, data: dict[str, Any]) -> None:
        self.ignore = frozenset(data["ignore"])
        self.patterns: dict[str, str] = data["terminals"]
        self.compiled: dict[str, Any] = {}
        self.lexer_specs = data["lexers"]
        self.states: list[list[Any]] = data["states"]
        self.rules: list[list[Any]] = data["rules"]
        self.start: int = data["start"]
        self.end: int = data["end"]

    def regexes(self, names: list[str]) -> list[tuple[str, Any]]:
        """The terminals' regular expressions, each compiled once (a state's lexer is
        their alternation in this order: the first that matches wins)."""
        out = []
        for name in names:
            rx = self.compiled.get(name)
            if rx is None:
                rx = self.compiled[name] = re.compile(self.patterns[name])
            out.append((name, rx))
        return out

    @cache  # noqa: B019 - one Tables for the process
    def lexer(self, index: int) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
        """Lexer `index`: its terminals in order, and its keyword matchers."""
        names, unless = self.lexer_specs[index]
        return self.regexes(names), {k: self.regexes(v) for k, v in unless.items()}


def _first(regexes: list[tuple[str, Any]], text: str, pos: int) -> tuple[str, str] | None:
    for name, rx in regexes:
        m = rx.match(text, pos)
        if m is not None:
            return name, m.group(0)
    return None


@lru_cache(maxsize=1)
def tables(grammar_sha256: str) -> Tables | None:
    """The shipped tables, if they were made from the grammar with this SHA-256."""
    try:
        data = json.loads((data_dir("grammar") / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("grammar_sha256") != grammar_sha256:
        return None
    return Tables(data)


def _tokens(text: str, t: Tables, state_stack: list[int]) -> Any:
    """Lark's contextual lexer: the next token in the parser's current state."""
    pos, line, line_start = 0, 1, 0
    end = len(text)
    while pos < end:
        scanner, unless = t.lexer(t.states[state_stack[-1]][0])
        found = _first(scanner, text, pos)
        if found is None:
            raise _NoParse
        kind, value = found
        column = pos - line_start + 1
        start_line = line
        newlines = value.count("\n")
        if newlines:
            line += newlines
            line_start = pos + value.rindex("\n") + 1
        pos += len(value)
        if kind in t.ignore:
            continue
        for name, rx in unless.get(kind, ()):
            if rx.fullmatch(value) is not None:
                kind = name
                break
        tok = Token(value)
        tok.type, tok.line, tok.column = kind, start_line, column
        tok.end_line, tok.end_column = line, pos - line_start + 1
        yield tok


def _reduce(rule: list[Any], values: list[Any], places: list[Any], callbacks: Any) -> Any:
    """A rule's node from its children: filtered, spliced, with its place; made by the
    callback of its name, or kept for the parent when the rule is a ``_rule``."""
    origin, _size, include, append_none, name = rule
    placed = [p for p in places if p is not None]
    place = (placed[0][0], placed[0][1], placed[-1][2], placed[-1][3]) if placed else None
    if include is None:
        children = values
    else:
        children = []
        for i, expand, nones in include:
            children += [None] * nones
            if expand:
                children += values[i].children
            else:
                children.append(values[i])
        children += [None] * append_none
    if origin.startswith("_"):
        return _Inline(children), place
    return getattr(callbacks, name)(Meta(place), children), place


def parse(text: str, grammar_sha256: str, callbacks: Any) -> Any:
    """The start rule's callback result for `text`, or None: not parsed here (the input
    does not parse, or no tables for this grammar); then Lark must parse it."""
    t = tables(grammar_sha256)
    if t is None:
        return None
    states, rules = t.states, t.rules
    state_stack = [t.start]
    values: list[Any] = []
    places: list[Any] = []

    def feed(kind: str, tok: Any) -> Any:
        while True:
            action = states[state_stack[-1]][1].get(kind)
            if action is None:
                raise _NoParse
            if action[0] == SHIFT:
                if tok is None:
                    raise _NoParse
                state_stack.append(action[1])
                values.append(tok)
                places.append((tok.line, tok.column, tok.end_line, tok.end_column))
                return None
            rule = rules[action[1]]
            size = rule[1]
            kids, where = values[len(values) - size:], places[len(places) - size:]
            if size:
                del state_stack[-size:], values[-size:], places[-size:]
            value, place = _reduce(rule, kids, where, callbacks)
            state_stack.append(states[state_stack[-1]][1][rule[0]][1])
            values.append(value)
            places.append(place)
            if tok is None and state_stack[-1] == t.end:
                return value

    try:
        for tok in _tokens(text, t, state_stack):
            feed(tok.type, tok)
        return feed("$END", None)
    except _NoParse:
        return None
