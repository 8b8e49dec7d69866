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
_ENDS = frozenset((_SEMI, _LBRACE))  # what ends a directive that has words

_WS_RUN = re.compile(rb"[ \t\r\n]+")
_WORD_RUN = re.compile(rb"[^ \t\r\n;{\\$]+")
_DQ_RUN = re.compile(rb'[^"\\]+')
_SQ_RUN = re.compile(rb"[^'\\]+")
_ESCAPE = re.compile(rb"""\\(["'\\tnr])""")
_UNESCAPED = {b'"': b'"', b"'": b"'", b"\\": b"\\", b"t": b"\t", b"r": b"\r", b"n": b"\n"}

OK, BLOCK_START, BLOCK_DONE, FILE_DONE = range(4)
#: how :func:`_read_word` saw a word end besides OK and BLOCK_START (its ";" or "{")
_SPACE, _CLOSED, _EOF, _LONG = -1, -2, -3, -4
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
        """One directive's words; returns (what ended them, the words, offset of the ender).

        This loop is nginx's state between words (``last_space``, ``need_space``); a word,
        from its first character on, is read by :func:`_read_word`."""
        data, n = self.data, self.n
        pos, wlast = self.pos, self.wlast
        words: list[Word] = []
        need_space = False  # after a closing quote: a space, ";", "{" or ")" must follow
        start = raw_start = pos  # nginx's ``start``: what a buffer refill keeps
        try:
            while True:
                if pos >= wlast:
                    if wlast >= n:
                        if words:
                            raise TokenError(_EOF_IN_DIRECTIVE, n)
                        return FILE_DONE, words, n
                    if pos - start == CONF_BUFFER:
                        raise self._too_long(start, raw_start, 0)
                    wlast = min(n, start + CONF_BUFFER)
                ch = data[pos]
                pos += 1
                if need_space:
                    if ch in _WS:
                        need_space = False
                        continue
                    if ch in _ENDS:
                        return (OK if ch == _SEMI else BLOCK_START), words, pos - 1
                    if ch != _RPAREN:
                        raise TokenError(f'unexpected "{_char_at(data, pos - 1)}"', pos - 1)
                    need_space = False  # ")" starts a word: if ($a = "b")
                start = raw_start = pos - 1
                if ch in _WS:
                    m = _WS_RUN.match(data, pos, wlast)
                    if m:
                        pos = m.end()
                        start = raw_start = pos - 1
                    continue
                if ch in _ENDS:
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
                pos, wlast, end = _read_word(data, n, pos, wlast, ch, words)
                if end == _SPACE:
                    continue
                if end >= 0:
                    return end, words, pos - 1
                if end == _CLOSED:
                    need_space, start = True, raw_start + 1
                    continue
                raise self._cut_word(end, raw_start)
        finally:
            self.pos, self.wlast = pos, wlast

    def _cut_word(self, end: int, raw_start: int) -> TokenError:
        """The error for the word at `raw_start` cut by the buffer's end (`end` _EOF: the
        file ended in it; _LONG: it fills the buffer)."""
        if end == _EOF:
            return TokenError(_EOF_IN_DIRECTIVE, self.n)
        quote = self.data[raw_start]
        if quote in (_DQUOTE, _SQUOTE):
            return self._too_long(raw_start + 1, raw_start, quote)
        return self._too_long(raw_start, raw_start, 0)

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


def _read_word(data: bytes, n: int, pos: int, wlast: int, ch: int,
               words: list[Word]) -> tuple[int, int, int]:
    """Read the word whose first character, `ch`, is at ``pos - 1``, and append it to
    `words`: nginx's states inside a word (``quoted`` after a backslash,
    ``variable`` after a ``$``, ``d_quoted``/``s_quoted``). Returns (pos, wlast, how it
    ended): OK or BLOCK_START (its ";" or "{"), _SPACE, _CLOSED (its closing quote), or,
    cut by the buffer's end, _EOF or _LONG (:meth:`Tokenizer._cut_word` has the error)."""
    start = raw_start = pos - 1
    quoted = ch == _BSLASH
    variable = ch == _DOLLAR
    quote = 0  # the word's quote, if it is quoted
    if ch in (_DQUOTE, _SQUOTE):
        start += 1
        quote = ch
    elif not quoted and not variable:
        m = _WORD_RUN.match(data, pos, wlast)
        if m:
            pos = m.end()
    while True:
        if pos >= wlast:
            if wlast >= n:
                return pos, wlast, _EOF
            if pos - start == CONF_BUFFER:
                return pos, wlast, _LONG
            wlast = min(n, start + CONF_BUFFER)
        ch = data[pos]
        pos += 1
        if quoted:
            quoted = False
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
            return pos, wlast, _CLOSED
        if ch in _WS:
            words.append(Word(raw_start, pos - 1, _unescape(data[start:pos - 1]), False))
            return pos, wlast, _SPACE
        if ch in _ENDS:
            words.append(Word(raw_start, pos - 1, _unescape(data[start:pos - 1]), False))
            return pos, wlast, OK if ch == _SEMI else BLOCK_START
        m = _WORD_RUN.match(data, pos, wlast)
        if m:
            pos = m.end()


def _char_at(data: bytes, offset: int) -> str:
    return data[offset:offset + 4].decode("utf-8", "replace")[:1]
