"""Step 6: the written Restyfile parsed and resolved by the project's parser, linted, and with
``--build TAG`` built and verified through the build command's own code."""

from __future__ import annotations

import os
from pathlib import Path

from restybuild.discover.model import Finding
from restybuild.errors import ConfigError, RestySyntaxError
from restybuild.lint import Diagnostic
from restybuild.records import dataclass


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
    """Lint's warnings and errors as lines saying what will break and how to fix it (its
    info findings break nothing)."""
    out = []
    for d in diags:
        if d.severity == "info":
            continue
        where = os.path.relpath(d.span.file, folder)
        out.append(f"{where}:{d.span.line}:{d.span.col}: {d.severity}: {d.code} {d.message}")
        if d.hint:
            out.append(f"  fix: {d.hint}")
    return out


def build(restyfile: Path, tag: str) -> int:
    """`restybuild build RESTYFILE -t TAG -q`, parsed by the command line's own parser so
    every option has the value the build command expects."""
    from restybuild.cli import build_parser

    argv = ["build", str(restyfile), "-t", tag, "-q"]
    args = build_parser().parse_args(argv)
    args.argv = argv
    rc: int = args.func(args)
    return rc
