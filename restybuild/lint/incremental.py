"""Lint after a Lua edit without the compiler: the Lua rules run alone on stored plain data.

In a pre-commit hook something always changed, most often a Lua file. What the Lua
rules (the rule modules with ``LUA = True``) find depends on two things: the Lua files'
facts (:mod:`restybuild.lint.luascan`), and an environment each rule computes from the
rest of the project (``env(ctx)``: the declared dicts, what provides each required
module, the env variables nginx keeps...). A full lint stores, beside its result, a
*partial* entry (plain data in restybuild's private cache folder, through
:mod:`restybuild.fastpath`; never a pickle): the records of every look the lint made at
its inputs except the Lua files' bytes, each Lua rule's environment, the other rules'
diagnostics, and which Lua files were scanned (with their phase).

A later lint with the same arguments whose records all still hold has only Lua files
changed (or nothing): it scans the changed files (the others' facts are in the facts
cache, :mod:`restybuild.lint.factcache`), runs each Lua rule's ``check_lua(env,
chunks)`` (the same function the full lint runs), applies the suppressions and prints
the result: no Restyfile parse, no Lark, no conf reader. A Lua file that requires a
module the stored environment does not know (its provider was never looked up) makes
the rule raise KeyError, and the full lint runs instead.

Correct by construction, not by a list: the Lua files' bytes are left out of the
records only when nothing but the Lua scan and the suppressions read them
(:class:`LintTree` tells who read what); otherwise no partial entry is stored.
"""

from __future__ import annotations

import os

from restybuild.lint import Diagnostic, LuaChunk
from restybuild.source import SourceTree

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from restybuild.lint import Finding
    from restybuild.lint.context import LintContext
    from restybuild.lint.runner import LintResult

FORMATS = ("text", "json")  # SARIF carries every rule's documentation: the full lint


class LintTree(SourceTree):
    """A SourceTree that tells who read each file: the Lua scan, the suppressions, or any
    other reader."""

    def __init__(self) -> None:
        super().__init__()
        self.lua: set[str] = set()  # read for their facts
        self.other: set[str] = set()  # read by anything else but the suppressions

    def read_bytes(self, path: str) -> bytes:
        self.other.add(os.path.abspath(path))
        return super().read_bytes(path)

    def read_lua(self, path: str) -> bytes:
        """The bytes of a Lua file whose facts are scanned."""
        self.lua.add(os.path.abspath(path))
        return super().read_bytes(path)

    def read_comments(self, path: str) -> str:
        """The text of a file whose suppression comments are read."""
        return super().read_bytes(path).decode("utf-8", "replace")


def _span(s: Any) -> list[Any]:
    return [s.file, s.line, s.col, s.end_line, s.end_col]


def _diag_data(d: Diagnostic) -> list[Any]:
    return [d.code, d.severity, d.message, _span(d.span), d.hint]


def _diag(data: list[Any]) -> Diagnostic:
    from restybuild.errors import Span

    code, severity, message, span, hint = data
    return Diagnostic(code, severity, message, Span(*span), hint)


def partial(ctx: LintContext, order: list[list[Any]], select: tuple[str, ...],
            ignore: tuple[str, ...]) -> dict[str, Any] | None:
    """What :func:`relint` needs (see the module docstring), or None when the Lua files were
    read by something else than the scan and the suppressions."""
    from restybuild.lint.factcache import to_json

    tree = ctx.source
    if not isinstance(tree, LintTree) or tree.lua & tree.other:
        return None
    chunks: list[LuaChunk] = ctx.__dict__.get("lua_chunks", [])  # not computed: no Lua rule ran
    files = [[c.file, c.phase, c.subsystem] for c in chunks if not c.block]
    blocks = [[c.file, c.phase, c.subsystem, to_json(c.facts)] for c in chunks if c.block]
    return {
        "rules": [[code, severity, None if found is None else [_diag_data(d) for d in found],
                   module, env] for code, severity, found, module, env in order],
        "files": files, "blocks": blocks, "select": list(select), "ignore": list(ignore),
    }


