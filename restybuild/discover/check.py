"""Step 6: the written Restyfile parsed and resolved by the project's parser, linted, and with
``--build TAG`` built and verified through the build command's own code."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from restybuild.discover.model import Finding
from restybuild.errors import ConfigError, RestySyntaxError
from restybuild.lint import Diagnostic


@dataclass(frozen=True)
class Checked:
    diagnostics: tuple[Diagnostic, ...]
    findings: tuple[Finding, ...]  # the Restyfile does not parse or resolve


def lint_written(restyfile: Path) -> Checked:
    from restybuild.lint.runner import lint
    from restybuild.resolve import load_project

    try:
        load_project(restyfile)
    except (ConfigError, RestySyntaxError) as e:
        return Checked((), (Finding("lint", "error", f"the written Restyfile does not resolve: "
                                    f"{e.message}", str(e.span or restyfile), e.hint or ""),))
    return Checked(lint(str(restyfile), {}).diagnostics, ())


def what_breaks(diags: tuple[Diagnostic, ...], folder: Path) -> list[str]:
    """Lint's findings as lines saying what will break and how to fix it."""
    out = []
    for d in diags:
        where = os.path.relpath(d.span.file, folder)
        out.append(f"{where}:{d.span.line}:{d.span.col}: {d.severity}: {d.code} {d.message}")
        if d.hint:
            out.append(f"  fix: {d.hint}")
    return out


def build(restyfile: Path, tag: str) -> int:
    """`restybuild build RESTYFILE -t TAG -q`, the build command's code path."""
    from restybuild.commands import build as build_command

    args = argparse.Namespace(restyfile=str(restyfile), tag=tag, quiet=True, pull=False,
                              index=None)
    rc: int = build_command.run(args)
    return rc
