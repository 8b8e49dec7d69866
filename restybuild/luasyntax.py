"""Lua chunks parsed with tree-sitter's grammar (luascan's parser), and their syntax errors.

A broken chunk gives one :class:`LuaDataError`: at the first MISSING token, or at the
last part of the first ERROR node (the token tree-sitter could not fit). A leading
UTF-8 byte order mark and a first line starting with ``#`` are skipped, as Lua's
``loadfile`` skips them; every CR is parsed as a line end.
"""

from __future__ import annotations

from typing import Any

from restybuild.lint.luascan import parser

#: Largest source read (bytes); a luarocks.org root manifest is a few MB.
MAX_BYTES = 64 * 1024 * 1024


class LuaDataError(Exception):
    """The chunk is not valid Lua data; ``line`` and ``col`` count from 1."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(f"{line}:{col}: {message}")
        self.message = message
        self.line = line
        self.col = col


def position(source: bytes, offset: int) -> tuple[int, int]:
    """(line, column) of byte ``offset``, from 1; the column counts characters."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    col = len(source[line_start:offset].decode("utf-8", "replace")) + 1
    return source.count(b"\n", 0, offset) + 1, col


def error_at(source: bytes, offset: int, message: str) -> LuaDataError:
    line, col = position(source, offset)
    return LuaDataError(message, line, col)


def _first_error(root: Any) -> Any:
    """The first ERROR or MISSING node of a tree that has an error."""
    node = root
    while True:
        for child in node.children:
            if child.type == "ERROR" or child.is_missing:
                return child
            if child.has_error:
                node = child
                break
        else:
            return node


def _syntax_error(source: bytes, root: Any) -> LuaDataError:
    """One error for a broken tree: at a MISSING token, or at the last part of the first
    ERROR (tree-sitter's ERROR holds what it could not fit, the offending token last)."""
    bad = _first_error(root)
    if bad.is_missing:
        wanted = "`,` or `}`" if bad.type == ";" else f"`{bad.type}`"
        return error_at(source, bad.start_byte, f"{wanted} expected")
    last = bad
    while last.children:
        last = last.children[-1]
    if not source[bad.end_byte:].strip() and last.type in _OPENERS:
        return error_at(source, len(source.rstrip()), "unexpected end of input")
    text = source[last.start_byte:last.end_byte][:40].decode("utf-8", "replace")
    near = f" near `{text.splitlines()[0]}`" if text.strip() else ""
    return error_at(source, last.start_byte, f"syntax error{near}")


#: Tokens after which the input cannot end.
_OPENERS = frozenset(("{", "(", "[", "=", ",", ";", ".", ":", '"', "'", "[[", "ERROR",
                      "..", "+", "-", "*", "/", "and", "or", "not", "local", "return"))


def parse_chunk(source: bytes) -> Any:
    """The tree-sitter root of ``source``; LuaDataError if too big or not valid Lua."""
    if len(source) > MAX_BYTES:
        raise LuaDataError(f"larger than {MAX_BYTES} bytes", 1, 1)
    # Every CR is parsed as LF (Lua ends a line at either; the grammar does not read a
    # backslash before CR LF), a BOM and a `#` first line as blanks: the same length, so
    # offsets hold, and values are read from `source`.
    text = source.replace(b"\r", b"\n")
    start = 3 if text.startswith(b"\xef\xbb\xbf") else 0
    end = text.find(b"\n", start) if text[start:start + 1] == b"#" else start
    end = len(text) if end < 0 else end
    root = parser().parse(b" " * end + text[end:]).root_node
    if root.has_error:
        raise _syntax_error(source, root)
    return root
