"""One exit-code table for every command: the same kind of failure gives the same code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from restybuild.cli import build_parser, main
from restybuild.errors import EXIT_CODES, Exit
from tests.conftest import REPO, write_tree

OK = {"Restyfile": "name app\nbase debian-bookworm\nconf conf\n",
      "conf/nginx.conf": "events {}\nhttp {}\n"}
SYNTAX = {**OK, "Restyfile": "name app\nbase debian-bookworm\nshared_dic x 1m\n"}
SEMANTIC = {**OK, "Restyfile": "name app\nbase no-such-recipe\n"}
CONF_SYNTAX = {**OK, "conf/nginx.conf": "events {}\nhttp {\n"}


def run(tmp_path: Path, files: dict[str, str] | None, command: str, *extra: str) -> int:
    if files is not None:
        write_tree(tmp_path, files)
    return main([command, str(tmp_path / "Restyfile"), *extra])


@pytest.mark.parametrize("command", ["plan", "lint", "build", "k8s"])
def test_a_missing_restyfile_is_an_io_error(tmp_path: Path, command: str,
                                            no_daemon: str) -> None:
    assert run(tmp_path, None, command) == Exit.IO


@pytest.mark.parametrize("command", ["plan", "lint", "build", "k8s"])
def test_a_restyfile_syntax_error(tmp_path: Path, command: str, no_daemon: str) -> None:
    assert run(tmp_path, SYNTAX, command) == Exit.SYNTAX


@pytest.mark.parametrize("command", ["plan", "build"])
def test_a_conf_syntax_error(tmp_path: Path, command: str, no_daemon: str) -> None:
    assert run(tmp_path, CONF_SYNTAX, command) == Exit.SYNTAX


def test_lint_reports_a_conf_syntax_error_as_one(tmp_path: Path) -> None:
    assert run(tmp_path, CONF_SYNTAX, "lint") == Exit.SYNTAX


@pytest.mark.parametrize("command", ["plan", "build", "k8s"])
def test_a_semantic_error_is_a_configuration_error(tmp_path: Path, command: str,
                                                   no_daemon: str) -> None:
    assert run(tmp_path, SEMANTIC, command) == Exit.CONFIG


def test_lint_reports_a_semantic_error_as_a_finding(tmp_path: Path) -> None:
    assert run(tmp_path, SEMANTIC, "lint") == Exit.FAILED


def test_a_bad_lint_configuration(tmp_path: Path) -> None:
    assert run(tmp_path, OK, "lint", "--select", "RB999") == Exit.CONFIG


def test_no_daemon_is_an_engine_error(tmp_path: Path, no_daemon: str) -> None:
    assert run(tmp_path, OK, "build") == Exit.ENGINE
    assert main(["base", "bootstrap", "debian-bookworm"]) == Exit.ENGINE


def test_bad_arguments_are_a_syntax_error() -> None:
    with pytest.raises(SystemExit) as e:
        main(["plan", "--no-such-option"])
    assert e.value.code == Exit.SYNTAX


def test_help_and_readme_print_the_one_table(capsys: pytest.CaptureFixture[str]) -> None:
    epilog = build_parser().epilog or ""
    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", readme.split("### Exit codes", 1)[1], re.M)
    assert [(int(c), text) for c, text in rows] == [(int(c), t) for c, t in EXIT_CODES]
    for code, text in EXIT_CODES:
        assert f"{int(code):<4} {text}" in epilog
    assert {int(c) for c, _t in EXIT_CODES} == {int(e) for e in Exit}
