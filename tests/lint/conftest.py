"""Fixtures of the lint tests: a project written from a dict, linted from its own folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_tree
from tests.lint.util import LintFiles, Report


@pytest.fixture(autouse=True)
def _no_result_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Lint tests compute every result; the cache tests turn the cache back on."""
    monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture()
def lint_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LintFiles:
    """Write `files` into a fresh project folder, chdir there and lint its Restyfile."""
    from restybuild.lint import output
    from restybuild.lint.runner import lint

    count = 0

    def run(files: dict[str, str], *, options: dict[str, Any] | None = None,
            select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
            root: Path | None = None) -> Report:
        nonlocal count
        if root is None:
            count += 1
            root = tmp_path / f"project{count}"
        write_tree(root, files)
        monkeypatch.chdir(root)
        result = lint("Restyfile", dict(options or {}), select, ignore)
        return Report(output.text(result.diagnostics))

    return run
