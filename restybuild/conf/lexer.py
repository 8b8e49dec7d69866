"""nginx configuration text to directives, every position exact.

The tokenizer is nginx's ``ngx_conf_read_token`` (src/core/ngx_conf_file.c) state for state,
and the parser is ``ngx_conf_parse``: a word ends at whitespace (space, tab, CR, LF), ``;`` or
``{``; ``}`` and ``#`` are special only where a word could start; a quoted word must be followed
by whitespace, ``;``, ``{`` or ``)``; a backslash takes the next character into the word; the
``{`` right after a ``$`` belongs to the word (``${var}``). Values are unescaped as nginx does
(``\\"``, ``\\'``, ``\\\\``, ``\\t``, ``\\r``, ``\\n``; any other backslash stays). The Lua of a
``*_by_lua_block`` directive is read by :mod:`restybuild.conf.luablock`.

nginx reads the file through a 4096-byte buffer and some of its errors depend on that buffer
(a word or comment of 4096 bytes or more, long Lua brackets); the reader keeps the same buffer
bounds, in bytes, so it rejects exactly what nginx rejects. Errors name the line and column of
the character nginx stops at. Positions are 0-based offsets into the text (characters, not
bytes), lines and columns from 1.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from restybuild.conf.luablock import (
    CONF_BUFFER,
    LUA_BLOCK_ARGS,
    LUA_BLOCK_DIRECTIVES,
    LuaBlockError,
    scan_lua_block,
)

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
    """The top-level directives of a whole configuration file."""
    return parse_document(text).nodes


def parse_document(text: str) -> Document:
    """The top-level directives and the comments of a whole configuration file."""
    data = text.encode("utf-8", "surrogateescape")
    return _Parser(text, data).run()


_SP, _TAB, _CR, _LF = 0x20, 0x09, 0x0D, 0x0A
_SEMI, _LBRACE, _RBRACE, _HASH = 0x3B, 0x7B, 0x7D, 0x23
_BSLASH, _DQUOTE, _SQUOTE, _DOLLAR, _RPAREN = 0x5C, 0x22, 0x27, 0x24, 0x29
_WS = frozenset((_SP, _TAB, _CR, _LF))

_WS_RUN = re.compile(rb"[ \t\r\n]+")
_WORD_RUN = re.compile(rb"[^ \t\r\n;{\\$]+")
_DQ_RUN = re.compile(rb'[^"\\]+')
_SQ_RUN = re.compile(rb"[^'\\]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ESCAPE = re.compile(rb"""\\(["'\\tnr])""")
_UNESCAPED = {b'"': b'"', b"'": b"'", b"\\": b"\\", b"t": b"\t", b"r": b"\r", b"n": b"\n"}

_OK, _BLOCK_START, _BLOCK_DONE, _FILE_DONE = range(4)
_EOF_IN_DIRECTIVE = 'unexpected end of file, expecting ";" or "}"'
_EOF_IN_BLOCK = 'unexpected end of file, expecting "}"'


def _unescape(raw: bytes) -> bytes:
    if b"\\" not in raw:
        return raw
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], raw)


class _Word:
    __slots__ = ("quoted", "raw_end", "raw_start", "value")

    def __init__(self, raw_start: int, raw_end: int, value: bytes, quoted: bool) -> None:
        self.raw_start = raw_start
        self.raw_end = raw_end
        self.value = value
        self.quoted = quoted


