"""Lint on the contract corpus (tests/contract.py): an error exactly at each case's cause,
and no error where verification passes. The e2e half builds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from restybuild.lint.runner import lint
from tests.conftest import write_tree
from tests.contract import CASES


def lint_errors(root: Path) -> set[tuple[str, str, int]]:
    """(code, project-relative file, line) of lint's errors on the project in `root`."""
    result = lint(str(root / "Restyfile"), {})
    return {(d.code, Path(d.span.file).relative_to(root).as_posix(), d.span.line)
            for d in result.diagnostics if d.severity == "error"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lint_reports_the_cause_and_nothing_else(name: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    case = CASES[name]
    write_tree(tmp_path, case.files)
    errors = lint_errors(tmp_path.resolve())
    assert errors == ({case.cause, *case.others} if case.cause else set())
