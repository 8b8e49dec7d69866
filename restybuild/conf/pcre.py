"""nginx's regular expressions (PCRE, as nginx compiles them) as Python ``re`` patterns.

nginx compiles a ``location ~`` / ``~*`` regex or a ``server_name ~`` regex with PCRE in its
byte mode: no UTF, no Unicode properties, ASCII-only ``\\w``, ``\\d``, ``\\s`` and case folding,
``.`` one byte, ``$`` at the end or before a final newline. A Python ``bytes`` pattern has the
same semantics, so the pattern is rewritten byte for byte and matched (``search``, unanchored,
as ``pcre_exec`` is) against the URI's bytes.

Only what means the same in both is translated. Anything else is refused with a reason
(:class:`Untranslatable`) instead of being guessed: PCRE-only constructs (``\\K``, ``\\R``,
``\\G``, ``\\p{..}``, recursion, branch reset, verbs, callouts, conditionals), back references,
inline options other than ``i``, ``m``, ``s`` or one that is not at the very start, extended
mode (``x``), ``{,n}`` (a literal before PCRE2 10.43 and a quantifier from it on, and nginx may
be built with either), and whatever Python's ``re`` then still will not compile or warns about.
"""

from __future__ import annotations

import re
import warnings

from restybuild.records import dataclass

# a POSIX class of PCRE's "C" locale tables, as the bytes of a Python class
_POSIX = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r"\t\n\x0b\x0c\r ", "blank": r"\t ", "xdigit": "0-9a-fA-F", "word": "a-zA-Z0-9_",
    "punct": r"!-/:-@\[-`{-~", "cntrl": r"\x00-\x1f\x7f", "graph": r"!-~", "print": r" -~",
}
_SIMPLE = {"d", "D", "w", "W", "s", "S", "n", "t", "r", "f", "a"}  # same in both, in a class too
_SPACES = {"h": r"\t \xa0", "v": r"\n\x0b\x0c\r\x85"}  # PCRE's \h and \v without UTF
_QUANT = re.compile(r"\{(\d+)(,\d*)?\}")
_LOOSE = re.compile(r"\{\s*\d*\s*(?:,\s*\d*\s*)?\}")  # what PCRE2 10.43 also takes
_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Untranslatable(Exception):
    """A pattern that nginx's PCRE accepts but Python's ``re`` cannot be trusted with."""


@dataclass(frozen=True)
class Regex:
    """A translated pattern: search it with :meth:`search` (on the text's UTF-8 bytes)."""

    source: str  # as written in the conf
    compiled: re.Pattern[bytes]

    def search(self, text: str) -> bool:
        return self.compiled.search(text.encode("utf-8", "surrogateescape")) is not None


def compile_pcre(pattern: str, caseless: bool = False) -> Regex:
    """`pattern` as nginx compiles it; raises :class:`Untranslatable` with the reason."""
    src = pattern.encode("utf-8", "surrogateescape").decode("latin-1")  # one char a byte
    out = _Translator(src).run()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            compiled = re.compile(out.encode("latin-1"), re.IGNORECASE if caseless else 0)
    except (re.error, Warning) as e:
        raise Untranslatable(f"Python's re does not take it as PCRE does ({e})") from None
    return Regex(pattern, compiled)


def _byte(c: str) -> str:
    return c if c.isascii() and c.isalnum() else f"\\x{ord(c):02x}"


class _Reader:
    """The escapes of a PCRE pattern (inside and outside a class), read in order."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.i = 0
        self.out: list[str] = []
        self.groups = 0  # capturing groups opened so far: what decides \10 (octal or not)

    def escape(self, in_class: bool) -> str:
        src = self.src
        if self.i + 1 >= len(src):
            raise Untranslatable("a pattern ending in a backslash")
        c = src[self.i + 1]
        self.i += 2
        if c in _SIMPLE:
            return "\\" + c
        if c in _SPACES:
            return _SPACES[c] if in_class else f"[{_SPACES[c]}]"
        if c in "HV" and not in_class:
            return f"[^{_SPACES[c.lower()]}]"
        if c == "e":
            return r"\x1b"
        if c == "x":
            return self.hex_escape()
        if c == "0":
            digits = re.match(r"[0-7]{0,2}", src[self.i:])
            assert digits is not None
            self.i += digits.end()
            return f"\\x{int('0' + digits.group(), 8):02x}"
        if c == "Q":
            end = src.find("\\E", self.i)
            end = len(src) if end < 0 else end
            text, self.i = src[self.i:end], min(end + 2, len(src))
            return "".join(_byte(ch) for ch in text)
        if c == "E":
            return ""
        if not in_class:
            special = {"b": r"\b", "B": r"\B", "A": r"\A", "z": r"\Z", "Z": r"(?=\n?\Z)"}
            if c in special:
                return special[c]
        elif c == "b":
            return r"\x08"
        if c in "123456789":
            return self.digits(c, in_class)
        if c.isascii() and c.isalnum():
            raise Untranslatable(f"the escape \\{c} means something else, or nothing, in Python")
        return _byte(c)

    def digits(self, first: str, in_class: bool) -> str:
        """PCRE's \\N: a back reference (not translated) or up to three octal digits."""
        decimal = re.match(r"\d*", self.src[self.i:])
        assert decimal is not None
        number = int(first + decimal.group())
        if not in_class and (number < 10 or first in "89" or number <= self.groups):
            raise Untranslatable("back references are not translated")
        octal = re.match(r"[0-7]{0,2}", self.src[self.i:]) if first in "01234567" else None
        if octal is None:
            raise Untranslatable(f"\\{first} is no octal escape")
        value = int(first + octal.group(), 8)
        if value > 0xFF:
            raise Untranslatable("an octal escape beyond one byte needs UTF mode")
        self.i += octal.end()
        return f"\\x{value:02x}"

    def hex_escape(self) -> str:
        src = self.src
        if src.startswith("{", self.i):
            m = re.match(r"\{([0-9a-fA-F]+)\}", src[self.i:])
            if not m or int(m.group(1), 16) > 0xFF:
                raise Untranslatable("a \\x{...} beyond one byte needs UTF mode")
            self.i += m.end()
            return f"\\x{int(m.group(1), 16):02x}"
        m = re.match(r"[0-9a-fA-F]{1,2}", src[self.i:])
        if not m:
            raise Untranslatable("a \\x without hex digits")
        self.i += m.end()
        return f"\\x{int(m.group(), 16):02x}"



