"""The shape of the code: small modules and functions, no import circles, elf/ a library."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "restybuild"
MAX_MODULE = 400
MAX_FUNCTION = 60
MAX_CLASS = 150


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        out[name] = path
    return out


def _imports(path: Path, name: str) -> set[str]:
    """The restybuild modules `path` imports at its top level (not inside functions, not
    for type checking only)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if isinstance(node, (ast.Import, ast.ImportFrom, ast.If,
                                                        ast.Try)) else ():
            if isinstance(sub, ast.Import):
                found |= {a.name for a in sub.names}
            elif isinstance(sub, ast.ImportFrom):
                base = sub.module or ""
                if sub.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - sub.level + 1]
                                    + ([base] if base else []))
                found.add(base)
                found |= {f"{base}.{a.name}" for a in sub.names}
    return {m for m in found if m.startswith("restybuild")}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {m for m in _imports(path, name) if m in mods and m != name}
            for name, path in mods.items()}


def test_no_module_is_over_400_lines() -> None:
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_MODULE}
    assert long == {}


def test_no_function_or_class_is_too_long() -> None:
    long = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                limit = MAX_FUNCTION
            elif isinstance(node, ast.ClassDef):
                limit = MAX_CLASS
            else:
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                long.append(f"{name}.{node.name}: {length} lines")
    assert long == []


def test_there_is_no_import_circle() -> None:
    g = graph()
    cycles = []

    def visit(node: str, path: list[str], done: set[str]) -> None:
        for nxt in sorted(g[node]):
            if nxt in path:
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in done:
                done.add(nxt)
                visit(nxt, [*path, nxt], done)

    for start in sorted(g):
        visit(start, [start], set())
    assert sorted(set(cycles))[:5] == []


def test_elf_is_a_library() -> None:
    """restybuild.elf imports no stage of restybuild: not the model, planning or lint."""
    allowed = ("restybuild.elf", "restybuild.errors", "restybuild.cachedir", "restybuild.records",
               "restybuild.engine", "restybuild.interrupt")
    bad = {name: sorted(m for m in deps if not m.startswith(allowed))
           for name, deps in graph().items() if name.startswith("restybuild.elf")}
    assert {k: v for k, v in bad.items() if v} == {}
