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
    "OPTION_KEY": "an option (`port`, `path`, `period`, `timeout`)",
    "RESOURCE_NAME": "`cpu` or `memory`",
    "RESOURCE_KIND": "`request` or `limit`",
    "_NL": "end of line", "_LBRACE": "`{`", "_RBRACE": "`}`", "_ARROW": "`->`",
    "WORD": "a value", "STRING": "a value", "$END": "end of file",
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser. Lark's tables are cached as a pickle, which runs code when loaded:
    only in restybuild's private cache folder, never Lark's default (the temporary folder,
    where another local user can plant one)."""
    import os

    from lark import Lark

    from restybuild.cachedir import enabled, private_dir

    folder = private_dir("grammar") if enabled() else None
    return Lark(grammar_text(), **LARK_OPTIONS,
                cache=os.path.join(folder, "restyfile.lark.pickle") if folder else False)


LARK_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True,
                "maybe_placeholders": True}


def grammar_text() -> str:
    return (data_dir("grammar") / "restyfile.lark").read_text(encoding="utf-8")


def parse(text: str, filename: str = "Restyfile") -> Tree[Token]:
    """Parse Restyfile text; raise :class:`RestySyntaxError` on malformed input."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    text = text.removeprefix("\ufeff")
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


def _describe_expected(expected: set[str]) -> str:
    if "_NL" in expected:
        expected = expected - {"$END"}
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
        guess = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
        kind = "statement" if block is None else "item"
        where = "" if block is None else f" in the `{block}` block"
        msg = f"unknown {kind} `{value}`{where}"
        if guess:
            msg += f"; did you mean `{guess[0]}`?"
        return RestySyntaxError(msg, span=span, hint="known: " + ", ".join(choices))
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
    if tok.type == "_RBRACE" and block is None:
        return RestySyntaxError("`}` closes no block", span=span,
                                hint="remove it, or open the block it should close")
    if tok.type == "_LBRACE" and keyword is None:
        return RestySyntaxError("`{` must follow the statement it belongs to, on its line",
                                span=span, hint="write: native SRC -> DST {")
    shown = "`{`" if tok.type == "_LBRACE" else "`}`" if tok.type == "_RBRACE" else f"`{value}`"
    where = f" in `{keyword}`" if keyword else ""
    msg = f"unexpected {shown}{where}; expected {_describe_expected(expected)}"
    if "_ARROW" in expected and tok.type in {"WORD", "STRING"}:
        msg = f"expected `->` before `{value}`{where}"
    elif tok.type == "_ARROW":
        msg = f"expected a value before `->`{where}"
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
