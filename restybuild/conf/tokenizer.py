"""nginx's ``ngx_conf_read_token`` (src/core/ngx_conf_file.c), state for state, over bytes.

``Tokenizer.read`` returns one directive's words and what ended them, as nginx's function
does, and keeps nginx's 4096-byte buffer bounds (``wlast``, the file offset the buffer has
been filled to) so that its errors for long words and comments come where nginx's do. Runs of
plain characters are skipped with regular expressions, never past the buffer's end.
"""

from __future__ import annotations

import re

from restybuild.conf.luablock import CONF_BUFFER

_SP, _TAB, _CR, _LF = 0x20, 0x09, 0x0D, 0x0A
_SEMI, _LBRACE, _RBRACE, _HASH = 0x3B, 0x7B, 0x7D, 0x23
_BSLASH, _DQUOTE, _SQUOTE, _DOLLAR, _RPAREN = 0x5C, 0x22, 0x27, 0x24, 0x29
_WS = frozenset((_SP, _TAB, _CR, _LF))

_WS_RUN = re.compile(rb"[ \t\r\n]+")
_WORD_RUN = re.compile(rb"[^ \t\r\n;{\\$]+")
_DQ_RUN = re.compile(rb'[^"\\]+')
_SQ_RUN = re.compile(rb"[^'\\]+")
_ESCAPE = re.compile(rb"""\\(["'\\tnr])""")
_UNESCAPED = {b'"': b'"', b"'": b"'", b"\\": b"\\", b"t": b"\t", b"r": b"\r", b"n": b"\n"}

OK, BLOCK_START, BLOCK_DONE, FILE_DONE = range(4)
_EOF_IN_DIRECTIVE = 'unexpected end of file, expecting ";" or "}"'


def _unescape(raw: bytes) -> bytes:
    if b"\\" not in raw:
        return raw
    return _ESCAPE.sub(lambda m: _UNESCAPED[m.group(1)], raw)


class Word:
    __slots__ = ("quoted", "raw_end", "raw_start", "value")

    def __init__(self, raw_start: int, raw_end: int, value: bytes, quoted: bool) -> None:
        self.raw_start = raw_start
        self.raw_end = raw_end
        self.value = value
        self.quoted = quoted


class TokenError(Exception):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class Tokenizer:
    """ngx_conf_read_token over the file's bytes, with nginx's buffer bounds."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.n = len(data)
        self.pos = 0
        self.wlast = 0  # file offset where nginx's buffer ends (all before it has been read)
        self.comments: list[tuple[int, int]] = []

    def _too_long(self, start: int, at: int, quote: int) -> TokenError:
        # nginx names the line where the word began (its opening quote, if quoted)
        if quote:
            return TokenError('too long parameter, probably missing terminating '
                          f'"{chr(quote)}" character', at)
        shown = self.data[start:start + 10].decode("utf-8", "replace")
        return TokenError(f'too long parameter "{shown}..." started', at)

    def read(self) -> tuple[int, list[Word], int]:
        """One directive's words; returns (what ended them, the words, offset of the ender)."""
        data, n = self.data, self.n
        pos, wlast = self.pos, self.wlast
        words: list[Word] = []
        need_space = variable = quoted = False
        last_space = True
        quote = 0  # the quote of the word being read, if it is quoted
        start = raw_start = pos
        try:
            while True:
                if pos >= wlast:
                    if wlast >= n:
                        if words or not last_space:
                            raise TokenError(_EOF_IN_DIRECTIVE, n)
                        return FILE_DONE, words, n
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
                        return OK, words, pos - 1
                    if ch == _LBRACE:
                        return BLOCK_START, words, pos - 1
                    if ch != _RPAREN:
                        raise TokenError(f'unexpected "{_char_at(data, pos - 1)}"', pos - 1)
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
                            raise TokenError(f'unexpected "{chr(ch)}"', pos - 1)
                        return (OK if ch == _SEMI else BLOCK_START), words, pos - 1
                    if ch == _RBRACE:
                        if words:
                            raise TokenError('unexpected "}"', pos - 1)
                        return BLOCK_DONE, words, pos - 1
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
                    words.append(Word(raw_start, pos, _unescape(data[start:pos - 1]), True))
                    quote = 0
                    need_space = True
                    continue
                if ch in _WS or ch in (_SEMI, _LBRACE):
                    words.append(Word(raw_start, pos - 1, _unescape(data[start:pos - 1]), False))
                    last_space = True
                    if ch == _SEMI:
                        return OK, words, pos - 1
                    if ch == _LBRACE:
                        return BLOCK_START, words, pos - 1
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
