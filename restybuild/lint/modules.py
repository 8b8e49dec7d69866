"""Who provides a Lua module: project folders, natives, declared rocks, the base, LuaJIT."""

from __future__ import annotations

import fnmatch
import os
import posixpath
import sys
import zipfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from restybuild.conf.tree import to_project
from restybuild.data import data_dir
from restybuild.luatable import LuaDataError
from restybuild.model import Project
from restybuild.records import dataclass, field
from restybuild.rockspec import Files, RockspecInfo, read_rock, read_rockspec
from restybuild.source import SourceTree

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    path = data_dir("recipes") / "lua-modules.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _match(module: str, patterns: list[str] | tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(module, p) for p in patterns)


def rockspec_modules(text: str | bytes, files: Files = None) -> tuple[str, ...]:
    """The modules luarocks would install from a rockspec (see :mod:`restybuild.rockspec`).

    ``files``: the rock's files relative to its source folder (the members of a
    ``.src.rock``'s tree, the files beside a rockspec in the project), needed when
    ``build.modules`` is absent. Raises LuaDataError if the rockspec is not valid Lua.
    """
    return read_rockspec(text, files).modules


def _files_beside(tree: SourceTree, folder: str) -> Callable[[], list[str]]:
    """A lister of the files under ``folder`` (relative to it; .git left out)."""
    def files() -> list[str]:
        found: list[str] = []
        for dirpath, dirnames, filenames in tree.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            below = os.path.relpath(dirpath, folder).replace(os.sep, "/")
            found.extend(f if below == "." else f"{below}/{f}" for f in filenames)
        return sorted(found)
    return files


def _rock_files(project: Project, tree: SourceTree) -> dict[str, RockspecInfo]:
    """rock name -> what its rockspec says, from the server folder and the `rock PATH` files."""
    root = Path(project.root)
    infos: dict[str, RockspecInfo] = {}
    rocks = project.rocks
    if rocks is None:
        return infos
    candidates: list[Path] = []
    if rocks.server and not rocks.server_is_url:
        candidates += [Path(p) for p in tree.glob(str(root / rocks.server / "*.rock*"))]
    candidates += [root / r.path for r in rocks.rocks if r.path]
    for path in candidates:
        try:
            if path.suffix == ".rockspec":
                info = read_rockspec(tree.read_bytes(str(path)),
                                     _files_beside(tree, str(path.parent)))
            elif path.suffix == ".rock":
                info = read_rock(tree.read_bytes(str(path)))
            else:
                continue
        except (OSError, zipfile.BadZipFile, ValueError, LuaDataError):
            continue
        if info.name:
            infos[info.name] = info  # luarocks names are case-insensitive
    return infos


