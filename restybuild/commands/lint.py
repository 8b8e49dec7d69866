"""`restybuild lint`: catch migration failures before any build."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

HELP = """\
Check a Restyfile, its nginx conf and its Lua code for the failures a
migration to containers hits: unresolved requires, undeclared shared dicts,
worker_processes auto, the memory budget, conf errors, metrics wiring,
stripped environment, missing resolver, Kubernetes manifests.

Output: `path:line:col: CODE severity: message` (text), JSON or SARIF 2.1.0.
Suppress one finding with a reason on its line or the line above:
`# restybuild: ignore=RB101 reason` (Restyfile, nginx conf) or
`-- restybuild: ignore=RB201 reason` (Lua). Configuration: [tool.restybuild]
in pyproject.toml, or restybuild.toml, beside the Restyfile.

exit codes: 0 clean, 1 findings at or above the threshold, 2 syntax error in
an input, 3 I/O error, 4 configuration error.

example:
  restybuild lint Restyfile.example
  restybuild lint --format sarif --failure-threshold warning > lint.sarif
"""


def register(sub: Any) -> None:
    from restybuild.commands import light_formatter

    p = sub.add_parser("lint", help="check a Restyfile, its conf and Lua code before a build",
                       description=HELP, formatter_class=light_formatter())
    p.add_argument("paths", nargs="*", metavar="RESTYFILE",
                   help="the Restyfile (default: ./Restyfile); with --hook, changed files")
    p.add_argument("--format", choices=("text", "json", "sarif"), default=None)
    p.add_argument("--select", metavar="CODES", help="only these codes or prefixes (RB1,RB201)")
    p.add_argument("--ignore", metavar="CODES", help="skip these codes or prefixes")
    p.add_argument("--failure-threshold", choices=("error", "warning", "info"), default=None,
                   help="lowest severity that fails (default: error)")
    p.add_argument("--k8s", metavar="DIR", help="also check the Kubernetes manifests in DIR")
    p.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    p.add_argument("--json-schema", action="store_true",
                   help="print the JSON Schema of `--format json` and exit")
    p.add_argument("--hook", action="store_true",
                   help="the paths are changed files (pre-commit): lint the Restyfile each "
                        "belongs to (itself, or the nearest Restyfile above it)")
    p.set_defaults(func=run)


def _codes(text: str | None, configured: list[str] | None, known: set[str]) -> tuple[str, ...]:
    from restybuild.lint.config import LintConfigError

    items = [c.strip() for c in text.split(",")] if text else list(configured or [])
    for c in items:
        if not c or not any(k.startswith(c) for k in known):
            raise LintConfigError(f"unknown rule code `{c}`",
                                  hint="see `restybuild lint --list-rules`")
    return tuple(items)


def is_restyfile(path: Path) -> bool:
    """`Restyfile`, or `Restyfile.NAME` (one per environment, say), but not a lock file."""
    return (path.name == "Restyfile" or path.name.startswith("Restyfile.")) \
        and path.suffix != ".lock"


def restyfiles_of(files: list[str]) -> list[str]:
    """The Restyfiles each of `files` belongs to: itself (a lock file: the Restyfile it locks),
    or those in the nearest folder (its own or one above it, below the working folder) that
    has any (`Restyfile` and its `Restyfile.NAME` siblings); each once, in order."""
    top = Path.cwd().resolve()
    out: list[str] = []
    for f in files:
        path = Path(f).resolve()
        found = [path] if is_restyfile(path) else []
        if path.suffix == ".lock" and is_restyfile(path.with_suffix("")):
            found = [path.with_suffix("")]  # the lock pins the base facts lint checks with
        folder = path.parent
        while not found:
            try:  # noqa: SIM105 - contextlib costs the warm path an import
                found = sorted((p for p in folder.iterdir() if is_restyfile(p) and p.is_file()),
                               key=lambda p: (p.name != "Restyfile", p.name))
            except OSError:  # an unreadable folder: look further up
                pass
            if found or folder == top or top not in folder.parents:
                break
            folder = folder.parent
        for restyfile in found:
            rel = os.path.relpath(restyfile)
            if restyfile.is_file() and rel not in out:
                out.append(rel)
    return out


def run(args: argparse.Namespace) -> int:
    from restybuild.errors import Exit
    from restybuild.lint.runner import all_codes

    if args.json_schema:
        import json

        from restybuild.lint.output import JSON_SCHEMA

        print(json.dumps(JSON_SCHEMA, indent=2))
        return 0
    if args.list_rules:
        for code, (name, severity) in sorted(all_codes().items()):
            print(f"{code}  {severity:8} {name}")
        return 0
    if not args.hook:
        if len(args.paths) > 1:
            from restybuild.lint.config import LintConfigError

            raise LintConfigError("name one Restyfile (or use --hook FILE... to lint the "
                                  "Restyfiles those files belong to)")
        return lint_one(args, args.paths[0] if args.paths else "Restyfile")
    codes = [lint_one(args, r) for r in restyfiles_of(args.paths)]
    return max(codes, default=Exit.OK)


def lint_one(args: argparse.Namespace, restyfile: str) -> int:
    from restybuild import fastpath
    from restybuild.errors import Exit
    from restybuild.lint import output
    from restybuild.lint.config import load_config
    from restybuild.lint.incremental import LintTree, store
    from restybuild.lint.runner import all_codes, failing, lint, rule_docs

    rules = all_codes()
    if not Path(restyfile).is_file():
        print(f"restybuild: error: cannot read {restyfile}: no such file", file=sys.stderr)
        return Exit.IO
    folder = Path(restyfile).resolve().parent
    tree = LintTree()  # which reader read which file: see restybuild.lint.incremental
    cfg = load_config(folder, tree)
    fmt = args.format or cfg.get("format", "text")
    threshold = args.failure_threshold or cfg.get("failure-threshold", "error")
    if fmt not in ("text", "json", "sarif") or threshold not in ("error", "warning", "info"):
        from restybuild.lint.config import LintConfigError

        raise LintConfigError(f"bad format `{fmt}` or failure-threshold `{threshold}`")
    select = _codes(args.select, cfg.get("select"), set(rules))
    ignore = _codes(args.ignore, cfg.get("ignore"), set(rules))
    options = dict(cfg)
    if args.k8s:
        options["k8s"] = str(Path(args.k8s).resolve())
    if options.get("k8s") and not Path(options["k8s"]).is_dir():
        print(f"restybuild: error: the manifests folder {options['k8s']} does not exist",
              file=sys.stderr)
        return Exit.IO
    result = lint(restyfile, options, select, ignore, tree)
    if fmt == "json":
        text = output.as_json(result.diagnostics)
    elif fmt == "sarif":
        text = output.sarif(result.diagnostics, rules, rule_docs())
    else:
        text = output.text(result.diagnostics)
    exit_code = Exit.SYNTAX if result.syntax_error else (
        Exit.FAILED if failing(result.diagnostics, threshold) else Exit.OK)
    variant = fastpath.lint_variant(args.argv)  # with --hook too: the same output
    fastpath.store("lint", restyfile, variant, tree.snapshot(),
                   {"text": text, "exit": int(exit_code)})
    store(restyfile, variant, tree, result, fmt, threshold)
    sys.stdout.write(text)
    return exit_code
