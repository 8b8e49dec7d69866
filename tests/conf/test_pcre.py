"""nginx's PCRE regexes as Python patterns: what is translated, and what is refused."""

from __future__ import annotations

import pytest

from restybuild.conf.pcre import Untranslatable, compile_pcre


@pytest.mark.parametrize(("pattern", "caseless", "hits", "misses"), [
    (r"\.(gif|jpg)$", False, ["/a.gif", "/a.jpg"], ["/a.GIF", "/a.gifx"]),
    (r"\.(gif|jpg)$", True, ["/a.GIF", "/a.Jpg"], ["/a.png"]),
    (r"^/(?<v>v\d+)/", False, ["/v1/x"], ["/v/x"]),
    (r"^/(?'v'v\d+)/", False, ["/v22/"], ["/x/"]),
    (r"^/n[[:digit:][:upper:]]+$", False, ["/n1A"], ["/n1a"]),
    (r"^/[[:punct:]]$", False, ["/!", "/~", "/["], ["/a"]),
    (r"^/\x41\x{42}\103\0?$", False, ["/ABC"], ["/abc"]),
    (r"^/a\z", False, ["/a"], ["/a\n"]),
    (r"^/a\Z", False, ["/a", "/a\n"], ["/a\nb"]),
    (r"^/a$", False, ["/a", "/a\n"], ["/a\nb"]),  # PCRE's $ as Python's: also before a final \n
    (r"^/\Qa.b\E$", False, ["/a.b"], ["/axb"]),
    (r"^/[]a]$", False, ["/]", "/a"], ["/b"]),
    (r"^/[^]a]$", False, ["/b"], ["/]", "/a"]),
    (r"^/[[&|~]$", False, ["/[", "/&", "/|", "/~"], ["/a"]),
    (r"^/\h\v$", False, ["/\t\n", "/ \r"], ["/ab"]),
    (r"^/\w+$", False, ["/a_1"], ["/café"]),  # \w is ASCII: PCRE without UTF
    (r"^/caf.$", False, [], ["/café"]),  # . is one byte, é two
    (r"^/caf..$", False, ["/café"], []),
    (r"^/é$", True, ["/é"], ["/É"]),  # caseless is ASCII only
    (r"a{2}b{1,}c{1,2}", False, ["aabcc"], ["abc"]),
    (r"^/{x}$", False, ["/{x}"], ["/x"]),  # a brace that is no quantifier is a literal
    (r"(?i)^/abc", False, ["/ABC"], ["/abd"]),
    (r"^/(?i:a)b", False, ["/Ab"], ["/AB"]),
    (r"^/a(?#note)b$", False, ["/ab"], ["/a(?#note)b"]),
])
def test_translated(pattern: str, caseless: bool, hits: list[str], misses: list[str]) -> None:
    rx = compile_pcre(pattern, caseless)
    assert [h for h in hits if not rx.search(h)] == []
    assert [m for m in misses if rx.search(m)] == []


@pytest.mark.parametrize(("pattern", "why"), [
    (r"^/v\d+/\Kping", r"\K"), (r"\R", r"\R"), (r"\p{L}", r"\p"), (r"(a)\1", "back refer"),
    (r"a(?i)b", "middle"), (r"(?x) a b", "option"), (r"(?U)a+", "option"),
    (r"(?|(a)|(b))", "construct"), (r"(?R)", "recursion"), (r"(?(1)a|b)", "conditionals"),
    (r"(*UTF)a", "verbs"),
    (r"a{,2}", "PCRE2 10.43"), (r"a{ 1 }", "PCRE2 10.43"), (r"[[:^alpha:]]", "POSIX"),
    (r"\x{100}", "one byte"), (r"(?<=a|bc)d", "Python's re"), (r"\x", "hex"),
    ("a\\", "backslash"),
    (r"[a", "unterminated"), (r"(?<1a>x)", "group name"),
])
def test_refused(pattern: str, why: str) -> None:
    with pytest.raises(Untranslatable) as e:
        compile_pcre(pattern)
    assert why in str(e.value)


def test_an_octal_escape_is_no_back_reference_past_the_groups() -> None:
    assert compile_pcre(r"^/\101$").search("/A")  # no group 101: octal
    with pytest.raises(Untranslatable):
        compile_pcre(r"(a)\1")
