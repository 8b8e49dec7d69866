"""nginx configuration text to directives, every position exact.

The tokenizer (:mod:`restybuild.conf.tokenizer`) is nginx's ``ngx_conf_read_token``
(src/core/ngx_conf_file.c) state for state, and the parser here is ``ngx_conf_parse``: a word
ends at whitespace (space, tab, CR, LF), ``;`` or ``{``; ``}`` and ``#`` are special only where
a word could start; a quoted word must be followed by whitespace, ``;``, ``{`` or ``)``; a
backslash takes the next character into the word; the ``{`` right after a ``$`` belongs to the
word (``${var}``). Values are unescaped as nginx does (``\\"``, ``\\'``, ``\\\\``, ``\\t``,
``\\r``, ``\\n``; any other backslash stays). The Lua of a ``*_by_lua_block`` directive is
read by :mod:`restybuild.conf.luablock`.

nginx reads the file through a 4096-byte buffer and some of its errors depend on that buffer
(a word or comment of 4096 bytes or more, long Lua brackets); the reader keeps the same buffer
bounds, in bytes, so it rejects exactly what nginx rejects. Errors name the line and column of
the character nginx stops at. Positions are 0-based offsets into the text (characters, not
bytes), lines and columns from 1.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from restybuild.conf.luablock import (
    LUA_BLOCK_ARGS,
    LUA_BLOCK_DIRECTIVES,
    LuaBlockError,
    scan_lua_block,
)
from restybuild.conf.tokenizer import (
    BLOCK_DONE,
    BLOCK_START,
    FILE_DONE,
    TokenError,
    Tokenizer,
    Word,
)
from restybuild.records import dataclass

__all__ = ["LUA_BLOCK_DIRECTIVES", "Arg", "Comment", "ConfSyntaxError", "Document", "LuaBody",
           "Node", "Pos", "parse", "parse_document"]


@dataclass(frozen=True)
class Pos:
    offset: int  # 0-based, in characters of the text
    line: int  # from 1
    col: int  # from 1, in characters (a tab is one)


@dataclass(frozen=True)
class Arg:
    value: str  # as nginx sees it: quotes removed, escapes applied
    raw: str  # the exact source slice, quotes included
    quoted: bool
    start: Pos
    end: Pos


@dataclass(frozen=True)
class LuaBody:
    text: str  # exactly the characters between the block's "{" and "}"
    start: Pos
    end: Pos


@dataclass(frozen=True)
class Node:
    name: str
    name_start: Pos
    name_end: Pos  # just after the name as written (after its closing quote if quoted)
    args: tuple[Arg, ...]
    block: tuple[Node, ...] | None  # None for "name args;" and for Lua blocks
    lua: LuaBody | None  # the Lua of a *_by_lua_block directive
    start: Pos  # the first character of the name
    end: Pos  # just after the terminating ";" or "}"
    open_brace: Pos | None
    close_brace: Pos | None


@dataclass(frozen=True)
class Comment:
    text: str  # from "#" to the end of the line, without the line's CR LF
    start: Pos
    end: Pos


@dataclass(frozen=True)
class Document:
    nodes: tuple[Node, ...]
    comments: tuple[Comment, ...]  # nginx comments (not Lua ones), in source order


class ConfSyntaxError(Exception):
    """What nginx would say, at the character where nginx would say it."""

    def __init__(self, message: str, pos: Pos) -> None:
        super().__init__(message, pos)  # both, so that it pickles
        self.message = message
        self.pos = pos
        self.line = pos.line
        self.col = pos.col
        self.offset = pos.offset

    def __str__(self) -> str:
        return self.message


def parse(text: str) -> tuple[Node, ...]:
    """The top-level directives of a whole configuration file.

    nginx's buffer limits count the file's bytes; they are taken as ``text`` encoded in UTF-8
    (with ``surrogateescape``), so decode files that way to keep them byte for byte.
    Raises :class:`ConfSyntaxError` where nginx would refuse the file.
    """
    return parse_document(text).nodes


def parse_document(text: str) -> Document:
    """The top-level directives and the comments of a whole configuration file."""
    data = text.encode("utf-8", "surrogateescape")
    return _Parser(text, data).run()


_CR = 0x0D
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_EOF_IN_BLOCK = 'unexpected end of file, expecting "}"'


class _Positions:
    """Byte offsets to Pos: character offset, line and column."""

    def __init__(self, text: str, data: bytes) -> None:
        self.lfs = [m.start() for m in re.finditer(b"\n", data)]
        self.ascii = len(text) == len(data)
        self.wide_ends: list[int] = []  # byte offset after each multi-byte character
        self.extra: list[int] = []  # bytes beyond one per character, up to and with it
        if not self.ascii:
            extra = 0
            for m in _NON_ASCII.finditer(text):
                code = ord(m.group())
                if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte kept by surrogateescape
                    continue
                extra += 1 if code < 0x800 else 2 if code < 0x10000 else 3
                self.wide_ends.append(m.end() + extra)
                self.extra.append(extra)

    def char(self, offset: int) -> int:
        if self.ascii:
            return offset
        k = bisect_right(self.wide_ends, offset)
        return offset - (self.extra[k - 1] if k else 0)

    def __call__(self, offset: int) -> Pos:
        k = bisect_left(self.lfs, offset)
        line_start = self.lfs[k - 1] + 1 if k else 0
        char = self.char(offset)
        return Pos(char, k + 1, char - self.char(line_start) + 1)


class _Open:
    __slots__ = ("brace", "children", "words")

    def __init__(self, words: list[Word], brace: int) -> None:
        self.words = words
        self.brace = brace
        self.children: list[Node] = []


class _Parser:
    """ngx_conf_parse, with an explicit stack for nested blocks."""

    def __init__(self, text: str, data: bytes) -> None:
        self.text = text
        self.data = data
        self.at = _Positions(text, data)
        self.tokens = Tokenizer(data)

    def _error(self, message: str, offset: int) -> ConfSyntaxError:
        return ConfSyntaxError(message, self.at(offset))

    def run(self) -> Document:
        top: list[Node] = []
        stack: list[_Open] = []
        try:
            while True:
                rc, words, ender = self.tokens.read()
                siblings = stack[-1].children if stack else top
                if rc == FILE_DONE:
                    if stack:
                        raise TokenError(_EOF_IN_BLOCK, ender)
                    break
                if rc == BLOCK_DONE:
                    if not stack:
                        raise TokenError('unexpected "}"', ender)
                    done = stack.pop()
                    (stack[-1].children if stack else top).append(
                        self._node(done.words, ender + 1, done.brace, ender,
                                   block=tuple(done.children)))
                    continue
                name = words[0].value.decode("utf-8", "surrogateescape")
                if name in LUA_BLOCK_DIRECTIVES:
                    siblings.append(self._lua(name, rc, words, ender))
                elif rc == BLOCK_START:
                    stack.append(_Open(words, ender))
                else:
                    siblings.append(self._node(words, ender + 1, None, None))
        except TokenError as e:
            raise self._error(e.message, e.offset) from None
        except LuaBlockError as e:
            raise self._error(e.message, e.offset) from None
        comments = tuple(self._comment(start, end) for start, end in self.tokens.comments)
        return Document(tuple(top), comments)

    def _lua(self, name: str, rc: int, words: list[Word], ender: int) -> Node:
        # ngx_conf_handler's checks come before the module reads any Lua
        if rc != BLOCK_START:
            raise TokenError(f'directive "{name}" has no opening "{{"', ender)
        if len(words) - 1 != LUA_BLOCK_ARGS[name]:
            raise TokenError(f'invalid number of arguments in "{name}" directive', ender)
        tokens = self.tokens
        close, tokens.wlast = scan_lua_block(self.data, ender + 1, tokens.wlast)
        tokens.pos = close + 1
        body_start, body_end = self.at(ender + 1), self.at(close)
        body = LuaBody(self.text[body_start.offset:body_end.offset], body_start, body_end)
        return self._node(words, close + 1, ender, close, lua=body)

    def _node(self, words: list[Word], end: int, open_brace: int | None,
              close_brace: int | None, block: tuple[Node, ...] | None = None,
              lua: LuaBody | None = None) -> Node:
        args = tuple(self._arg(w) for w in words)
        return Node(name=args[0].value, name_start=args[0].start, name_end=args[0].end,
                    args=args[1:], block=block,
                    lua=lua, start=args[0].start, end=self.at(end),
                    open_brace=None if open_brace is None else self.at(open_brace),
                    close_brace=None if close_brace is None else self.at(close_brace))

    def _arg(self, word: Word) -> Arg:
        start, end = self.at(word.raw_start), self.at(word.raw_end)
        return Arg(value=word.value.decode("utf-8", "surrogateescape"),
                   raw=self.text[start.offset:end.offset], quoted=word.quoted,
                   start=start, end=end)

    def _comment(self, start: int, end: int) -> Comment:
        if end > start and self.data[end - 1] == _CR and end < len(self.data):
            end -= 1
        first, last = self.at(start), self.at(end)
        return Comment(self.text[first.offset:last.offset], first, last)
