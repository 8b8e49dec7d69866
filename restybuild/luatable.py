"""Lua data files (rockspecs, luarocks manifests) read as Lua tables, never executed.

A data file is a Lua chunk of global assignments: ``package = "x"``, ``build = {...}``.
:func:`read_assignments` parses it with tree-sitter's Lua grammar (the parser of
:mod:`restybuild.lint.luascan`) and converts each top-level ``NAME = value`` of a
literal: strings (every quote and long-bracket form, every escape of Lua 5.4, which
LuaJIT reads too), numbers, booleans, nil and table constructors (:class:`LuaTable`).
What only running the chunk would tell (a call, a variable, an operator) is an
:class:`Unknown` holding its source text. Syntax errors, and escapes or numbers Lua
would refuse, raise one :class:`LuaDataError` with a line and a column (both from 1;
the column counts characters); see :mod:`restybuild.luasyntax`. The input is bounded:
``luasyntax.MAX_BYTES`` of source and :data:`MAX_DEPTH` nested tables.

Lua semantics kept: ``local`` names are not globals (assigning one later does not set
a global); ``function f() end`` makes ``f`` Unknown; ``t.k = v`` / ``t["k"] = v`` at top
level updates an assigned table (or makes it Unknown when the path cannot be followed);
positional items win over an explicit ``[n]`` key, a nil-valued key is absent; a float
key with an integral value is that integer. No regular expression is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar, Union

from restybuild.lualiterals import LiteralError, number_value, string_value
from restybuild.luasyntax import LuaDataError, error_at, parse_chunk
from restybuild.records import dataclass, field

__all__ = ["MAX_DEPTH", "BoolKey", "LuaDataError", "LuaKey", "LuaTable", "LuaValue", "Unknown",
           "parse_chunk", "read_assignments"]

#: Deepest nesting of tables (and parentheses / unary minus) converted.
MAX_DEPTH = 100


@dataclass(frozen=True)
class Unknown:
    """A value only running the chunk would give; ``text`` is its source."""

    text: str


@dataclass(frozen=True)
class BoolKey:
    """A ``true``/``false`` table key (a bare bool would collide with 1 and 0 in a dict)."""

    value: bool


LuaKey = Union[str, int, float, BoolKey, Unknown]
LuaValue = Union[str, int, float, bool, None, "LuaTable", Unknown]


@dataclass(frozen=True)
class LuaTable:
    """A table constructor: positional items in order, and the keyed fields.

    ``fields`` keys are strings, numbers, :class:`BoolKey` or :class:`Unknown` (a key
    that is not a literal). :meth:`get` resolves a key as Lua would (the array first).
    """

    array: tuple[LuaValue, ...] = ()
    fields: dict[LuaKey, LuaValue] = field(default_factory=dict)

    def get(self, key: LuaKey | bool, default: LuaValue = None) -> LuaValue:
        key = _key(key)
        if type(key) is int and 1 <= key <= len(self.array):
            found = self.array[key - 1]
            return default if found is None else found
        return self.fields.get(key, default)

    def table(self, key: LuaKey) -> LuaTable | None:
        """The value at ``key`` if it is a table, else None."""
        value = self.get(key)
        return value if isinstance(value, LuaTable) else None

    def string(self, key: LuaKey) -> str | None:
        """The value at ``key`` if it is a string, else None."""
        value = self.get(key)
        return value if isinstance(value, str) else None

    def items(self) -> Iterator[tuple[LuaKey, LuaValue]]:
        """Every non-nil entry as Lua's ``pairs`` sees it: the array as keys 1..n first."""
        for i, value in enumerate(self.array, 1):
            if value is not None:
                yield i, value
        for key, value in self.fields.items():
            if not (type(key) is int and 1 <= key <= len(self.array)):
                yield key, value

    def keys(self) -> list[LuaKey]:
        return [k for k, _ in self.items()]

    @staticmethod
    def from_items(items: dict[LuaKey, LuaValue]) -> LuaTable:
        """The table holding ``items``: keys 1..n (no gap) become the array part."""
        array: list[LuaValue] = []
        while items.get(len(array) + 1) is not None:
            array.append(items[len(array) + 1])
        rest: dict[LuaKey, LuaValue] = {k: v for k, v in items.items() if v is not None
                and not (type(k) is int and 1 <= k <= len(array))}
        return LuaTable(tuple(array), rest)


