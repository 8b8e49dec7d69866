"""`restybuild lint`: rules over the Project and the facts about it, one small module each.

A rule is a module in :mod:`restybuild.lint.rules` with ``CODE``, ``SEVERITY``,
``NAME``, a docstring with What / Why / Example, and ``check(ctx)`` yielding
:class:`Finding`\\ s; the framework turns findings into diagnostics, applies
inline suppressions and the configuration. The registry is an explicit tuple
(hadolint's ``Rule/DL3007.hs``, pre-commit's ``all_languages.py``).
"""

from __future__ import annotations

import os

from restybuild.errors import Span
from restybuild.records import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from restybuild.lint.luascan import LuaFacts

SEVERITIES = ("info", "warning", "error")


def show_path(path: str) -> str:
    """`path` relative to the working folder when it is below or beside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith(os.pardir + os.sep + os.pardir) else rel


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    """What a rule found; `severity` overrides the rule's default when set."""

    message: str
    span: Span
    hint: str | None = None
    severity: str | None = None


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: str
    message: str
    span: Span
    hint: str | None = None


@dataclass(frozen=True)
class LuaChunk:
    """A piece of Lua: a file of a declared folder, or a `*_by_lua_block` of the conf."""

    file: str  # absolute; output shows it relative to the working folder
    facts: LuaFacts
    phase: str = ""  # the directive for a conf block or a *_by_lua_file target
    subsystem: str = "http"
    block: bool = False  # a `*_by_lua_block` of the conf (else a file of a Lua folder)
