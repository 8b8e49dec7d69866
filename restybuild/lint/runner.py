"""Run the lint rules over one Restyfile and apply suppressions and selection."""

from __future__ import annotations

import os
import re
from typing import Any

from restybuild.errors import ConfigError, RestyError, RestySyntaxError, Span
from restybuild.lint import Diagnostic, Finding, severity_rank
from restybuild.lint.context import build_context
from restybuild.lint.incremental import partial
from restybuild.lint.rules import RULES
from restybuild.lint.suppress import suppress
from restybuild.records import dataclass
from restybuild.source import SourceTree

#: Codes of the framework's own diagnostics.
META_RULES = {
    "RB001": ("restyfile-syntax", "error"),
    "RB002": ("restyfile-semantics", "error"),
    "RB003": ("conf-conflict", "error"),
    "RB004": ("ignore-without-reason", "warning"),
}


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
    #: what a lint after a Lua edit needs to run the Lua rules alone (plain data; see
    #: restybuild.lint.incremental.partial), None when the lint stopped before the rules
    partial: dict[str, Any] | None = None


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    return any(code.startswith(p) for p in patterns)


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
    order: list[list[Any]] = []  # [code, severity, diagnostics or None, rule module, env]
    for rule in RULES:
        if not wanted(rule.CODE):
            continue
        if getattr(rule, "LUA", False):
            env = rule.env(ctx)
            found = [_diag(rule.CODE, rule.SEVERITY, f) for f in rule.check_lua(
                env, ctx.lua_chunks)]
            order.append([rule.CODE, rule.SEVERITY, None, rule.__name__, env])
        else:
            found = [_diag(rule.CODE, rule.SEVERITY, f) for f in rule.check(ctx)]
            order.append([rule.CODE, rule.SEVERITY, found, None, None])
        diags.extend(found)
    if ctx.conf_tree is not None and wanted("RB003"):
        from restybuild.conf.effective import edits

        try:
            edits(project, ctx.conf_tree)
        except RestyError as e:
            if e.span is not None:
                diags.append(_meta("RB003", e))
                order.append(["RB003", "error", [diags[-1]], None, None])
    kept = tuple(d for d in suppress(diags, tree) if wanted(d.code))
    conf_syntax = any(d.code == "RB601" for d in kept)  # a syntax error in an input: exit 2
    return LintResult(kept, conf_syntax, partial(ctx, order, select, ignore))


def _absolute(span: Span) -> Span:
    return Span(os.path.abspath(span.file), span.line, span.col, span.end_line, span.end_col)


def _meta(code: str, e: RestyError) -> Diagnostic:
    assert e.span is not None
    return Diagnostic(code, META_RULES[code][1], e.message, _absolute(e.span), e.hint)


def _diag(code: str, severity: str, f: Finding) -> Diagnostic:
    return Diagnostic(code, f.severity or severity, f.message, _absolute(f.span), f.hint)


def failing(diags: tuple[Diagnostic, ...], threshold: str) -> bool:
    return any(severity_rank(d.severity) >= severity_rank(threshold) for d in diags)