class _Translator(_Reader):
    def run(self) -> str:
        src = self.src
        while self.i < len(src):
            c = src[self.i]
            if c == "\\":
                self.out.append(self.escape(in_class=False))
            elif c == "[":
                self.out.append(self.char_class())
            elif c == "(":
                self.out.append(self.group())
            elif c == "{":
                self.out.append(self.brace())
            elif c in ".^$|)*+?":
                self.out.append(c)
                self.i += 1
            else:
                self.out.append(_byte(c))
                self.i += 1
        return "".join(self.out)

    def brace(self) -> str:
        m = _QUANT.match(self.src, self.i)
        if m:
            self.i = m.end()
            return m.group()
        loose = _LOOSE.match(self.src, self.i)
        if loose and any(ch.isdigit() for ch in loose.group()):
            raise Untranslatable(f"{loose.group()!r} is a literal before PCRE2 10.43 and a "
                                 "quantifier from it on")
        self.i += 1
        return r"\x7b"

    def group(self) -> str:
        src, i = self.src, self.i
        if src.startswith("(?#", i):
            end = src.find(")", i)
            if end < 0:
                raise Untranslatable("an unterminated comment")
            self.i = end + 1
            return ""
        if src.startswith("(*", i):
            raise Untranslatable("PCRE verbs and options like (*UTF) have no Python equivalent")
        if not src.startswith("(?", i):
            self.i += 1
            self.groups += 1
            return "("
        for head, py in (("(?:", "(?:"), ("(?=", "(?="), ("(?!", "(?!"), ("(?<=", "(?<="),
                         ("(?<!", "(?<!"), ("(?>", "(?>")):
            if src.startswith(head, i):
                self.i += len(head)
                return py
        return self.named_or_flags()

    def named_or_flags(self) -> str:
        src, i = self.src, self.i
        for head, close in (("(?<", ">"), ("(?'", "'"), ("(?P<", ">")):
            if src.startswith(head, i):
                m = _NAME.match(src, i + len(head))
                if not m or not src.startswith(close, m.end()):
                    raise Untranslatable("a group name Python cannot take")
                self.i = m.end() + 1
                self.groups += 1
                return f"(?P<{m.group()}>"
        if re.match(r"\(\?(R|[+-]?\d|&|P>|\(|C)", src[i:]):
            raise Untranslatable("recursion, conditionals and callouts have no Python twin")
        m = _FLAGS.match(src, i)
        if not m:
            raise Untranslatable(f"the PCRE construct {src[i:i + 4]!r}... has no Python twin")
        on, off, end = m.group(1), m.group(2) or "", m.group(3)
        if set(on + off) - set("ims"):
            raise Untranslatable(f"the inline option {m.group()!r} is not one Python shares")
        if end == ")" and (i != 0 or off):
            raise Untranslatable(f"the option {m.group()!r} applies from the middle on in PCRE")
        self.i = m.end()
        return m.group()

    def char_class(self) -> str:
        src = self.src
        self.i += 1
        parts = ["["]
        if src.startswith("^", self.i):
            parts.append("^")
            self.i += 1
        first = True
        while True:
            if self.i >= len(src):
                raise Untranslatable("an unterminated character class")
            c = src[self.i]
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "\\":
                parts.append(self.escape(in_class=True))
            elif c == "[" and src.startswith(("[:", "[.", "[="), self.i):
                parts.append(self.posix())
            elif c == "-":
                parts.append("-")
                self.i += 1
            else:
                parts.append(_byte(c))
                self.i += 1
        return "".join(parts) + "]"

    def posix(self) -> str:
        m = re.match(r"\[:(\^?)([a-z]+):\]", self.src[self.i:])
        if not m or m.group(1) or m.group(2) not in _POSIX:
            raise Untranslatable("a POSIX class Python has no bytes for")
        self.i += m.end()
        return _POSIX[m.group(2)]
