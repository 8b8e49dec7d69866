"""Parse a Restyfile into a Lark tree whose nodes carry positions.

Syntax errors become :class:`RestySyntaxError` with the file, line and column,
the statement's usage and, for a misspelt keyword, the closest keyword
("unknown statement `shared_dic`; did you mean `shared_dict`?").
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import TYPE_CHECKING

from restybuild.data import data_dir
from restybuild.errors import RestySyntaxError, Span

if TYPE_CHECKING:
    from lark import Lark, Token, Tree

#: How each statement is written; shown when one is malformed.
USAGE: dict[str, str] = {
    "restyfile": "restyfile VERSION",
    "name": "name NAME",
    "base": "base RECIPE [VERSION] [FLAVOR]  or  base image REF recipe RECIPE [digest DIGEST]",
    "prefix": "prefix PATH",
    "conf": "conf SRC [-> DST]",
    "lua": "lua SRC -> DST",
    "native": "native SRC -> DST [{ search DIR ... }]",
    "rocks": "rocks -> TREE { server ... / rock ... / system ... }",
    "shared_dict": "shared_dict NAME SIZE",
    "workers": "workers N  or  workers cpu",
    "resources": "resources { request cpu C memory M / limit cpu C memory M }",
    "probe": "probe liveness|readiness|startup http PATH port N [period T] [timeout T]",
    "metrics": "metrics prometheus port N path P",
    "env": "env NAME=VALUE",
    "expose": "expose PORT ...",
    "search": "search DIR ...",
    "server": "server DIR-or-URL",
    "rock": "rock NAME VERSION  or  rock PATH.rockspec  or  rock PATH.rock",
    "system": "system BUILDPKG [-> RUNPKG]",
    "request": "request cpu C memory M",
    "limit": "limit cpu C memory M",
}

STATEMENTS = (
    "restyfile", "name", "base", "prefix", "conf", "lua", "native", "rocks",
    "shared_dict", "workers", "resources", "probe", "metrics", "env", "expose",
)
BLOCK_ITEMS = {
    "native": ("search",),
    "rocks": ("server", "rock", "system"),
    "resources": ("request", "limit"),
}

_TERMINAL_TEXT = {
    "_NL": "end of line", "_LBRACE": "`{`", "_RBRACE": "`}`", "_ARROW": "`->`",
    "WORD": "a value", "STRING": "a value", "$END": "end of file",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    from lark import Lark

    grammar = data_dir("grammar") / "restyfile.lark"
    return Lark(
        grammar.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


def parse(text: str, filename: str = "Restyfile") -> Tree[Token]:
    """Parse Restyfile text; raise :class:`RestySyntaxError` on malformed input."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise RestySyntaxError("the file contains a NUL byte", span=Span(filename, line, 1))
    if not text.endswith("\n"):
        text += "\n"
    try:
        return _parser().parse(text)
    except UnexpectedToken as e:
        raise _token_error(e, text, filename) from None
    except UnexpectedCharacters as e:
        raise _char_error(e, text, filename) from None
    except UnexpectedInput as e:  # pragma: no cover - other lark errors
        line = getattr(e, "line", 1) or 1
        col = getattr(e, "column", 1) or 1
        raise RestySyntaxError("cannot parse this line", span=Span(filename, line, col)) from None


def _statement_keyword(text: str, line: int) -> str | None:
    """The first word of `line`, if it names a statement or block item."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    words = lines[line - 1].split()
    if words and words[0] in USAGE:
        return words[0]
    return None


def _enclosing_block(text: str, line: int) -> str | None:
    """The statement whose `{ ... }` block contains `line`, if any."""
    depth_owner: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if lineno >= line:
            break
        code = raw.split("#", 1)[0]
        words = code.split()
        if code.rstrip().endswith("{") and words:
            depth_owner.append(words[0])
        if code.strip() == "}" and depth_owner:
            depth_owner.pop()
    return depth_owner[-1] if depth_owner else None


def _describe_expected(expected: set[str]) -> str:
    names = sorted({_TERMINAL_TEXT.get(t, f"`{t.lower()}`") for t in expected})
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
        block = _enclosing_block(text, line + 1)
        return RestySyntaxError(
            f"the file ends inside the `{block or '?'}` block",
            span=Span(filename, max(line - 1, 1), 1),
            hint="close the block with `}` on a line of its own",
        )
    first_on_line = text.splitlines()[line - 1][: col - 1].strip() == ""
    if first_on_line and tok.type in {"WORD", "STRING", "_ARROW"}:
        block = _enclosing_block(text, line)
        if block in BLOCK_ITEMS:
            choices = BLOCK_ITEMS[block]
            where = f"in the `{block}` block"
        else:
            choices = STATEMENTS
            where = "statement"
        guess = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
        hint = f"did you mean `{guess[0]}`?" if guess else None
        kind = "statement" if where == "statement" else "item"
        msg = f"unknown {kind} `{value}`" + ("" if where == "statement" else f" {where}")
        if guess:
            msg += f"; did you mean `{guess[0]}`?"
        return RestySyntaxError(
            msg, span=span,
            hint=hint if not guess else "known: " + ", ".join(choices),
        )
    keyword = _statement_keyword(text, line)
    usage = USAGE.get(keyword or "", "")
    if tok.type == "_NL":
        what = f"`{keyword}` is incomplete" if keyword else "this line is incomplete"
        return RestySyntaxError(
            f"{what}: expected {_describe_expected(expected)} before the end of the line",
            span=Span(filename, line, col), hint=f"usage: {usage}" if usage else None,
        )
    if tok.type == "_LBRACE" and keyword is not None and keyword not in BLOCK_ITEMS:
        return RestySyntaxError(
            f"`{keyword}` takes no block", span=span, hint=f"usage: {usage}",
        )
    shown = "`{`" if tok.type == "_LBRACE" else "`}`" if tok.type == "_RBRACE" else f"`{value}`"
    where = f" in `{keyword}`" if keyword else ""
    msg = f"unexpected {shown}{where}; expected {_describe_expected(expected)}"
    if "_ARROW" in expected and tok.type in {"WORD", "STRING"}:
        msg = f"expected `->` before `{value}`{where}"
    return RestySyntaxError(msg, span=span, hint=f"usage: {usage}" if usage else None)


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
