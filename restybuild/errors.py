"""One error base with a source span, and its rendering as ``file:line:col``.

Every stage raises :class:`RestyError` (or a subclass); the CLI turns it into
``Restyfile:4:6: error: message``, the source line and a caret, like meson's
``MesonException.from_node``.
"""

from __future__ import annotations

from enum import IntEnum

from restybuild.records import dataclass


class Exit(IntEnum):
    """The exit codes of every command: the same code means the same kind of failure.

    lint's codes are luacheck's (1 findings, 2 syntax error, 3 I/O error, 4 configuration
    error); the other commands give them the same meaning.
    """

    OK = 0
    FAILED = 1
    SYNTAX = 2
    IO = 3
    CONFIG = 4
    ENGINE = 5
    INTERNAL = 70
    INTERRUPTED = 130
    TERMINATED = 143


#: What each code means, for --help, the README and the tests (one table, checked).
EXIT_CODES: tuple[tuple[Exit, str], ...] = (
    (Exit.OK, "success (lint: no finding at or above the threshold)"),
    (Exit.FAILED, "the work failed: lint findings at or above the threshold, a build step or "
                  "the verification failed (no tag moved), a library MISSING in deps"),
    (Exit.SYNTAX, "a syntax error in an input (Restyfile, nginx conf) or on the command line"),
    (Exit.IO, "an input or output cannot be read or written (a missing Restyfile, a file that "
              "is not regular, a push the registry refused or that reached no registry, a "
              "credential helper that failed)"),
    (Exit.CONFIG, "a configuration error: the Restyfile says something impossible (unknown "
                  "recipe, escaping path, bad size, a conflict with the conf), a bad "
                  "restybuild.toml, a bad option value (an image reference too), a Docker "
                  "config that is not JSON, has an `auths` entry that is not base64 "
                  "USER:PASSWORD (the Docker SDK reads them all as it connects) or names a "
                  "credential helper not on PATH"),
    (Exit.ENGINE, "the Docker engine: none answers, it went away or stopped answering, a base "
                  "image is missing or of another architecture, its disk is full"),
    (Exit.INTERNAL, "an internal error: a bug in restybuild (RESTYBUILD_DEBUG=1 shows it)"),
    (Exit.INTERRUPTED, "interrupted (SIGINT, Ctrl-C): no tag moved to an unfinished build; a "
                       "push under way left the registry's tag as it was (a signal once the "
                       "manifest is being sent is waited out: the push ends, exit 0; a "
                       "second one stops the wait and says the registry's tag is not known)"),
    (Exit.TERMINATED, "terminated (SIGTERM): as interrupted"),
)


def exit_table(indent: str = "  ") -> str:
    """The table as `--help` prints it."""
    return "".join(f"{indent}{code.value:<4} {text}\n" for code, text in EXIT_CODES)


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

    exit_code: int = Exit.FAILED
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
    """An input (the Restyfile, an nginx conf) does not follow its grammar."""

    exit_code = Exit.SYNTAX


class InputError(RestyError):
    """An input or output cannot be read or written."""

    exit_code = Exit.IO


class ConfigError(RestyError):
    """The Restyfile parses but says something impossible (unknown recipe, bad size...)."""

    exit_code = Exit.CONFIG


class DockerUnavailable(RestyError):
    """The engine: no daemon answered, it went away, or it lacks an image we must not pull."""

    exit_code = Exit.ENGINE


class BuildFailed(RestyError):
    """A Dockerfile step failed."""

    exit_code = Exit.FAILED


class VerifyFailed(RestyError):
    """The candidate image was built but did not prove itself; the tag did not move."""

    exit_code = Exit.FAILED


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None