def _key(key: LuaKey | bool) -> LuaKey:
    if isinstance(key, bool):
        return BoolKey(key)
    if isinstance(key, float) and key.is_integer():
        return int(key)
    return key


# -- expressions ----------------------------------------------------------------------------

_T = TypeVar("_T")
_LITERALS: dict[str, LuaValue] = {"true": True, "false": False, "nil": None}


class Converter:
    """Expression nodes of one chunk to values."""

    def __init__(self, source: bytes) -> None:
        self.source = source

    def text(self, node: Any) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def value(self, node: Any, depth: int) -> LuaValue:
        kind = node.type
        if kind == "string":
            start, end = node.start_byte, node.end_byte
            raw = self.source[start:end]
            quote = raw[:1]
            if (quote in (b'"', b"'") and len(raw) > 1 and raw[-1:] == quote
                    and b"\\" not in raw and b"\n" not in raw and b"\r" not in raw):
                return raw[1:-1].decode("utf-8", "replace")  # the common case, quickly
            return self._literal(start, lambda: string_value(raw))
        if kind == "number":
            text = self.text(node)
            number = self._literal(node.start_byte, lambda: number_value(text))
            return Unknown(text) if number is None else number
        if kind in _LITERALS:
            return _LITERALS[kind]
        if kind == "table_constructor":
            return self.table(node, depth + 1)
        if kind in ("parenthesized_expression", "unary_expression"):
            return self._wrapped(node, depth + 1)
        return Unknown(self.text(node))

    def _literal(self, start: int, decode: Callable[[], _T]) -> _T:
        try:
            return decode()
        except LiteralError as exc:
            raise error_at(self.source, start + exc.offset, exc.message) from None

    def _wrapped(self, node: Any, depth: int) -> LuaValue:
        """``(literal)`` is the literal; ``-number`` its negation; anything else Unknown."""
        if depth > MAX_DEPTH:
            raise error_at(self.source, node.start_byte, f"nested deeper than {MAX_DEPTH}")
        inner = [c for c in node.named_children if c.type != "comment"]
        operator = node.children[0].type if node.type == "unary_expression" else "("
        if len(inner) == 1 and operator in ("(", "-"):
            value = self.value(inner[0], depth)
            if operator == "(" and not isinstance(value, Unknown):
                return value
            if operator == "-" and type(value) in (int, float):
                assert isinstance(value, (int, float))
                return -value
        return Unknown(self.text(node))

    def key(self, node: Any, depth: int) -> LuaKey:
        value = self.value(node, depth)
        if value is None or isinstance(value, LuaTable) or value != value:  # nil, table, NaN
            return Unknown(self.text(node))
        return _key(value)

    def table(self, node: Any, depth: int) -> LuaTable:
        return self._table_at(node.walk(), depth)

    def _value_at(self, cursor: Any, depth: int) -> LuaValue:
        node = cursor.node
        if node.type == "table_constructor":
            return self._table_at(cursor, depth + 1)
        return self.value(node, depth)

    def _table_at(self, cursor: Any, depth: int) -> LuaTable:
        """The table constructor under ``cursor`` (walked with it: much faster than nodes)."""
        if depth > MAX_DEPTH:
            raise error_at(self.source, cursor.node.start_byte,
                         f"tables nested deeper than {MAX_DEPTH}")
        array: list[LuaValue] = []
        fields: dict[LuaKey, LuaValue] = {}
        more = cursor.goto_first_child()
        while more:
            if cursor.node.type == "field":
                self._field_at(cursor, depth, array, fields)
            more = cursor.goto_next_sibling()
        cursor.goto_parent()
        return LuaTable(tuple(array), fields)

    def _field_at(self, cursor: Any, depth: int, array: list[LuaValue],
                  fields: dict[LuaKey, LuaValue]) -> None:
        key: LuaKey | None = None
        bracket = False
        value: LuaValue = None
        more = cursor.goto_first_child()
        while more:
            name = cursor.field_name
            if name == "value":
                value = self._value_at(cursor, depth)
            elif name == "name":
                key = (self.key(cursor.node, depth) if bracket
                       else self.text(cursor.node))
            elif cursor.node.type == "[":
                bracket = True
            more = cursor.goto_next_sibling()
        cursor.goto_parent()
        if key is None:
            array.append(value)
        elif value is None:
            fields.pop(key, None)
        else:
            fields[key] = value