def store(restyfile: str, variant: str, tree: SourceTree, result: LintResult, fmt: str,
          threshold: str) -> None:
    """Keep `result`'s partial entry for :func:`relint` (when it has one)."""
    from restybuild import fastpath
    from restybuild.cachedir import enabled
    from restybuild.lint.factcache import scanner_identity

    if result.partial is None or fmt not in FORMATS or not isinstance(tree, LintTree) \
            or not enabled():
        return
    records = [r for r in tree.snapshot() if not (r[0] == "read" and r[1] in tree.lua)]
    data = {**result.partial, "format": fmt, "threshold": threshold, "scanner": scanner_identity(),
            "records": [list(r) for r in records]}
    fastpath.store("lintlua", restyfile, variant, records, data)


def _findings(module: str, env: Any, chunks: list[LuaChunk]) -> list[Finding]:
    from importlib import import_module

    rule = import_module(module)
    return list(rule.check_lua(env, chunks))


def _chunks(data: dict[str, Any], tree: LintTree) -> list[LuaChunk] | None:
    """The Lua files' chunks (stored facts, or scanned when new) and the conf's blocks."""
    from restybuild.lint.factcache import FactCache, from_json

    stored = FactCache(data["scanner"])  # its files and libraries are in the entry's checks
    chunks: list[LuaChunk] = []
    for file, phase, subsystem in data["files"]:
        try:
            source = tree.read_lua(file)
        except OSError:
            return None  # not a regular file any more: the full lint says why
        chunks.append(LuaChunk(file, stored.scan(source, file), phase, subsystem))
    stored.save()
    for file, phase, subsystem, facts_data in data["blocks"]:
        facts = from_json(facts_data)
        if facts is None:
            return None
        chunks.append(LuaChunk(file, facts, phase, subsystem, block=True))
    return chunks


def diagnostics(data: dict[str, Any], tree: LintTree) -> tuple[Diagnostic, ...] | None:
    """The lint's diagnostics from a partial entry and the Lua files as they are now; None
    when the full lint must run."""
    from restybuild.errors import Span
    from restybuild.lint.suppress import suppress

    chunks = _chunks(data, tree)
    if chunks is None:
        return None
    diags: list[Diagnostic] = []
    for code, severity, found, module, env in data["rules"]:
        if found is not None:
            diags.extend(_diag(d) for d in found)
            continue
        try:
            findings = _findings(module, env, chunks)
        except KeyError:  # a module nobody looked up: the full lint finds its provider
            return None
        diags.extend(Diagnostic(code, f.severity or severity, f.message, Span(
            os.path.abspath(f.span.file), *_span(f.span)[1:]), f.hint) for f in findings)
    select, ignore = tuple(data["select"]), tuple(data["ignore"])

    def wanted(code: str) -> bool:
        return (not select or code.startswith(select)) and not code.startswith(ignore)

    return tuple(d for d in suppress(diags, tree) if wanted(d.code))


def relint(restyfile: str, variant: str) -> dict[str, Any] | None:
    """A lint's output (text, exit code) from its partial entry, stored as the lint's
    result; None when the full lint must run."""
    from restybuild import fastpath
    from restybuild.lint import output, severity_rank

    entry = fastpath.lookup_entry("lintlua", restyfile, variant)
    if entry is None:
        return None
    data: dict[str, Any] = entry["output"]
    tree = LintTree()
    try:
        diags = diagnostics(data, tree)
        if diags is None:
            return None
        text = output.as_json(diags) if data["format"] == "json" else output.text(diags)
        if any(d.code == "RB601" for d in diags):
            code = 2  # Exit.SYNTAX: a syntax error in an input
        else:
            limit = severity_rank(data["threshold"])
            code = 1 if any(severity_rank(d.severity) >= limit for d in diags) else 0
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ImportError):
        return None  # an entry of another shape (damaged, older): the full lint
    records = [*data["records"], *(list(r) for r in tree.snapshot())]
    result: dict[str, Any] = {"text": text, "exit": code}
    fastpath.store("lint", restyfile, variant, records, result, entry["dependencies"])
    return result
