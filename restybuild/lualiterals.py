"""The values of Lua string and number literals, decoded by hand (no regular expression).

Strings follow Lua 5.4's lexer (llex.c), which LuaJIT 2.1 matches: ``'..'`` and ``".."``
with the escapes ``\\a \\b \\f \\n \\r \\t \\v \\\\ \\" \\'``, a backslash-newline, ``\\z``
(skips the following white space), ``\\xhh`` (two hex digits), ``\\ddd`` (up to three
decimal digits, at most 255) and ``\\u{h..}`` (at most 7FFFFFFF, written as UTF-8); long
brackets ``[[..]]`` / ``[==[..]==]`` with no escapes, the first newline dropped and every
line ending read as ``\\n``. The bytes are then read as UTF-8 (a byte that is not valid
UTF-8 becomes U+FFFD). Numbers: decimal and hex integers and floats (``0x1p4``); a decimal
integer beyond 64 bits is a float, a hex one wraps around, as in Lua 5.4.
"""

from __future__ import annotations

HEX = frozenset(b"0123456789abcdefABCDEF")
DIGITS = frozenset(b"0123456789")
SPACE = frozenset(b" \t\n\r\f\v")
SIMPLE = {ord("a"): b"\a", ord("b"): b"\b", ord("f"): b"\f", ord("n"): b"\n",
          ord("r"): b"\r", ord("t"): b"\t", ord("v"): b"\v", ord("\\"): b"\\",
          ord('"'): b'"', ord("'"): b"'"}
NEWLINE = (10, 13)
#: LuaJIT's number suffixes (int64, uint64, imaginary): valid, but not a plain number.
LUAJIT_SUFFIXES = ("ull", "ll", "i")