# -- the chunk ------------------------------------------------------------------------------


def read_assignments(source: bytes) -> dict[str, LuaValue]:
    """The globals a data chunk assigns at top level, converted (later assignments win)."""
    root = parse_chunk(source)
    conv = Converter(source)
    out: dict[str, LuaValue] = {}
    locals_: set[str] = set()
    for i, stmt in enumerate(root.children):
        kind = stmt.type
        if kind == "assignment_statement":
            _assign(conv, stmt, out, locals_)
        elif kind == "variable_declaration":
            locals_.update(conv.text(n) for n in _targets(stmt) if n.type == "identifier")
        elif kind == "function_declaration":
            name = stmt.child_by_field_name("name")
            if name is None:
                continue
            if root.field_name_for_child(i) == "local_declaration":
                locals_.add(conv.text(name))
            elif name.type == "identifier" and conv.text(name) not in locals_:
                out[conv.text(name)] = Unknown(conv.text(stmt))
            else:
                _assign_path(conv, name, Unknown(conv.text(stmt)), stmt, out, locals_)
    return out


def _targets(stmt: Any) -> list[Any]:
    if stmt.type == "variable_declaration":
        stmt = next((c for c in stmt.named_children if c.type == "assignment_statement"), stmt)
    lists = [c for c in stmt.named_children if c.type in ("variable_list", "attribute_name_list")]
    return [c for c in lists[0].named_children if c.type != "comment"] if lists else []


def _assign(conv: Any, stmt: Any, out: dict[str, LuaValue], locals_: set[str]) -> None:
    exprs_node = next((c for c in stmt.named_children if c.type == "expression_list"), None)
    exprs = [c for c in exprs_node.named_children if c.type != "comment"] if exprs_node else []
    values: list[LuaValue] = [conv.value(e, 0) for e in exprs]
    for n, target in enumerate(_targets(stmt)):
        if n < len(values):
            value = values[n]
        elif exprs and exprs[-1].type in ("function_call", "vararg_expression"):
            value = Unknown(conv.text(exprs[-1]))  # a call's further results
        else:
            value = None
        if target.type == "identifier":
            name = conv.text(target)
            if name not in locals_:
                out[name] = value
        else:
            _assign_path(conv, target, value, stmt, out, locals_)


def _assign_path(conv: Any, target: Any, value: LuaValue, stmt: Any,
                 out: dict[str, LuaValue], locals_: set[str]) -> None:
    """``a.b["c"] = value``: the global ``a`` with that field set, or Unknown."""
    keys: list[LuaKey] = []
    node = target
    while node.type in ("dot_index_expression", "bracket_index_expression"):
        key_node = node.child_by_field_name("field")
        if key_node is None:
            return
        if node.type == "dot_index_expression":
            keys.append(conv.text(key_node))
        else:
            key = conv.key(key_node, 0)
            if isinstance(key, Unknown):
                keys = []
                break
            keys.append(key)
        node = node.child_by_field_name("table")
        if node is None:
            return
    if node.type != "identifier" or conv.text(node) in locals_:
        return
    name = conv.text(node)
    updated = _set_in(out.get(name), keys[::-1], value) if keys else None
    out[name] = updated if updated is not None else Unknown(conv.text(stmt))


def _set_in(table: LuaValue, keys: list[LuaKey], value: LuaValue) -> LuaTable | None:
    """A copy of ``table`` with ``value`` at the path ``keys``; None if a step is no table."""
    if not isinstance(table, LuaTable):
        return None
    items = dict(table.items())
    if len(keys) == 1:
        items[keys[0]] = value
    else:
        inner = _set_in(items.get(keys[0]), keys[1:], value)
        if inner is None:
            return None
        items[keys[0]] = inner
    return LuaTable.from_items(items)
