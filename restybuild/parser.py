"""Parse a Restyfile into its typed syntax tree (:mod:`restybuild.syntax`).

Lark (LALR, contextual lexer) parses; a Transformer turns its tree into frozen
nodes whose spans come from Lark's positions. Syntax errors become
:class:`RestySyntaxError` with the file, line and column, the statement's usage
(:data:`restybuild.statements.STATEMENTS`) and, for a misspelt keyword, the
closest keyword ("unknown statement `shared_dic`; did you mean `shared_dict`?").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from restybuild import syntax as ast
from restybuild.data import data_dir
from restybuild.errors import RestySyntaxError, Span
from restybuild.statements import BLOCK_ITEMS, TOP_LEVEL, USAGE
from restybuild.statements import STATEMENTS as STATEMENTS_INFO

if TYPE_CHECKING:
    from lark import Lark, Token

STATEMENTS = TOP_LEVEL  # the top-level keywords, for messages and the fuzzers

_TERMINAL_TEXT = {
    "RESOURCE_NAME": "`cpu` or `memory`",
    "RESOURCE_KIND": "`request` or `limit`",
    "_NL": "end of line", "_LBRACE": "`{`", "_RBRACE": "`}`", "_ARROW": "`->`",
    "WORD": "a value", "STRING": "a value", "$END": "end of file",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser: from the tables shipped beside the grammar (data, see
    :mod:`restybuild.grammar_tables`) when they were made from this grammar, else built
    from it. Never from Lark's cache: a pickle, which runs code when loaded."""
    from lark import Lark

    from restybuild.grammar_tables import load

    grammar = grammar_text()
    shipped = load(grammar, LARK_OPTIONS)
    return shipped if shipped is not None else Lark(grammar, **LARK_OPTIONS)


LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True,
                "maybe_placeholders": True}


def grammar_text() -> str:
    return (data_dir("grammar") / "restyfile.lark").read_text(encoding="utf-8")


def parse(text: str, filename: str = "Restyfile") -> ast.Restyfile:
    """Parse Restyfile text; raise :class:`RestySyntaxError` on malformed input."""
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise RestySyntaxError("the file contains a NUL byte", span=Span(filename, line, 1))
    if not text.endswith("\n"):
        text += "\n"
    from restybuild import lalr

    parsed = lalr.parse(text, _grammar_sha256(), ToSyntax(filename))
    if parsed is not None:  # without Lark: the input parses (else Lark says why)
        return parsed  # type: ignore[no-any-return]
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    try:
        tree = _parser().parse(text)
    except UnexpectedToken as e:
        raise _token_error(e, text, filename) from None
    except UnexpectedCharacters as e:
        raise _char_error(e, text, filename) from None
    except UnexpectedInput as e:  # pragma: no cover - other lark errors
        line = getattr(e, "line", 1) or 1
        col = getattr(e, "column", 1) or 1
        raise RestySyntaxError("cannot parse this line", span=Span(filename, line, col)) from None
    return _lark_transform(tree, ToSyntax(filename))


@lru_cache(maxsize=1)
def _grammar_sha256() -> str:
    from restybuild.grammar_tables import grammar_digest

    return grammar_digest(grammar_text())


def _lark_transform(tree: Any, syntax: ToSyntax) -> ast.Restyfile:
    """Lark's tree -> syntax nodes: each rule's node made by the ToSyntax method of its
    name, with the rule's meta (Lark's ``Transformer`` with ``v_args(meta=True)``)."""
    from lark import Transformer

    class Adapter(Transformer[Any, Any]):
        def __default__(self, data: Any, children: list[Any], meta: Any) -> Any:
            return getattr(syntax, str(data))(meta, children)

    return Adapter().transform(tree)  # type: ignore[no-any-return]