class LiteralError(Exception):
    """A literal Lua would refuse; ``offset`` is a byte offset in the literal."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def string_value(raw: bytes) -> str:
    """The value of a whole string literal (delimiters included)."""
    if raw[:1] in (b'"', b"'"):
        if len(raw) < 2 or raw[-1:] != raw[:1]:
            raise LiteralError("unfinished string", 0)
        return _short(raw, 1, len(raw) - 1).decode("utf-8", "replace")
    if raw[:1] == b"[":
        level = 1
        while raw[level:level + 1] == b"=":
            level += 1
        close = b"]" + raw[1:level] + b"]"
        if raw[level:level + 1] != b"[" or not raw.endswith(close) or len(raw) < 2 * level + 2:
            raise LiteralError("unfinished long string", 0)
        return _long(raw[level + 1:len(raw) - level - 1]).decode("utf-8", "replace")
    raise LiteralError("not a string", 0)


def _long(body: bytes) -> bytes:
    if body[:2] in (b"\r\n", b"\n\r"):
        body = body[2:]
    elif body[:1] in (b"\n", b"\r"):
        body = body[1:]
    if b"\r" not in body:
        return body
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        ch = body[i]
        if ch in NEWLINE:
            out += b"\n"
            if i + 1 < n and body[i + 1] in NEWLINE and body[i + 1] != ch:
                i += 1
        else:
            out.append(ch)
        i += 1
    return bytes(out)


def _short(raw: bytes, start: int, end: int) -> bytes:
    """Bytes ``raw[start:end]`` of a quoted string, escapes decoded."""
    nl = raw.find(b"\n", start, end)
    cr = raw.find(b"\r", start, end)
    slash = raw.find(b"\\", start, end)
    if slash < 0:
        if nl >= 0 or cr >= 0:
            raise LiteralError("unfinished string", max(nl, cr))
        return raw[start:end]
    out = bytearray()
    i = start
    while i < end:
        slash = raw.find(b"\\", i, end)
        chunk_end = end if slash < 0 else slash
        for stop in (raw.find(b"\n", i, chunk_end), raw.find(b"\r", i, chunk_end)):
            if stop >= 0:
                raise LiteralError("unfinished string", stop)
        out += raw[i:chunk_end]
        if slash < 0:
            break
        i = _escape(raw, slash, end, out)
    return bytes(out)


def _escape(raw: bytes, at: int, end: int, out: bytearray) -> int:
    """Decode the escape at ``raw[at] == '\\'`` into ``out``; the offset after it."""
    i = at + 1
    if i >= end:
        raise LiteralError("unfinished string", at)
    ch = raw[i]
    if ch in SIMPLE:
        out += SIMPLE[ch]
        return i + 1
    if ch in NEWLINE:
        out += b"\n"
        if i + 1 < end and raw[i + 1] in NEWLINE and raw[i + 1] != ch:
            return i + 2
        return i + 1
    if ch == ord("z"):
        i += 1
        while i < end and raw[i] in SPACE:
            i += 1
        return i
    if ch == ord("x"):
        digits = raw[i + 1:i + 3]
        if len(digits) != 2 or not all(d in HEX for d in digits):
            raise LiteralError("hexadecimal digit expected", at)
        out.append(int(digits, 16))
        return i + 3
    if ch == ord("u"):
        return _unicode(raw, at, end, out)
    if ch in DIGITS:
        j = i
        while j < end and j < i + 3 and raw[j] in DIGITS:
            j += 1
        value = int(raw[i:j])
        if value > 255:
            raise LiteralError("decimal escape too large", at)
        out.append(value)
        return j
    raise LiteralError("invalid escape sequence", at)


def _unicode(raw: bytes, at: int, end: int, out: bytearray) -> int:
    i = at + 2
    if i >= end or raw[i] != ord("{"):
        raise LiteralError("missing '{' in \\u{xxxx}", at)
    j = i + 1
    while j < end and raw[j] in HEX:
        j += 1
    if j == i + 1:
        raise LiteralError("hexadecimal digit expected", at)
    if j >= end or raw[j] != ord("}"):
        raise LiteralError("missing '}' in \\u{xxxx}", at)
    value = int(raw[i + 1:j], 16)
    if value > 0x7FFFFFFF:
        raise LiteralError("UTF-8 value too large", at)
    out += utf8_bytes(value)
    return j + 1


def utf8_bytes(value: int) -> bytes:
    """Lua's ``luaO_utf8esc``: UTF-8 extended to 31 bits (up to six bytes)."""
    if value < 0x80:
        return bytes([value])
    tail: list[int] = []
    first_max = 0x3F  # the most the first byte can still hold
    while value > first_max:
        tail.append(0x80 | (value & 0x3F))
        value >>= 6
        first_max >>= 1
    first = ((~first_max << 1) & 0xFF) | value
    return bytes([first, *reversed(tail)])


def number_value(text: str) -> int | float | None:
    """The value of a number literal; None for a LuaJIT suffixed one (``1LL``, ``2i``)."""
    low = text.lower()
    suffix = next((s for s in LUAJIT_SUFFIXES if low.endswith(s)), "")
    if suffix:
        _plain(low[:-len(suffix)])
        return None
    return _plain(low)


def _plain(low: str) -> int | float:
    if low.startswith("0x"):
        return _hex(low[2:])
    mantissa, _, exponent = low.partition("e")
    if not _mantissa(mantissa, DIGITS) or ("e" in low and not _exponent(exponent)):
        raise LiteralError("malformed number", 0)
    if "." in low or "e" in low:
        return float(low)
    value = int(low)
    return value if value < 2**63 else float(value)


def _hex(body: str) -> int | float:
    mantissa, _, exponent = body.partition("p")
    if not _mantissa(mantissa, HEX) or ("p" in body and not _exponent(exponent)):
        raise LiteralError("malformed number", 0)
    if "." in body or "p" in body:
        try:
            return float.fromhex("0x" + body)
        except OverflowError:
            return float("inf")
    value = int(mantissa, 16) & (2**64 - 1)
    return value - 2**64 if value >= 2**63 else value


def _mantissa(text: str, digits: frozenset[int]) -> bool:
    whole, _, frac = text.partition(".")
    if "." in frac or not (whole or frac):
        return False
    return all(ord(c) in digits for c in whole + frac)


def _exponent(text: str) -> bool:
    text = text[1:] if text[:1] in ("+", "-") else text
    return bool(text) and all(ord(c) in DIGITS for c in text)
