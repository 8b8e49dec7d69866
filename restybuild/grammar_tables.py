"""Lark's LALR tables for the Restyfile grammar, shipped as JSON data beside the grammar.

Building the tables from ``grammar/restyfile.lark`` takes Lark about 60 ms, which a cold
`lint` or `plan` (no cache, as in CI or a fresh pre-commit run) would pay every time;
Lark's own cache is a pickle, kept only in the private cache folder. Instead the
serialized parser (Lark's ``memo_serialize``: plain strings, numbers, lists, dicts and
tuples) ships as ``grammar/restyfile.lark.json``, with tuples and non-string keys tagged
so JSON keeps them. It is used only when it was made from the same grammar text (its
SHA-256), the same Lark version and the same options; otherwise the parser is built
from the grammar as before. Data only: nothing in it is run.

Made again after a grammar change with ``python -m restybuild.grammar_tables`` (a test
says so when the shipped file is stale).
"""

from __future__ import annotations

import hashlib
import json

from restybuild.data import data_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from lark import Lark

NAME = "restyfile.lark.json"


def encode(o: Any) -> Any:
    """`o` as JSON data: tuples as {"__t": [...]}, dicts with other keys as {"__d": pairs}."""
    if isinstance(o, dict):
        if all(isinstance(k, str) and k not in ("__t", "__d") for k in o):
            return {k: encode(v) for k, v in o.items()}
        return {"__d": [[encode(k), encode(v)] for k, v in o.items()]}
    if isinstance(o, tuple):
        return {"__t": [encode(x) for x in o]}
    if isinstance(o, list):
        return [encode(x) for x in o]
    if o is None or isinstance(o, (str, int, float, bool)):
        return o
    raise TypeError(f"cannot store a {type(o).__name__} in the grammar tables")


def _hook(d: dict[str, Any]) -> Any:
    if len(d) == 1 and "__t" in d:
        return tuple(d["__t"])
    if len(d) == 1 and "__d" in d:
        return {tuple(k) if isinstance(k, list) else k: v for k, v in d["__d"]}
    return d


def decode(text: str) -> Any:
    return json.loads(text, object_hook=_hook)


def grammar_digest(grammar: str) -> str:
    """The SHA-256 of the grammar's text, which both shipped tables are stamped with."""
    return hashlib.sha256(grammar.encode()).hexdigest()


def stamp(grammar: str, options: dict[str, Any]) -> dict[str, Any]:
    """What the tables were made from."""
    import lark

    return {"grammar_sha256": grammar_digest(grammar), "lark": lark.__version__,
            "options": encode(options)}


def serialized(parser: Lark) -> dict[str, Any]:
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = parser.memo_serialize([TerminalDef, Rule])
    return {"data": data, "memo": memo}