@dataclass(frozen=True)
class Providers:
    project: Project
    tree: SourceTree
    base_patterns: tuple[str, ...]
    rock_modules: dict[str, tuple[str, ...]]  # rock name -> module patterns
    unknown_rocks: tuple[str, ...]  # declared rocks whose modules could not be read
    memo: dict[str, str | None] = field(default_factory=dict, compare=False)
    files: list[str] = field(default_factory=list, compare=False)
    #: the conf's own search entries, as image path patterns (`/opt/waf/?.lua`)
    search: tuple[str, ...] = ()

    def who(self, module: str) -> str | None:
        """A description of what provides `module`, or None (memoized per module)."""
        if module not in self.memo:
            self.memo[module] = self._who(module)
        return self.memo[module]

    def _who(self, module: str) -> str | None:
        root = self.project.root
        rel = module.replace(".", "/")
        for c in self.project.lua:
            for cand in (f"{rel}.lua", f"{rel}.ljbc", f"{rel}/init.lua", f"{rel}/init.ljbc"):
                if self.tree.is_file(os.path.join(root, c.src, cand)):
                    return f"{c.src}/{cand}"
        for pattern in self.search:  # the conf's lua_package_path / cpath, as nginx has it
            src = to_project(self.project, pattern.replace("?", rel))
            if src is not None and self.tree.is_file(os.path.join(root, src)):
                return src
        head = module.split(".")[0]
        for n in self.project.natives:
            name = Path(n.src).name.split(".")[0]
            if name in (module, head) or Path(n.src).name == f"{module}.so":
                return n.src
        for rock, patterns in self.rock_modules.items():
            if _match(module, patterns):
                return f"rock {rock}"
        if _match(module, self.base_patterns):
            return "the base image"
        return None

    def _project_files(self) -> list[str]:
        """Every file of the project, relative to it (sorted; .git left out); listed once."""
        if not self.files:
            root = self.project.root
            for dirpath, dirnames, filenames in self.tree.walk(root):
                dirnames[:] = [d for d in dirnames if d != ".git"]
                below = os.path.relpath(dirpath, root).replace(os.sep, "/")
                self.files.extend(f if below == "." else f"{below}/{f}" for f in filenames)
            self.files.sort()
            self.files.append("")  # listed, even when the project has no file
        return self.files[:-1]

    def suggest(self, module: str) -> str | None:
        """Who could provide `module` if it were declared."""
        rel = module.replace(".", "/")
        for cand in (f"{rel}.lua", f"{rel}/init.lua"):
            hits = [p for p in self._project_files() if p.endswith("/" + cand) or p == cand][:1]
            if hits:
                found = hits[0]
                folder = found[: -len(cand)].rstrip("/") or "."
                return f"{found} would: declare `lua {folder} -> lua`"
        for rock, patterns in _table().get("rocks", {}).items():
            if _match(module, patterns):
                return f"the rock {rock} provides it: add `rock {rock} VERSION` to `rocks`"
        return None


def search_patterns(value: str, prefix: str) -> tuple[str, ...]:
    """The entries of a `lua_package_path`/`cpath` value as absolute image path patterns:
    `$prefix` is nginx's prefix, a relative entry is relative to nginx's working folder
    (`/` in the image), `;;` (the base's default path) is left out."""
    out = []
    for entry in value.split(";"):
        if not entry:
            continue
        e = entry.replace("${prefix}", prefix.rstrip("/") + "/").replace(
            "$prefix", prefix.rstrip("/") + "/")
        out.append(posixpath.normpath(posixpath.join("/", e)))
    return tuple(out)


def recipe_modules(recipe: str) -> tuple[str, ...]:
    """The Lua modules base recipe `recipe` bundles (patterns: `*` ends a prefix)."""
    return tuple(_table().get("recipes", {}).get(recipe, {}).get("modules", []))


def bundles(recipe: str, module: str) -> bool:
    """Whether base recipe `recipe` bundles Lua module `module`."""
    return _match(module, recipe_modules(recipe))


def providers(project: Project, tree: SourceTree, search: tuple[str, ...] = ()) -> Providers:
    table = _table()
    base = tuple(table.get("luajit", {}).get("modules", [])) + recipe_modules(
        project.flavor.recipe)
    specs = _rock_files(project, tree)
    known = table.get("rocks", {})
    modules: dict[str, tuple[str, ...]] = {}
    unknown: list[str] = []
    if project.rocks:
        for r in project.rocks.rocks:
            name = r.name.lower() if r.name else None
            if name is None:
                spec_names = [n for n in specs if r.path and Path(r.path).name.startswith(n)]
                name = spec_names[0] if spec_names else Path(r.path or "").stem
            if name in specs:  # `a.init` (a/init.lua) is what `require "a"` loads
                found = specs[name].modules
                modules[name] = found + tuple(m[:-5] for m in found if m.endswith(".init"))
                if not specs[name].complete:
                    unknown.append(name)
            elif name in known:
                modules[name] = tuple(known[name])
            else:
                unknown.append(name)
    return Providers(project, tree, base, modules, tuple(unknown), search=search)
