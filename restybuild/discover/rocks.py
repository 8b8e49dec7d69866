"""Step 3: the luarocks trees the conf's Lua paths reach, their manifests read as Lua tables
(:mod:`restybuild.rocks_manifest`: tree-sitter, never run), every installed rock pinned to
its installed version, with the system packages the ones that build against a library need.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from restybuild.discover.model import ConfFacts, Finding, RockPin, RocksFacts
from restybuild.discover.tables import rock_packages
from restybuild.luatable import LuaDataError, LuaTable, read_assignments
from restybuild.records import replace
from restybuild.rocks_manifest import Manifest, read_manifest

MANIFEST = "lib/luarocks/rocks-5.1/manifest"
#: trees nginx's Lua reaches without the conf naming them (LuaJIT's default path in
#: OpenResty, luarocks' default tree)
DEFAULT_TREES = ("/usr/local/openresty/luajit", "/usr/local", "/usr")
_MARKERS = ("/share/lua/5.1/", "/lib/lua/5.1/")
FROM_FOLDERS = ("the rocks were taken from the tree's folders (lib/luarocks/rocks-5.1/NAME/"
                "VERSION) instead: check them against what the app needs")


def trees_on(paths: tuple[str, ...]) -> list[str]:
    """The tree folders the Lua path entries name (`/X/share/lua/5.1/?.lua` is `/X`)."""
    out: list[str] = []
    for entry in paths:
        for marker in _MARKERS:
            if marker in entry:
                out.append(entry.split(marker, 1)[0] or "/")
    return list(dict.fromkeys(out))


def find_trees(root: Path, conf: ConfFacts | None) -> list[str]:
    named = trees_on((*conf.package_path, *conf.package_cpath)) if conf else []
    return [t for t in dict.fromkeys((*named, *DEFAULT_TREES))
            if (root / t.lstrip("/") / "lib/luarocks/rocks-5.1").is_dir()]


def read_tree(root: Path, tree: str, package_manager: str) -> tuple[RocksFacts, list[Finding]]:
    """The installed rocks of `tree` (a host path) and the files they own."""
    folder = root / tree.lstrip("/")
    manifest_path = folder / MANIFEST
    shown = posixpath.join(tree, MANIFEST)
    findings: list[Finding] = []
    try:
        manifest: Manifest | None = read_manifest(manifest_path.read_bytes())
    except LuaDataError as e:
        manifest = None
        findings.append(Finding("rocks", "error", f"the manifest does not parse: {e}",
                                f"{shown}:{e.line}:{e.col}", FROM_FOLDERS))
    except OSError as e:
        manifest = None
        findings.append(Finding("rocks", "error", f"cannot read the manifest: {e.strerror}",
                                shown, FROM_FOLDERS))
    if manifest is not None:
        pairs = dependencies_first(manifest)
        owned = {posixpath.join(tree, d, f) for r in manifest.installed()
                 for f in r.modules.values() for d in ("share/lua/5.1", "lib/lua/5.1")}
        deps = {r.name: tuple(sorted(r.dependencies)) for r in manifest.installed()}
    else:
        pairs = _from_folders(folder / "lib/luarocks/rocks-5.1")
        owned, deps = set(), {}
    pins = []
    for name, version in pairs:
        pin, finding = _pin(folder, tree, name, version, package_manager)
        pins.append(replace(pin, deps=deps.get(name, ()), tree=tree))
        if finding is not None:
            findings.append(finding)
    return RocksFacts(tree, tuple(pins), frozenset(owned)), findings


def merge_trees(trees: tuple[RocksFacts, ...]) -> tuple[tuple[RockPin, ...], list[Finding]]:
    """Every rock of `trees` (in the order of the Lua path) once, as Lua would load it: a rock
    two trees have is the earlier tree's copy, and reported; each after the rocks it
    depends on, across trees (luarocks would otherwise install a dependency's newest
    version before the pinned one is reached)."""
    first: dict[str, RockPin] = {}
    findings: list[Finding] = []
    for facts in trees:
        for pin in facts.rocks:
            won = first.setdefault(pin.name, pin)
            if won is pin:
                continue
            same = won.version == pin.version
            findings.append(Finding(
                "rocks", "info" if same else "warning",
                f"the rock {pin.name} is in two trees: {won.tree} ({won.version}) and "
                f"{pin.tree} ({pin.version}); {won.tree} is earlier on lua_package_path, so "
                f"Lua loads its copy: {won.version} is pinned",
                posixpath.join(pin.tree, "lib/luarocks/rocks-5.1", pin.name, pin.version),
                "" if same else f"check the app with {pin.name} {won.version}, or remove the "
                "copy the old host does not load"))
    out: list[RockPin] = []
    done: set[str] = set()

    def visit(pin: RockPin, stack: tuple[str, ...]) -> None:
        if pin.name in done or pin.name in stack:
            return
        for dep in pin.deps:
            if dep in first:
                visit(first[dep], (*stack, pin.name))
        done.add(pin.name)
        out.append(pin)

    for pin in first.values():
        visit(pin, ())
    return tuple(out), findings


def dependencies_first(manifest: Manifest) -> list[tuple[str, str]]:
    """The installed rocks, each after the rocks it depends on (luarocks would otherwise
    install a dependency's newest version before the pinned one is reached)."""
    installed = {r.name: r for r in manifest.installed()}
    out: list[tuple[str, str]] = []
    done: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        rock = installed.get(name)
        if rock is None or name in done or name in stack:
            return
        for dep in sorted(rock.dependencies):
            visit(dep, (*stack, name))
        done.add(name)
        out.append((rock.name, rock.version))

    for name in sorted(installed):
        visit(name, ())
    return out


def _from_folders(rocks_dir: Path) -> list[tuple[str, str]]:
    return [(n.name, v.name) for n in sorted(rocks_dir.iterdir()) if n.is_dir()
            for v in sorted(n.iterdir()) if v.is_dir()]


def _pin(folder: Path, tree: str, name: str, version: str,
         package_manager: str) -> tuple[RockPin, Finding | None]:
    pair = rock_packages(name, package_manager)
    spec = folder / "lib/luarocks/rocks-5.1" / name / version / f"{name}-{version}.rockspec"
    external = _external(spec)
    if pair is not None:
        note = f"builds against {pair[0]} (runtime {pair[1]})"
        return RockPin(name, version, note, (pair,)), None
    if external:
        msg = (f"the rock {name} {version} builds against {', '.join(external)} "
               "(its rockspec's external_dependencies)")
        return RockPin(name, version, "needs " + ", ".join(external)), Finding(
            "rocks", "warning", msg, posixpath.join(tree, "lib/luarocks/rocks-5.1", name, version),
            "add the build and runtime packages to the rocks block: `system BUILD -> RUNTIME`")
    return RockPin(name, version), None


def _external(spec: Path) -> tuple[str, ...]:
    """The names of a rockspec's external_dependencies (none when it cannot be read)."""
    try:
        values = read_assignments(spec.read_bytes())
    except (OSError, LuaDataError):
        return ()
    ext = values.get("external_dependencies")
    if not isinstance(ext, LuaTable):
        return ()
    return tuple(sorted(k for k in ext.fields if isinstance(k, str) and k != "platforms"))