def _statement_keyword(text: str, line: int) -> str | None:
    """The first word of `line`, if it names a statement or block item."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    words = lines[line - 1].split()
    if words and words[0] in USAGE:
        return words[0]
    return None


def _code(raw: str) -> str:
    """A line without its comment and quoted strings (they may hold braces)."""
    out, quoted = [], False
    for ch in raw:
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            break
        elif not quoted:
            out.append(ch)
    return "".join(out)


def _open_blocks(text: str, line: int) -> list[tuple[str, int]]:
    """The blocks open before `line`, innermost last: (owner keyword, line of its `{`)."""
    stack: list[tuple[str, int]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if lineno >= line:
            break
        code = _code(raw)
        words = code.split()
        for ch in code:
            if ch == "{":
                stack.append((words[0] if words else "?", lineno))
            elif ch == "}" and stack:
                stack.pop()
    return stack


def _enclosing_block(text: str, line: int) -> str | None:
    """The statement whose `{ ... }` block contains `line`, if any."""
    stack = _open_blocks(text, line)
    return stack[-1][0] if stack else None


def _describe_expected(expected: set[str], keyword: str | None = None) -> str:
    if "_NL" in expected:
        expected = expected - {"$END"}
    info = STATEMENTS_INFO.get(keyword or "")
    options = info.options if info and info.options else tuple(dict.fromkeys(
        o for s in STATEMENTS_INFO.values() for o in s.options))
    text = {**_TERMINAL_TEXT,
            "OPTION_KEY": "an option (" + ", ".join(f"`{o}`" for o in options) + ")"}
    names = sorted({text.get(t, f"`{t.lower()}`") for t in expected})
    return ", ".join(names)


def _token_error(e: object, text: str, filename: str) -> RestySyntaxError:
    from lark.exceptions import UnexpectedToken

    assert isinstance(e, UnexpectedToken)
    tok = e.token
    line = tok.line or 1
    col = tok.column or 1
    value = str(tok)
    width = max(len(value), 1)
    span = Span(filename, line, col, line, col + width)
    expected = set(e.expected)
    if tok.type == "$END":
        stack = _open_blocks(text, len(text.splitlines()) + 1)
        owner, opened = stack[-1] if stack else ("?", max(line - 1, 1))
        return RestySyntaxError(
            f"the `{owner}` block opened here is never closed",
            span=Span(filename, opened, 1),
            hint="close the block with `}`",
        )
    first_on_line = text.splitlines()[line - 1][: col - 1].strip() == ""
    block = _enclosing_block(text, line)
    if first_on_line and (tok.type in {"WORD", "STRING", "_ARROW"} or value in USAGE):
        return _keyword_error(value, block, span)
    keyword = _statement_keyword(text, line)
    usage = USAGE.get(keyword or "", "")
    if tok.type == "_NL":
        what = f"`{keyword}` is incomplete" if keyword else "this line is incomplete"
        return RestySyntaxError(
            f"{what}: expected {_describe_expected(expected, keyword)} before the end of the line",
            span=Span(filename, line, col), hint=f"usage: {usage}" if usage else None,
        )
    if tok.type == "_LBRACE" and keyword is not None and keyword not in BLOCK_ITEMS:
        return RestySyntaxError(
            f"`{keyword}` takes no block", span=span, hint=f"usage: {usage}",
        )
    if tok.type == "_RBRACE" and block is None:
        return RestySyntaxError("`}` closes no block", span=span,
                                hint="remove it, or open the block it should close")
    if tok.type == "_LBRACE" and keyword is None:
        return RestySyntaxError("`{` must follow the statement it belongs to, on its line",
                                span=span, hint="write: native SRC -> DST {")
    shown = "`{`" if tok.type == "_LBRACE" else "`}`" if tok.type == "_RBRACE" else f"`{value}`"
    where = f" in `{keyword}`" if keyword else ""
    msg = f"unexpected {shown}{where}; expected {_describe_expected(expected, keyword)}"
    if "_ARROW" in expected and tok.type in {"WORD", "STRING"}:
        msg = f"expected `->` before `{value}`{where}"
    elif tok.type == "_ARROW":
        msg = f"expected a value before `->`{where}"
    return RestySyntaxError(msg, span=span, hint=f"usage: {usage}" if usage else None)


def _keyword_error(value: str, block: str | None, span: Span) -> RestySyntaxError:
    """A line that starts with something that is not a statement (or item) here."""
    items = BLOCK_ITEMS.get(block or "", ())
    choices = items if block in BLOCK_ITEMS else STATEMENTS
    if value in STATEMENTS and block is not None:
        return RestySyntaxError(f"`{value}` cannot appear inside the `{block}` block",
                                span=span, hint=f"close the `{block}` block first; it "
                                "takes: " + ", ".join(items))
    home = next((k for k, v in BLOCK_ITEMS.items() if value in v), None)
    if home is not None and block != home:
        return RestySyntaxError(f"`{value}` belongs inside a `{home}` block",
                                span=span, hint=f"usage: {USAGE[home]}")
    import difflib  # errors only: not on every parse

    guess = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    kind = "statement" if block is None else "item"
    where = "" if block is None else f" in the `{block}` block"
    msg = f"unknown {kind} `{value}`{where}"
    if guess:
        msg += f"; did you mean `{guess[0]}`?"
    return RestySyntaxError(msg, span=span, hint="known: " + ", ".join(choices))


def _char_error(e: object, text: str, filename: str) -> RestySyntaxError:
    from lark.exceptions import UnexpectedCharacters

    assert isinstance(e, UnexpectedCharacters)
    line, col = e.line or 1, e.column or 1
    pos = e.pos_in_stream or 0
    char = text[pos] if pos < len(text) else ""
    span = Span(filename, line, col, line, col + 1)
    if char == '"':
        return RestySyntaxError(
            "unterminated string", span=span, hint='close the string with `"` on the same line'
        )
    keyword = _statement_keyword(text, line)
    usage = USAGE.get(keyword or "", "")
    shown = repr(char) if char and not char.isprintable() else f"`{char}`"
    where = f" in `{keyword}`" if keyword else ""
    return RestySyntaxError(
        f"unexpected {shown}{where}", span=span, hint=f"usage: {usage}" if usage else None
    )


class ToSyntax:
    """A rule's children and meta -> :mod:`restybuild.syntax` nodes, with spans from the
    positions Lark gives (one method per rule, named after it; restybuild.lalr calls them
    as Lark's Transformer does)."""

    def __init__(self, filename: str) -> None:
        self.file = filename

    def span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.file, 1, 1)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def value(self, meta: Any, children: list[Token]) -> ast.Value:
        tok = children[0]
        raw = str(tok)
        text = re.sub(r'\\(["\\])', r"\1", raw[1:-1]) if tok.type == "STRING" else raw
        line, col = tok.line or 1, tok.column or 1
        return ast.Value(text, raw, Span(self.file, line, col, tok.end_line or line,
                                         tok.end_column or col + 1))

    def option(self, meta: Any, children: list[Any]) -> ast.Option:
        key, value = children
        line, col = key.line or 1, key.column or 1
        return ast.Option(str(key), Span(self.file, line, col, line, col + len(key)), value,
                          self.span(meta))

    def start(self, meta: Any, children: list[Any]) -> ast.Restyfile:
        return ast.Restyfile(self.file, tuple(c for c in children if c is not None))

    def restyfile_stmt(self, meta: Any, c: list[Any]) -> ast.RestyfileStmt:
        return ast.RestyfileStmt(c[0], self.span(meta))

    def name_stmt(self, meta: Any, c: list[Any]) -> ast.NameStmt:
        return ast.NameStmt(c[0], self.span(meta))

    def base_stmt(self, meta: Any, c: list[Any]) -> ast.BaseStmt:
        return ast.BaseStmt(c[0], c[1], c[2], self.span(meta))

    def base_image_stmt(self, meta: Any, c: list[Any]) -> ast.BaseImageStmt:
        return ast.BaseImageStmt(c[0], c[1], c[2], self.span(meta))

    def prefix_stmt(self, meta: Any, c: list[Any]) -> ast.PrefixStmt:
        return ast.PrefixStmt(c[0], self.span(meta))

    def conf_stmt(self, meta: Any, c: list[Any]) -> ast.ConfStmt:
        return ast.ConfStmt(c[0], c[1], self.span(meta))

    def lua_stmt(self, meta: Any, c: list[Any]) -> ast.LuaStmt:
        return ast.LuaStmt(c[0], c[1], self.span(meta))

    def files_stmt(self, meta: Any, c: list[Any]) -> ast.FilesStmt:
        return ast.FilesStmt(c[0], c[1], self.span(meta))

    def data_stmt(self, meta: Any, c: list[Any]) -> ast.DataStmt:
        return ast.DataStmt(c[0], c[1], self.span(meta))

    def native_stmt(self, meta: Any, c: list[Any]) -> ast.NativeStmt:
        return ast.NativeStmt(c[0], c[1], tuple(c[2] or ()), self.span(meta))

    def native_block(self, meta: Any, c: list[Any]) -> tuple[ast.SearchItem, ...]:
        return tuple(x for x in c if x is not None)

    def search_item(self, meta: Any, c: list[Any]) -> ast.SearchItem:
        return ast.SearchItem(tuple(c), self.span(meta))

    def rocks_stmt(self, meta: Any, c: list[Any]) -> ast.RocksStmt:
        return ast.RocksStmt(c[0], c[1], self.span(meta))

    def rocks_block(self, meta: Any, c: list[Any]) -> tuple[ast.RocksItem, ...]:
        return tuple(x for x in c if x is not None)

    def server_item(self, meta: Any, c: list[Any]) -> ast.ServerItem:
        return ast.ServerItem(c[0], self.span(meta))

    def rock_item(self, meta: Any, c: list[Any]) -> ast.RockItem:
        return ast.RockItem(c[0], c[1], self.span(meta))

    def system_item(self, meta: Any, c: list[Any]) -> ast.SystemItem:
        return ast.SystemItem(c[0], c[1], self.span(meta))

    def shared_dict_stmt(self, meta: Any, c: list[Any]) -> ast.SharedDictStmt:
        return ast.SharedDictStmt(c[0], c[1], self.span(meta))

    def workers_stmt(self, meta: Any, c: list[Any]) -> ast.WorkersStmt:
        return ast.WorkersStmt(c[0], self.span(meta))

    def resources_stmt(self, meta: Any, c: list[Any]) -> ast.ResourcesStmt:
        return ast.ResourcesStmt(c[0], self.span(meta))

    def resources_block(self, meta: Any, c: list[Any]) -> tuple[ast.ResourceItem, ...]:
        return tuple(x for x in c if x is not None)

    def resource_item(self, meta: Any, c: list[Any]) -> ast.ResourceItem:
        return ast.ResourceItem(str(c[0]), tuple(c[1:]), self.span(meta))

    def resource_pair(self, meta: Any, c: list[Any]) -> ast.ResourcePair:
        return ast.ResourcePair(str(c[0]), c[1], self.span(meta))

    def probe_stmt(self, meta: Any, c: list[Any]) -> ast.ProbeStmt:
        return ast.ProbeStmt(c[0], c[1], c[2], tuple(c[3:]), self.span(meta))

    def metrics_stmt(self, meta: Any, c: list[Any]) -> ast.MetricsStmt:
        return ast.MetricsStmt(c[0], tuple(c[1:]), self.span(meta))

    def scale_stmt(self, meta: Any, c: list[Any]) -> ast.ScaleStmt:
        tok = c[1]  # RESOURCE_NAME: `cpu` (or `memory`, which the resolver refuses)
        line, col = tok.line or 1, tok.column or 1
        metric = ast.Value(str(tok), str(tok), Span(self.file, line, col, line, col + len(tok)))
        return ast.ScaleStmt(c[0], metric, c[2], self.span(meta))

    def env_stmt(self, meta: Any, c: list[Any]) -> ast.EnvStmt:
        return ast.EnvStmt(c[0], c[1], self.span(meta))

    def module_stmt(self, meta: Any, c: list[Any]) -> ast.ModuleStmt:
        return ast.ModuleStmt(tuple(c), self.span(meta))

    def expose_stmt(self, meta: Any, c: list[Any]) -> ast.ExposeStmt:
        return ast.ExposeStmt(tuple(c), self.span(meta))
