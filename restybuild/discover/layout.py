"""Step 5: the folders of the old host (or the checkout) mapped to Restyfile statements that
keep the app's paths: the conf folder, Lua folders (so the conf's own lua_package_path keeps
working), assets (`files`), natives and their libraries, the rocks; and what to copy into
the project folder (a host copy) so every source sits inside it, as the path rules require.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from restybuild.conf.tree import MAIN
from restybuild.discover.model import Discovery, Finding
from restybuild.records import dataclass, field

KEY_DIRECTIVES = (".key",)


@dataclass(frozen=True)
class Line:
    text: str
    comment: str = ""


@dataclass
class Layout:
    folders: list[Line] = field(default_factory=list)
    natives: list[Line] = field(default_factory=list)
    rocks: list[Line] = field(default_factory=list)
    #: (host path, project path, whole folder: every file below it but .so) to copy
    copies: list[tuple[str, str, bool]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    shipped: list[str] = field(default_factory=list)  # host folders an image path comes from


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


class Mapper:
    """Host paths to project paths (left of `->`) and image paths (right of it)."""

    def __init__(self, d: Discovery, prefix: str) -> None:
        self.host = d.host
        self.prefix = prefix

    def rel(self, host: str) -> str:
        if self.host and _inside(host, self.prefix) and host != self.prefix:
            return posixpath.relpath(host, self.prefix)
        return host.lstrip("/") or "."

    def dst(self, host: str) -> str:
        if _inside(host, self.prefix) and host != self.prefix:
            return posixpath.relpath(host, self.prefix)
        return host


def lay_out(d: Discovery, root: Path, rocks_server: str | None) -> Layout:
    assert d.conf is not None
    m = Mapper(d, d.conf.prefix)
    out = Layout()
    conf_dir = posixpath.dirname(d.conf.main)
    dst = m.dst(conf_dir)
    line = f"conf {m.rel(conf_dir)}" + ("" if dst == "conf" else f" -> {dst}")
    if not d.conf.files:  # it could not be read: the image gets restybuild's own for now
        out.folders.append(Line(f"# {line}", f"{d.conf.main} could not be read: see the "
                                "findings, then put this line back"))
    else:
        out.folders.append(Line(line, f"the conf folder of {d.conf.main}, shipped whole"
                                + _renamed(d.conf.main)))
        out.copies.append((conf_dir, m.rel(conf_dir), True))
        if posixpath.basename(d.conf.main) != MAIN:  # after the folder: it wins over one there
            out.copies.append((d.conf.main, posixpath.join(m.rel(conf_dir), MAIN), False))
        out.shipped.append(conf_dir)
    _outside_conf(d, m, out, conf_dir)
    _lua_folders(d, root, m, out)
    _assets(d, root, m, out)
    _natives(d, m, out)
    _rocks(d, out, rocks_server)
    return out


def _renamed(main: str) -> str:
    """The comment's tail when the host's nginx ran a main conf not named nginx.conf."""
    if posixpath.basename(main) == MAIN:
        return ""
    return (f"; its main file {posixpath.basename(main)} (the host's -c) is copied as {MAIN},"
            " the one restybuild's nginx reads")


def _outside_conf(d: Discovery, m: Mapper, out: Layout, conf_dir: str) -> None:
    """Included files outside the conf folder: their folders, with just those files."""
    assert d.conf is not None
    extra: dict[str, list[str]] = {}
    for f in d.conf.files:
        if not _inside(f, conf_dir):
            extra.setdefault(posixpath.dirname(f), []).append(f)
    for folder, files in sorted(extra.items()):
        if any(_inside(folder, s) for s in out.shipped):
            continue
        out.folders.append(Line(f"files {m.rel(folder)} -> {m.dst(folder)}",
                                "conf files included from outside the conf folder"))
        out.copies += [(f, m.rel(f), False) for f in files]
        out.shipped.append(folder)


def _folder_of(entry: str) -> str:
    """The folder of a Lua path entry: `/a/lua/?.lua` and `/a/lua/?/init.lua` are `/a/lua`."""
    return posixpath.normpath(entry.split("?", 1)[0] + "x").rsplit("/", 1)[0] or "/"


def _lua_folders(d: Discovery, root: Path, m: Mapper, out: Layout) -> None:
    assert d.conf is not None
    trees = [r.tree for r in d.rocks]
    folders: list[str] = []
    provided = [*trees, *([d.bundle] if d.bundle else [])]  # the base brings the bundle's
    for entry in d.conf.package_path:
        folder = _folder_of(entry)
        if any(_inside(folder, x) for x in (*out.shipped, *provided)) or \
                "/share/lua/5.1" in folder:
            continue
        if not (root / folder.lstrip("/")).is_dir():
            out.findings.append(Finding("layout", "warning", f"lua_package_path names {entry}, "
                                        "but its folder is not in ROOT", d.conf.main,
                                        "copy that folder into the project and declare it: "
                                        f"lua DIR -> {m.dst(folder)}"))
            continue
        if any(_inside(s, folder) for s in out.shipped):
            out.findings.append(Finding("layout", "warning", f"the Lua folder {folder} holds "
                                        "the conf folder: left out (they would overlap)",
                                        d.conf.main, "move the Lua code into a folder of its "
                                        "own and name it in lua_package_path"))
            continue
        folders.append(folder)
    for folder in sorted(set(folders), key=len):
        if any(_inside(folder, f) for f in out.shipped):
            continue
        out.folders.append(Line(f"lua {m.rel(folder)} -> {m.dst(folder)}",
                                "on the conf's lua_package_path"))
        out.copies.append((folder, m.rel(folder), True))
        out.shipped.append(folder)


def _assets(d: Discovery, root: Path, m: Mapper, out: Layout) -> None:
    """Folders the conf serves or reads that no statement ships yet: `files`."""
    assert d.conf is not None
    wanted: list[tuple[str, str]] = []
    for f in d.conf.lua_files:
        wanted.append((posixpath.dirname(f), "holds a *_by_lua_file the conf runs"))
    for folder in d.conf.static_dirs:
        wanted.append((folder.rstrip("/") or "/", "a root or alias of the conf"))
    for f in d.conf.referenced:
        if f.endswith(KEY_DIRECTIVES):
            out.findings.append(Finding("layout", "warning", f"the conf reads the private key "
                                        f"{f}: not copied (secrets never enter an image)",
                                        d.conf.main, "mount it at run time (a Kubernetes "
                                        "Secret) at the same path"))
            continue
        wanted.append((posixpath.dirname(f), "files the conf reads"))
    for folder, why in wanted:
        if folder in ("/", "") or any(_inside(folder, s) for s in out.shipped):
            continue
        if not (root / folder.lstrip("/")).is_dir():
            out.findings.append(Finding("layout", "warning", f"the conf names {folder}, which "
                                        "is not in ROOT", d.conf.main, "copy it into the "
                                        f"project: files DIR -> {m.dst(folder)}"))
            continue
        if any(_inside(s, folder) for s in out.shipped):
            out.findings.append(Finding("layout", "warning", f"{folder} ({why}) holds a folder "
                                        "already shipped: left out (they would overlap)",
                                        d.conf.main, "serve the files from a folder of their "
                                        "own"))
            continue
        out.folders.append(Line(f"files {m.rel(folder)} -> {m.dst(folder)}", why))
        out.copies.append((folder, m.rel(folder), True))
        out.shipped.append(folder)


def _natives(d: Discovery, m: Mapper, out: Layout) -> None:
    names: set[str] = set()
    for n in d.natives:
        base = posixpath.basename(n.path)
        sub = "natives" if base not in names else f"natives/{len(names)}"
        names.add(base)
        src = n.path.lstrip("/") if not d.host else f"{sub}/{base}"
        if d.host:
            out.copies.append((n.path, src, False))
        search = []
        for name, lib in n.deps:
            if d.host:
                out.copies.append((lib, f"{sub}/lib/{name}", False))
                search.append(f"{sub}/lib")
            else:
                search.append(posixpath.dirname(lib).lstrip("/"))
        why = "a self-compiled Lua C module no rock owns"
        if not search:
            out.natives.append(Line(f"native {src} -> {m.dst(n.dst)}", why))
            continue
        out.natives.append(Line(f"native {src} -> {m.dst(n.dst)} {{", why))
        out.natives.append(Line("    search " + " ".join(dict.fromkeys(search)),
                                "the libraries it needs that the base lacks, from the old "
                                "host" if d.host else "where its libraries are"))
        out.natives.append(Line("}"))


def _rocks(d: Discovery, out: Layout, server: str | None) -> None:
    if not d.pins:
        return
    tree = d.rocks[0].tree
    out.rocks.append(Line(f"rocks -> {tree} {{", "where the old host's luarocks tree was, so "
                          "the conf's Lua paths reach it"))
    if len(d.rocks) > 1:
        out.rocks.append(Line(f"    # the old host had {len(d.rocks)} trees: "
                              + ", ".join(r.tree for r in d.rocks) + f"; the rocks of all go "
                              f"into {tree}, the first on the Lua path"))
    if server:
        out.rocks.append(Line(f"    server {server}", "the offline rocks server given with "
                              "--rocks-server"))
    else:
        out.rocks.append(Line("    # no server: the builder fetches from luarocks' default "
                              "server; offline, name a rocks server folder: server DIR"))
    systems: list[tuple[str, str]] = []
    for pin in d.pins:
        why = "installed version" + (f"; {pin.note}" if pin.note else "")
        if pin.tree != tree:
            why += f" (from the tree {pin.tree})"
        out.rocks.append(Line(f"    rock {pin.name} {pin.version}", why))
        systems += pin.system
    for build, runtime in dict.fromkeys(systems):
        out.rocks.append(Line(f"    system {build} -> {runtime}", "a rock builds against it"))
    out.rocks.append(Line("}"))
