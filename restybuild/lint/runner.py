"""Run the lint rules over one Restyfile and apply suppressions and selection."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restybuild.errors import ConfigError, RestyError, RestySyntaxError, Span
from restybuild.lint import Diagnostic, Finding, severity_rank
from restybuild.lint.context import LintContext, build_context
from restybuild.lint.rules import RULES

#: Codes of the framework's own diagnostics.
META_RULES = {
    "RB001": ("restyfile-syntax", "error"),
    "RB002": ("restyfile-semantics", "error"),
    "RB003": ("conf-conflict", "error"),
    "RB004": ("ignore-without-reason", "warning"),
}
SUPPRESS = re.compile(r"(?:#|--)\s*restybuild:\s*ignore=(?P<codes>[A-Z0-9,]+)(?P<reason>[^\n]*)")


def all_codes() -> dict[str, tuple[str, str]]:
    codes = dict(META_RULES)
    for rule in RULES:
        codes[rule.CODE] = (rule.NAME, rule.SEVERITY)
    return codes


@dataclass(frozen=True)
class LintResult:
    diagnostics: tuple[Diagnostic, ...]
    syntax_error: bool
    inputs: tuple[str, ...]  # files and folders the result depends on


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    return any(code.startswith(p) for p in patterns)


def _suppressions(path: Path) -> dict[int, tuple[set[str], bool]]:
    out: dict[int, tuple[set[str], bool]] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = SUPPRESS.search(line)
        if m:
            out[lineno] = (set(m.group("codes").split(",")), bool(m.group("reason").strip()))
    return out


def lint(restyfile: str, options: dict[str, Any], select: tuple[str, ...] = (),
         ignore: tuple[str, ...] = ()) -> LintResult:
    """Lint `restyfile`; `select`/`ignore` are code prefixes (`RB1` selects RB101...)."""
    from restybuild.resolve import load_project

    diags: list[Diagnostic] = []
    inputs = [restyfile]
    try:
        project = load_project(restyfile)
    except RestySyntaxError as e:
        return LintResult((_meta("RB001", e),), True, tuple(inputs))
    except ConfigError as e:
        if e.span is None:
            raise
        return LintResult((_meta("RB002", e),), False, tuple(inputs))
    ctx = build_context(project, options)
    inputs += _project_inputs(ctx)
    for rule in RULES:
        if (select and not _matches(rule.CODE, select)) or _matches(rule.CODE, ignore):
            continue
        for f in rule.check(ctx):
            diags.append(_diag(rule.CODE, rule.SEVERITY, f))
    if ctx.conf_error is None and not _matches("RB003", ignore) and \
            (not select or _matches("RB003", select)):
        from restybuild.nginxconf import effective_conf

        try:
            effective_conf(project)
        except RestyError as e:
            if e.span is not None:
                diags.append(_meta("RB003", e))
    return LintResult(_suppress(diags), False, tuple(inputs))


def _meta(code: str, e: RestyError) -> Diagnostic:
    assert e.span is not None
    return Diagnostic(code, META_RULES[code][1], e.message, e.span, e.hint)


def _diag(code: str, severity: str, f: Finding) -> Diagnostic:
    return Diagnostic(code, f.severity or severity, f.message, f.span, f.hint)


def _suppress(diags: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    cache: dict[str, dict[int, tuple[set[str], bool]]] = {}
    out: list[Diagnostic] = []
    flagged: set[tuple[str, int]] = set()
    for d in diags:
        file = d.span.file
        if file not in cache:
            cache[file] = _suppressions(Path(file)) if Path(file).is_file() else {}
        sup = cache[file]
        hit = None
        for line in (d.span.line, d.span.line - 1):
            if line in sup and d.code in sup[line][0]:
                hit = (line, sup[line][1])
                break
        if hit is None:
            out.append(d)
            continue
        line, has_reason = hit
        if not has_reason and (file, line) not in flagged:
            flagged.add((file, line))
            out.append(Diagnostic("RB004", "warning",
                                  f"`restybuild: ignore={d.code}` gives no reason",
                                  Span(file, line, 1), "say why after the codes"))
    out.sort(key=lambda d: (d.span.file, d.span.line, d.span.col, d.code))
    return tuple(out)


def _project_inputs(ctx: LintContext) -> list[str]:
    p = ctx.project
    root = ctx.root
    paths = [str(root / c.src) for c in p.lua]
    if p.conf:
        paths.append(str(root / p.conf.src))
    paths += [str(root / n.src) for n in p.natives]
    if p.rocks and p.rocks.server and not p.rocks.server_is_url:
        paths.append(str(root / p.rocks.server))
    if ctx.options.get("k8s"):
        paths.append(str(ctx.options["k8s"]))
    return paths


def failing(diags: tuple[Diagnostic, ...], threshold: str) -> bool:
    return any(severity_rank(d.severity) >= severity_rank(threshold) for d in diags)
