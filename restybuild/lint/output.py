"""Lint output: text (`path:line:col: CODE severity: message`), JSON, SARIF 2.1.0."""

from __future__ import annotations

import json

from restybuild import __version__
from restybuild.lint import Diagnostic, show_path

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast paths
if TYPE_CHECKING:
    from typing import Any

#: The JSON output's schema (also in `restybuild lint --json-schema`).
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "restybuild lint report",
    "type": "object",
    "required": ["version", "tool", "diagnostics"],
    "properties": {
        "version": {"const": 1},
        "tool": {"type": "string"},
        "diagnostics": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "severity", "message", "file", "line", "column"],
                "properties": {
                    "code": {"type": "string", "pattern": "^RB[0-9]{3}$"},
                    "severity": {"enum": ["error", "warning", "info"]},
                    "message": {"type": "string"},
                    "file": {"type": "string"},
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer"},
                    "end_column": {"type": "integer"},
                    "hint": {"type": ["string", "null"]},
                },
            },
        },
    },
}


def _rel(path: str) -> str:
    return show_path(path)


def text(diags: tuple[Diagnostic, ...]) -> str:
    lines = []
    for d in diags:
        lines.append(f"{_rel(d.span.file)}:{d.span.line}:{d.span.col}: {d.code} "
                     f"{d.severity}: {d.message}")
        if d.hint:
            lines.append(f"  hint: {d.hint}")
    return "".join(line + "\n" for line in lines)


def as_json(diags: tuple[Diagnostic, ...]) -> str:
    doc = {"version": 1, "tool": f"restybuild {__version__}", "diagnostics": [
        {"code": d.code, "severity": d.severity, "message": d.message,
         "file": _rel(d.span.file), "line": d.span.line, "column": d.span.col,
         "end_line": d.span.end_line or d.span.line,
         "end_column": d.span.end_col or d.span.col, "hint": d.hint}
        for d in diags]}
    return json.dumps(doc, indent=2) + "\n"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _sarif_rule(code: str, rule: tuple[str, str], doc: tuple[str, str, str] | None
                ) -> dict[str, Any]:
    out: dict[str, Any] = {"id": code, "name": rule[0],
                           "defaultConfiguration": {"level": _SARIF_LEVEL[rule[1]]}}
    if doc is not None:
        title, full, example = doc
        out["shortDescription"] = {"text": title}
        out["fullDescription"] = {"text": full}
        help_text = full + (f" Example: {example}" if example else "")
        out["help"] = {"text": help_text,
                       "markdown": f"**{code} {rule[0]}**: {full}"
                                   + (f"\n\nExample: {example}" if example else "")}
    return out


def sarif(diags: tuple[Diagnostic, ...], rules: dict[str, tuple[str, str]],
          docs: dict[str, tuple[str, str, str]] | None = None) -> str:
    """SARIF 2.1.0; each rule used carries its descriptions and help from `docs`
    (:func:`restybuild.lint.runner.rule_docs`)."""
    docs = docs or {}
    used = sorted({d.code for d in diags})
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "restybuild", "version": __version__,
                "rules": [_sarif_rule(c, rules[c], docs.get(c)) for c in used if c in rules]}},
            "results": [{
                "ruleId": d.code, "level": _SARIF_LEVEL[d.severity],
                "message": {"text": d.message + (f" ({d.hint})" if d.hint else "")},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": _rel(d.span.file)},
                    "region": {"startLine": d.span.line, "startColumn": d.span.col,
                               **({"endLine": d.span.end_line, "endColumn": d.span.end_col}
                                  if d.span.end_line else {})}}}],
            } for d in diags],
        }],
    }
    return json.dumps(doc, indent=2) + "\n"
