"""Run the lint rules over one Restyfile and apply suppressions and selection."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restybuild.errors import ConfigError, RestyError, RestySyntaxError, Span
from restybuild.lint import Diagnostic, Finding, severity_rank
from restybuild.lint.context import build_context
from restybuild.lint.rules import RULES
from restybuild.source import SourceTree

#: Codes of the framework's own diagnostics.
META_RULES = {
    "RB001": ("restyfile-syntax", "error"),
    "RB002": ("restyfile-semantics", "error"),
    "RB003": ("conf-conflict", "error"),
    "RB004": ("ignore-without-reason", "warning"),
}
SUPPRESS = re.compile(r"(?:#|--)\s*restybuild:\s*ignore=(?P<codes>[A-Z0-9,]+)(?P<reason>[^\n]*)")


#: What the framework's own diagnostics are about, for SARIF readers.
META_DOCS = {
    "RB001": "The Restyfile does not parse.",
    "RB002": "The Restyfile parses but says something impossible (a missing folder, a bad "
             "size, two statements for one destination).",
    "RB003": "A Restyfile declaration conflicts with the nginx conf (both places are named).",
    "RB004": "A `restybuild: ignore=CODES` comment gives no reason.",
}


def rule_docs() -> dict[str, tuple[str, str, str]]:
    """code -> (title, What and Why, Example) from each rule's docstring."""
    out = {code: (doc, doc, "") for code, doc in META_DOCS.items()}
    for rule in RULES:
        doc = rule.__doc__ or ""
        title = doc.splitlines()[0].split(" ", 1)[-1].rstrip(".") + "."
        title = title[:1].upper() + title[1:]
        body = re.split(r"^Example:", doc, maxsplit=1, flags=re.M)
        full = " ".join(body[0].split("\n", 1)[-1].split()) if body else ""
        example = " ".join(body[1].split()) if len(body) > 1 else ""
        out[rule.CODE] = (title, full, example)
    return out


def all_codes() -> dict[str, tuple[str, str]]:
    codes = dict(META_RULES)
    for rule in RULES:
        codes[rule.CODE] = (rule.NAME, rule.SEVERITY)
    return codes


@dataclass(frozen=True)
class LintResult:
    diagnostics: tuple[Diagnostic, ...]
    syntax_error: bool


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    return any(code.startswith(p) for p in patterns)


def _suppressions(path: Path, tree: SourceTree) -> dict[int, tuple[set[str], bool, bool]]:
    """line -> (codes, has a reason, the comment stands on a line of its own)."""
    out: dict[int, tuple[set[str], bool, bool]] = {}
    try:
        text = tree.read_text(str(path))
    except OSError:
        return out
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = SUPPRESS.search(line)
        if m:
            alone = line[: m.start()].strip() == ""
            out[lineno] = (set(m.group("codes").split(",")), bool(m.group("reason").strip()),
                           alone)
    return out


def lint(restyfile: str, options: dict[str, Any], select: tuple[str, ...] = (),
         ignore: tuple[str, ...] = (), tree: SourceTree | None = None) -> LintResult:
    """Lint `restyfile`; `select`/`ignore` are code prefixes (`RB1` selects RB101...)."""
    from restybuild.inputs import load

    tree = tree if tree is not None else SourceTree()
    diags: list[Diagnostic] = []
    try:
        loaded = load(restyfile, tree=tree)
        project = loaded.project
    except RestySyntaxError as e:
        return LintResult((_meta("RB001", e),), True)
    except ConfigError as e:
        if e.span is None:
            raise
        return LintResult((_meta("RB002", e),), False)

    def wanted(code: str) -> bool:
        return (not select or _matches(code, select)) and not _matches(code, ignore)

    ctx = build_context(project, options, loaded.base.index, loaded.tree, loaded.facts)
    for rule in RULES:
        if wanted(rule.CODE):
            diags.extend(_diag(rule.CODE, rule.SEVERITY, f) for f in rule.check(ctx))
    if ctx.conf_tree is not None and wanted("RB003"):
        from restybuild.conf.effective import edits

        try:
            edits(project, ctx.conf_tree)
        except RestyError as e:
            if e.span is not None:
                diags.append(_meta("RB003", e))
    kept = tuple(d for d in _suppress(diags, tree) if wanted(d.code))
    conf_syntax = any(d.code == "RB601" for d in kept)  # a syntax error in an input: exit 2
    return LintResult(kept, conf_syntax)


def _absolute(span: Span) -> Span:
    return Span(os.path.abspath(span.file), span.line, span.col, span.end_line, span.end_col)


def _meta(code: str, e: RestyError) -> Diagnostic:
    assert e.span is not None
    return Diagnostic(code, META_RULES[code][1], e.message, _absolute(e.span), e.hint)


def _diag(code: str, severity: str, f: Finding) -> Diagnostic:
    return Diagnostic(code, f.severity or severity, f.message, _absolute(f.span), f.hint)


def _suppress(diags: list[Diagnostic], tree: SourceTree) -> tuple[Diagnostic, ...]:
    cache: dict[str, dict[int, tuple[set[str], bool, bool]]] = {}
    out: list[Diagnostic] = []
    flagged: set[tuple[str, int]] = set()
    for d in diags:
        file = d.span.file
        if file not in cache:
            cache[file] = _suppressions(Path(file), tree) if tree.is_file(file) else {}
        sup = cache[file]
        hit = None
        same, above = sup.get(d.span.line), sup.get(d.span.line - 1)
        if same is not None and d.code in same[0]:
            hit = (d.span.line, same[1])
        elif above is not None and above[2] and d.code in above[0]:
            hit = (d.span.line - 1, above[1])
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


def failing(diags: tuple[Diagnostic, ...], threshold: str) -> bool:
    return any(severity_rank(d.severity) >= severity_rank(threshold) for d in diags)