def load(grammar: str, options: dict[str, Any]) -> Lark | None:
    """The parser from the shipped tables, or None when they are missing or were made from
    something else."""
    from lark import Lark

    try:
        stored = decode((data_dir("grammar") / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("stamp") != decode(
            json.dumps(stamp(grammar, options))):
        return None
    try:
        parser: Lark = Lark._load_from_dict(  # type: ignore[no-untyped-call]
            stored["data"], stored["memo"])
    except Exception:  # tables this Lark cannot read: build from the grammar
        return None
    return parser


def current() -> str:
    """The file's text from the grammar (the checkout's) and this Lark. (Lark numbers its
    states and tokens in an order that varies between processes: two files made from one
    grammar differ in those numbers and parse alike.)"""
    from lark import Lark

    from restybuild.parser import LARK_OPTIONS, grammar_text

    grammar = grammar_text()
    body = {"stamp": stamp(grammar, LARK_OPTIONS),
            **encode(serialized(Lark(grammar, **LARK_OPTIONS)))}
    return json.dumps(body, separators=(",", ":")) + "\n"


def _rule_builder(callback: Any) -> tuple[str, list[list[Any]] | None, int]:
    """What Lark's tree builder does with a rule's children: (the callback's name, the
    children kept [index, splice, Nones before] or None for all, Nones appended)."""
    from functools import partial

    from lark.parse_tree_builder import (
        ChildFilterLALR,
        ChildFilterLALR_NoPlaceholders,
        PropagatePositions,
    )
    from lark.tree import Tree

    assert isinstance(callback, PropagatePositions), callback
    builder = callback.node_builder
    include: list[list[Any]] | None = None
    append_none = 0
    if isinstance(builder, ChildFilterLALR):
        include = [[i, bool(e), n] for i, e, n in builder.to_include]
        append_none, builder = builder.append_none, builder.node_builder
    elif isinstance(builder, ChildFilterLALR_NoPlaceholders):
        include = [[i, bool(e), 0] for i, e in builder.to_include]
        builder = builder.node_builder
    if not (isinstance(builder, partial) and builder.func is Tree):
        raise TypeError(f"restybuild.lalr cannot run this rule's tree builder: {builder!r} "
                        "(a `?rule`?): extend restybuild.lalr, or parse with Lark alone")
    return str(builder.args[0]), include, append_none


def runtime(parser: Lark) -> dict[str, Any]:
    """The tables :mod:`restybuild.lalr` runs, read from Lark's contextual lexer (each
    state's terminals in Lark's order, their keyword callbacks), its parse table and its
    tree builder."""
    from lark.parsers.lalr_analysis import Shift

    frontend = parser.parser
    table = frontend.parser.parser.parse_table
    callbacks = frontend.parser.parser.callbacks
    lexers: list[list[Any]] = []
    lexer_ids: dict[int, int] = {}
    terminals: dict[str, str] = {}

    def names(scanner: Any) -> list[str]:
        """The scanner's terminals in its order; the one regex Lark made of them is their
        alternation, tried in that order."""
        pattern = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in scanner.terminals)
        assert [m.pattern for m in scanner._mres] == [pattern], scanner.terminals
        for t in scanner.terminals:
            terminals[t.name] = t.pattern.to_regexp()
        return [t.name for t in scanner.terminals]

    rules: list[list[Any]] = []
    rule_ids: dict[int, int] = {}
    states: list[list[Any]] = []
    assert sorted(table.states) == list(range(len(table.states)))
    for number in range(len(table.states)):
        basic = frontend.lexer.lexers[number]
        if id(basic) not in lexer_ids:
            own = names(basic.scanner)  # made on first use, with its keyword callbacks
            unless = {name: names(cb.scanner) for name, cb in basic.callback.items()}
            lexer_ids[id(basic)] = len(lexers)
            lexers.append([own, unless])
        actions: dict[str, list[int]] = {}
        for symbol, (action, arg) in table.states[number].items():
            if action is Shift:
                actions[symbol] = [0, arg]
                continue
            if id(arg) not in rule_ids:
                rule_ids[id(arg)] = len(rules)
                name, include, append_none = _rule_builder(callbacks[arg])
                rules.append([arg.origin.name, len(arg.expansion), include, append_none, name])
            actions[symbol] = [1, rule_ids[id(arg)]]
        states.append([lexer_ids[id(basic)], actions])
    return {"ignore": sorted(parser.lexer_conf.ignore), "terminals": terminals,
            "lexers": lexers, "states": states,
            "rules": rules, "start": table.start_states["start"],
            "end": table.end_states["start"]}


def runtime_text() -> str:
    """The text of ``grammar/restyfile.tables.json`` from the grammar and this Lark."""
    from lark import Lark

    from restybuild.parser import LARK_OPTIONS, grammar_text

    grammar = grammar_text()
    body = {"grammar_sha256": grammar_digest(grammar), **runtime(Lark(grammar, **LARK_OPTIONS))}
    return json.dumps(body, separators=(",", ":")) + "\n"


def write() -> list[str]:
    """Write the shipped files (Lark's serialized parser, restybuild.lalr's tables); their
    paths."""
    from restybuild.lalr import NAME as RUNTIME

    out = []
    for name, text in ((NAME, current()), (RUNTIME, runtime_text())):
        path = data_dir("grammar") / name
        path.write_text(text, encoding="utf-8")
        out.append(str(path))
    return out


if __name__ == "__main__":
    print(f"wrote {' and '.join(write())}")
