"""restybuild.lalr parses as Lark does: the same syntax nodes (spans included) for every input
Lark accepts, and None for every input Lark refuses (then Lark reports the error)."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from restybuild import grammar_tables, lalr, parser
from restybuild.errors import RestySyntaxError
from tests.conftest import REPO
from tests.fuzzing import WORDS, grammar_input

VALUES = ["x", "a.b", "-", "1", "10m", "lua", "name", "cpu", "memory", "port", "request",
          "image", "recipe", "digest", "search", "rock", "server", "system", "{x", "x}",
          '"q"', '""', '"a b"', '"say \\"hi\\""', '"\\\\"', "é", "a->b", "->x", "#no",
          "openresty", "1.21.4.3", "/ready", "path/to", "-x", ">", "~"]
TEMPLATES = [
    "restyfile V", "name V", "base V", "base V V", "base V V V", "base image V recipe V",
    "base image V recipe V digest V", "prefix V", "conf V", "conf V -> V", "lua V -> V",
    "files V -> V", "data V", "data V V", "native V -> V", "native V -> V {B search V V B}",
    "native V -> V {B}", "module V", "module V V V", "shared_dict V V", "workers V",
    "rocks -> V {B server V B rock V B rock V V B system V B system V -> V B}",
    "resources {B request cpu V memory V B limit memory V B}", "resources {}",
    "probe V V V", "probe V V V port V path V", "probe V V V timeout V period V",
    "metrics V", "metrics V port V", "scale V cpu V", "scale V memory V", "env V",
    "env V V", "expose V", "expose V V",
]
SPACE = [" ", "  ", "\t", " \f "]


def render(template: str, rng: random.Random) -> str:
    out = []
    for word in template.split():
        if word == "V":
            out.append(rng.choice(VALUES))
        elif word == "B":
            out.append(rng.choice(["\n", "\n\n", " # c\n", "\r\n"]))
        else:
            out.append(word.replace("{B", "{\n").replace("B}", "\n}"))
    text = ""
    for piece in out:
        text += piece if text.endswith("\n") or not text else rng.choice(SPACE) + piece
    return text


def valid_input(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(0, 8)):
        line = render(rng.choice(TEMPLATES), rng)
        if rng.random() < 0.2:
            line += rng.choice(SPACE) + "# a comment -> {"
        lines.append(line)
        lines += [""] * (rng.random() < 0.2)
    return rng.choice(["\n", "\r\n"]).join(lines) + ("\n" if rng.random() < 0.7 else "")


def mutated(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    if not words:
        return text
    i = rng.randrange(len(words))
    choice = rng.random()
    if choice < 0.3:
        del words[i]
    elif choice < 0.6:
        words.insert(i, rng.choice(WORDS + VALUES))
    else:
        words[i] = rng.choice(WORDS + VALUES)
    return " ".join(words)


def both(text: str) -> tuple[object, object]:
    """(restybuild.lalr's result or None, Lark's result or the RestySyntaxError)."""
    text = text if text.endswith("\n") else text + "\n"
    fast = lalr.parse(text, parser._grammar_sha256(), parser.ToSyntax("Restyfile"))
    try:
        tree = parser._parser().parse(text)
    except Exception as e:  # what parser.parse turns into a RestySyntaxError
        return fast, e
    return fast, parser._lark_transform(tree, parser.ToSyntax("Restyfile"))


def assert_same(text: str) -> bool:
    fast, slow = both(text)
    if isinstance(slow, Exception):
        assert fast is None, (text, fast)
        return False
    assert fast == slow, text
    return True


def repo_texts() -> list[str]:
    found = sorted(p for p in REPO.rglob("Restyfile*") if p.is_file() and ".git" not in p.parts)
    return [p.read_text(encoding="utf-8", errors="replace") for p in found]


def test_the_repository_restyfiles_parse_alike() -> None:
    texts = repo_texts()
    assert len(texts) >= 5
    assert all(assert_same(t) for t in texts)


def test_generated_restyfiles_parse_alike() -> None:
    rng = random.Random(13)
    parsed = sum(assert_same(valid_input(rng)) for _ in range(3000))
    assert parsed > 1000  # the rest: a keyword where a value goes (`port` in `module`)


@pytest.mark.parametrize("seed", [1, 2])
def test_mutated_and_random_inputs_parse_or_fail_alike(seed: int) -> None:
    rng = random.Random(seed)
    outcomes = [assert_same(mutated(valid_input(rng), rng)) for _ in range(1500)]
    outcomes += [assert_same(grammar_input(rng)) for _ in range(1500)]
    assert 300 < sum(outcomes) < 2700  # both kinds of outcome were tried


def test_errors_still_come_from_lark() -> None:
    with pytest.raises(RestySyntaxError, match="unknown statement `nmae`; did you mean `name`"):
        parser.parse("name x\nnmae y\n")
    assert parser.parse("name x\n") == parser._lark_transform(
        parser._parser().parse("name x\n"), parser.ToSyntax("Restyfile"))


def test_the_shipped_tables_are_of_this_grammar_and_used() -> None:
    """After a grammar change: `python -m restybuild.grammar_tables` (else Lark parses)."""
    shipped = json.loads((REPO / "grammar" / lalr.NAME).read_text(encoding="utf-8"))
    assert shipped["grammar_sha256"] == parser._grammar_sha256()
    assert lalr.tables(parser._grammar_sha256()) is not None
    assert lalr.tables("another grammar") is None
    made = json.loads(grammar_tables.runtime_text())
    assert (len(made["states"]), len(made["rules"]), made["ignore"]) == \
        (len(shipped["states"]), len(shipped["rules"]), shipped["ignore"])


def test_parsing_a_valid_restyfile_imports_no_lark() -> None:
    code = ("import sys; from restybuild.parser import parse; "
            "parse(open('Restyfile.example').read()); print('lark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.split()
    assert out == ["False"]
