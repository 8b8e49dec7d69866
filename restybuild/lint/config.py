"""Lint configuration: `[tool.restybuild]` in pyproject.toml or `restybuild.toml`.

Looked up in the Restyfile's folder. Keys: select, ignore (lists of code
prefixes), failure-threshold (error|warning|info), format (text|json|sarif),
worker-memory, master-memory (sizes), k8s (a folder of manifests).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from restybuild.errors import Exit, RestyError
from restybuild.source import SourceTree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = {"select": list, "ignore": list, "failure-threshold": str, "format": str,
        "worker-memory": str, "master-memory": str, "k8s": str}


class LintConfigError(RestyError):
    exit_code = Exit.CONFIG


def config_files(folder: Path) -> list[Path]:
    return [folder / "restybuild.toml", folder / "pyproject.toml"]


def load_config(folder: Path, tree: SourceTree | None = None) -> dict[str, Any]:
    """The lint options of the project in `folder` (restybuild.toml wins over pyproject)."""
    tree = tree if tree is not None else SourceTree()
    for path in config_files(folder):
        if not tree.is_file(str(path)):
            continue
        try:
            raw = tomllib.loads(tree.read_text(str(path)))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise LintConfigError(f"{path}: cannot read the configuration: {e}") from None
        table = raw if path.name == "restybuild.toml" else raw.get("tool", {}).get("restybuild")
        if table is None:
            continue
        for key, value in table.items():
            if key not in KEYS:
                raise LintConfigError(f"{path}: unknown key `{key}`",
                                      hint="known: " + ", ".join(sorted(KEYS)))
            if not isinstance(value, KEYS[key]):
                raise LintConfigError(f"{path}: `{key}` must be a {KEYS[key].__name__}")
        for key in ("worker-memory", "master-memory"):
            if key in table:
                from restybuild.units import parse_size

                if parse_size(str(table[key])) is None:
                    raise LintConfigError(f"{path}: `{key}` = {table[key]!r} is not a size",
                                          hint="sizes look like 64Mi or 128m")
        out = dict(table)
        if "k8s" in out:
            out["k8s"] = str((folder / out["k8s"]).resolve())
        return out
    return {}
