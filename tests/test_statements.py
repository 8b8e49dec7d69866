"""One table of statements: the grammar, the resolver, the messages and the README agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from restybuild.parser import grammar_text, parse
from restybuild.resolve import load_project
from restybuild.statements import STATEMENTS, TOP_LEVEL, markdown_table
from tests.conftest import REPO

EXAMPLE_VALUES = {"port": "8080", "path": "/m", "period": "5s", "timeout": "2s",
                  "initial_delay": "10s", "failure_threshold": "3"}


def _grammar_keywords() -> set[str]:
    """The literal keyword that starts each `*_stmt` and `*_item` rule."""
    found = set()
    for m in re.finditer(r'^(\w+)_(?:stmt|item): "(\w+)"', grammar_text(), re.M):
        found.add(m.group(2))
    for m in re.finditer(r'^RESOURCE_KIND[^:]*: (.+)$', grammar_text(), re.M):
        found |= set(re.findall(r'"(\w+)"', m.group(1)))
    return found


def _grammar_options() -> set[str]:
    line = re.search(r"^OPTION_KEY[^:]*: (.+)$", grammar_text(), re.M)
    assert line
    return set(re.findall(r'"(\w+)"', line.group(1)))


def test_the_grammar_and_the_table_know_the_same_statements() -> None:
    assert _grammar_keywords() == set(STATEMENTS)


def test_the_grammar_and_the_table_know_the_same_options() -> None:
    assert _grammar_options() == {o for s in STATEMENTS.values() for o in s.options}


@pytest.mark.parametrize(("keyword", "option"), [
    (k, o) for k, s in STATEMENTS.items() for o in s.options])
def test_every_option_the_grammar_accepts_the_resolver_accepts(
        tmp_path: Path, keyword: str, option: str) -> None:
    head = "name app\nbase debian-bookworm\n"
    value = EXAMPLE_VALUES[option]
    if keyword == "probe":
        line = f"probe readiness http /ready port 8080 {option} {value}" if option != "port" \
            else "probe readiness http /ready port 8080"
    else:
        line = f"metrics prometheus port 9145 {option} {value}" if option != "port" \
            else "metrics prometheus port 9145"
    (tmp_path / "Restyfile").write_text(head + line + "\n")
    project = load_project(tmp_path / "Restyfile")
    if keyword == "probe":
        (probe,) = project.probes
        got = {"period": probe.period, "timeout": probe.timeout, "port": probe.port,
               "initial_delay": probe.initial_delay,
               "failure_threshold": probe.failure_threshold}[option]
        assert got is not None
    else:
        assert project.metrics is not None


def test_items_name_their_block_and_blocks_their_items() -> None:
    for keyword, info in STATEMENTS.items():
        for item in info.items:
            assert STATEMENTS[item].parent == keyword
        if info.parent is not None:
            assert keyword in STATEMENTS[info.parent].items
            assert keyword not in TOP_LEVEL


def test_the_readme_statement_table_is_the_table() -> None:
    readme = (REPO / "README.md").read_text()
    assert markdown_table() in readme


def _restyfile_blocks(text: str) -> list[str]:
    return [b for b in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)
            if b.startswith("restyfile 1\n")]


def test_every_documented_statement_parses() -> None:
    blocks = _restyfile_blocks((REPO / "README.md").read_text())
    assert blocks, "the README shows a complete Restyfile"
    seen: set[str] = set()
    for block in blocks:
        for st in parse(block).statements:
            seen.add(st.KEYWORD)
    assert seen == set(TOP_LEVEL)
