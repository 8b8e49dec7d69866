"""One error base with a source span, and its rendering as ``file:line:col``.

Every stage raises :class:`RestyError` (or a subclass); the CLI turns it into
``Restyfile:4:6: error: message``, the source line and a caret, like meson's
``MesonException.from_node``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """A place in a source file; lines and columns count from 1."""

    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class RestyError(Exception):
    """An error the user can act on. ``span`` points at the cause, ``hint`` says what to do."""

    exit_code = 1
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        span: Span | None = None,
        hint: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.notes = notes

    def render(self, source: str | None = None) -> str:
        """Format as ``file:line:col: error: message`` plus the source line and a caret."""
        where = f"{self.span}: " if self.span else ""
        lines = [f"{where}{self.kind}: {self.message}"]
        if self.span is not None:
            text = source if source is not None else _read(self.span.file)
            if text is not None:
                src_lines = text.splitlines()
                if 0 < self.span.line <= len(src_lines):
                    src = src_lines[self.span.line - 1].expandtabs(1)
                    lines.append(f"    {src}")
                    width = 1
                    if self.span.end_line == self.span.line and self.span.end_col > self.span.col:
                        width = self.span.end_col - self.span.col
                    lines.append("    " + " " * (self.span.col - 1) + "^" * width)
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class RestySyntaxError(RestyError):
    """The Restyfile does not follow the grammar."""

    exit_code = 2


class ConfigError(RestyError):
    """The Restyfile parses but says something impossible (unknown recipe, bad size...)."""

    exit_code = 2


class DockerUnavailable(RestyError):
    """No Docker daemon answered, or it lacks an image we must not pull."""

    exit_code = 2


class BuildFailed(RestyError):
    """A Dockerfile step failed."""

    exit_code = 1


class VerifyFailed(RestyError):
    """The candidate image was built but did not prove itself; the tag did not move."""

    exit_code = 1


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
