"""Helpers of the lint tests: the fixture head, and a lint report read line by line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

#: The first lines of every fixture's Restyfile.
HEAD = "name app\nbase debian-bookworm\n"


@dataclass(frozen=True)
class Report:
    text: str  # restybuild.lint.output.text, hints included

    @property
    def lines(self) -> list[str]:
        """The `file:line:col: CODE severity: message` lines, without the hints."""
        return [line for line in self.text.splitlines() if not line.startswith("  hint: ")]

    def of(self, code: str) -> list[str]:
        return [line for line in self.lines if f": {code} " in line]

    def hint(self, line: str) -> str | None:
        """The hint printed under the diagnostic `line`, if any."""
        rows = self.text.splitlines()
        i = rows.index(line)
        if i + 1 < len(rows) and rows[i + 1].startswith("  hint: "):
            return rows[i + 1][len("  hint: "):]
        return None


class LintFiles(Protocol):
    """The `lint_files` fixture: write a project, lint it from its folder."""

    def __call__(self, files: dict[str, str], *, options: dict[str, Any] | None = None,
                 select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
                 root: Path | None = None) -> Report: ...