class _Error(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class _Tokenizer:
    """ngx_conf_read_token over the file's bytes, with nginx's buffer bounds."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)
        self.pos = 0
        self.wlast = 0  # file offset where nginx's buffer ends (all before it has been read)
        self.comments: list[tuple[int, int]] = []

    def _too_long(self, start: int, at: int, quote: int) -> _Error:
        # nginx names the line where the word began (its opening quote, if quoted)
        if quote:
            return _Error('too long parameter, probably missing terminating '
                          f'"{chr(quote)}" character', at)
        shown = self.data[start:start + 10].decode("utf-8", "replace")
        return _Error(f'too long parameter "{shown}..." started', at)

    def read(self) -> tuple[int, list[_Word], int]:
        """One directive's words; returns (what ended them, the words, offset of the ender)."""
        data, n = self.data, self.n
        pos, wlast = self.pos, self.wlast
        words: list[_Word] = []
        need_space = variable = quoted = False
        last_space = True
        quote = 0  # the quote of the word being read, if it is quoted
        start = raw_start = pos
        try:
            while True:
                if pos >= wlast:
                    if wlast >= n:
                        if words or not last_space:
                            raise _Error(_EOF_IN_DIRECTIVE, n)
                        return _FILE_DONE, words, n
                    if pos - start == CONF_BUFFER:
                        raise self._too_long(start, raw_start, quote)
                    wlast = min(n, start + CONF_BUFFER)
                ch = data[pos]
                pos += 1
                if quoted:
                    quoted = False
                    continue
                if need_space:
                    if ch in _WS:
                        last_space, need_space = True, False
                        continue
                    if ch == _SEMI:
                        return _OK, words, pos - 1
                    if ch == _LBRACE:
                        return _BLOCK_START, words, pos - 1
                    if ch != _RPAREN:
                        raise _Error(f'unexpected "{_char_at(data, pos - 1)}"', pos - 1)
                    last_space, need_space = True, False  # ")" starts a word: if ($a = "b")
                if last_space:
                    start = raw_start = pos - 1
                    if ch in _WS:
                        m = _WS_RUN.match(data, pos, wlast)
                        if m:
                            pos = m.end()
                            start = raw_start = pos - 1
                        continue
                    if ch in (_SEMI, _LBRACE):
                        if not words:
                            raise _Error(f'unexpected "{chr(ch)}"', pos - 1)
                        return (_OK if ch == _SEMI else _BLOCK_START), words, pos - 1
                    if ch == _RBRACE:
                        if words:
                            raise _Error('unexpected "}"', pos - 1)
                        return _BLOCK_DONE, words, pos - 1
                    if ch == _HASH:
                        pos, wlast = self._comment(pos, wlast, start)
                        continue
                    last_space = False
                    if ch == _BSLASH:
                        quoted = True
                    elif ch in (_DQUOTE, _SQUOTE):
                        start += 1
                        quote = ch
                    elif ch == _DOLLAR:
                        variable = True
                    else:
                        m = _WORD_RUN.match(data, pos, wlast)
                        if m:
                            pos = m.end()
                    continue
                if ch == _LBRACE and variable:
                    continue
                variable = False
                if ch == _BSLASH:
                    quoted = True
                    continue
                if ch == _DOLLAR:
                    variable = True
                    continue
                if quote:
                    if ch != quote:
                        m = (_DQ_RUN if quote == _DQUOTE else _SQ_RUN).match(data, pos, wlast)
                        if m:
                            pos = m.end()
                        continue
                    words.append(_Word(raw_start, pos, _unescape(data[start:pos - 1]), True))
                    quote = 0
                    need_space = True
                    continue
                if ch in _WS or ch in (_SEMI, _LBRACE):
                    words.append(_Word(raw_start, pos - 1, _unescape(data[start:pos - 1]), False))
                    last_space = True
                    if ch == _SEMI:
                        return _OK, words, pos - 1
                    if ch == _LBRACE:
                        return _BLOCK_START, words, pos - 1
                    continue
                m = _WORD_RUN.match(data, pos, wlast)
                if m:
                    pos = m.end()
        finally:
            self.pos, self.wlast = pos, wlast

    def _comment(self, pos: int, wlast: int, start: int) -> tuple[int, int]:
        """Skip a comment that began at ``pos - 1``, up to its LF (which is left unread)."""
        lf = self.data.find(b"\n", pos)
        end = self.n if lf < 0 else lf
        while pos < end:
            if pos >= wlast:
                if pos - start == CONF_BUFFER:  # nginx's "word" start stays at the "#"
                    self.pos = pos
                    raise self._too_long(start, start, 0)
                wlast = min(self.n, start + CONF_BUFFER)
            pos = min(end, wlast)
        self.comments.append((start, end))
        return pos, wlast


def _char_at(data: bytes, offset: int) -> str:
    return data[offset:offset + 4].decode("utf-8", "replace")[:1]


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

    def __init__(self, words: list[_Word], brace: int) -> None:
        self.words = words
        self.brace = brace
        self.children: list[Node] = []


class _Parser:
    """ngx_conf_parse, with an explicit stack for nested blocks."""

    def __init__(self, text: str, data: bytes) -> None:
        self.text = text
        self.data = data
        self.at = _Positions(text, data)
        self.tokens = _Tokenizer(data)

    def _error(self, message: str, offset: int) -> ConfSyntaxError:
        return ConfSyntaxError(message, self.at(offset))

    def run(self) -> Document:
        top: list[Node] = []
        stack: list[_Open] = []
        try:
            while True:
                rc, words, ender = self.tokens.read()
                siblings = stack[-1].children if stack else top
                if rc == _FILE_DONE:
                    if stack:
                        raise _Error(_EOF_IN_BLOCK, ender)
                    break
                if rc == _BLOCK_DONE:
                    if not stack:
                        raise _Error('unexpected "}"', ender)
                    done = stack.pop()
                    (stack[-1].children if stack else top).append(
                        self._node(done.words, ender + 1, done.brace, ender,
                                   block=tuple(done.children)))
                    continue
                name = words[0].value.decode("utf-8", "surrogateescape")
                if name in LUA_BLOCK_DIRECTIVES:
                    siblings.append(self._lua(name, rc, words, ender))
                elif rc == _BLOCK_START:
                    stack.append(_Open(words, ender))
                else:
                    siblings.append(self._node(words, ender + 1, None, None))
        except _Error as e:
            raise self._error(e.message, e.offset) from None
        except LuaBlockError as e:
            raise self._error(e.message, e.offset) from None
        comments = tuple(self._comment(start, end) for start, end in self.tokens.comments)
        return Document(tuple(top), comments)

    def _lua(self, name: str, rc: int, words: list[_Word], ender: int) -> Node:
        # ngx_conf_handler's checks come before the module reads any Lua
        if rc != _BLOCK_START:
            raise _Error(f'directive "{name}" has no opening "{{"', ender)
        if len(words) - 1 != LUA_BLOCK_ARGS[name]:
            raise _Error(f'invalid number of arguments in "{name}" directive', ender)
        tokens = self.tokens
        close, tokens.wlast = scan_lua_block(self.data, ender + 1, tokens.wlast)
        tokens.pos = close + 1
        body_start, body_end = self.at(ender + 1), self.at(close)
        body = LuaBody(self.text[body_start.offset:body_end.offset], body_start, body_end)
        return self._node(words, close + 1, ender, close, lua=body)

    def _node(self, words: list[_Word], end: int, open_brace: int | None,
              close_brace: int | None, block: tuple[Node, ...] | None = None,
              lua: LuaBody | None = None) -> Node:
        args = tuple(self._arg(w) for w in words)
        return Node(name=args[0].value, name_start=args[0].start, name_end=args[0].end,
                    args=args[1:], block=block,
                    lua=lua, start=args[0].start, end=self.at(end),
                    open_brace=None if open_brace is None else self.at(open_brace),
                    close_brace=None if close_brace is None else self.at(close_brace))

    def _arg(self, word: _Word) -> Arg:
        start, end = self.at(word.raw_start), self.at(word.raw_end)
        return Arg(value=word.value.decode("utf-8", "surrogateescape"),
                   raw=self.text[start.offset:end.offset], quoted=word.quoted,
                   start=start, end=end)

    def _comment(self, start: int, end: int) -> Comment:
        if end > start and self.data[end - 1] == _CR and end < len(self.data):
            end -= 1
        first, last = self.at(start), self.at(end)
        return Comment(self.text[first.offset:last.offset], first, last)
