"""What a rockspec says, and what luarocks would install from it: read, never run.

The rockspec is read with :func:`restybuild.luatable.read_assignments`. Its modules
follow luarocks 3 (``luarocks/build.lua``, ``luarocks/build/builtin.lua``,
``luarocks/rockspecs.lua``), on Linux:

- ``build.platforms.unix`` then ``.linux`` are deep-merged into ``build`` first;
- with ``rockspec_format = "3.0"`` a missing ``build`` or ``build.type`` is ``builtin``
  (``module`` is an old name of it);
- ``builtin``: the keys of ``build.modules``; with no ``modules`` (format 3.0 only), the
  autodetected ones: every ``*.lua`` under ``src/``, else ``lua/``, else the rock's root
  (``test.lua`` and ``tests.lua`` at that level left out) and every ``*.c`` (named after
  its path: luarocks reads the ``luaopen_`` name from the file, so such a rock is marked
  incomplete); and the contents of a ``lua/`` folder, which builtin always copies;
- any type: the keys of ``build.install.lua`` and ``build.install.lib`` (an array item
  installs the file under its own name);
- ``make``, ``cmake``, ``command`` and custom types install what their tools install:
  what the rockspec shows is listed and the result is marked incomplete.

The rock's files (for autodetection and ``lua/``) are given as paths relative to the
source folder. :func:`read_rock` finds them in a ``.rock`` file: a binary rock's
``lua/`` and ``lib/`` members are its modules as installed; a source rock's tree is its
members, or the members of the source archive it carries (under ``source.dir``, else
the single folder it unpacks to, else the folder ``source.url`` names).
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from typing import Union

from restybuild.luatable import LuaTable, LuaValue, read_assignments
from restybuild.records import dataclass

#: ``cfg.each_platform()`` on Linux, least specific first.
PLATFORMS = ("unix", "linux")
#: ``package.path`` / ``package.cpath`` extensions (LuaJIT on Linux).
MODULE_EXTENSIONS = (".lua", ".so")
#: An archive with more members than this is not listed (its modules stay unknown).
MAX_MEMBERS = 100_000
#: Nor is an archive or member that unpacks to more bytes than this.
MAX_UNPACKED = 256 * 1024 * 1024

Files = Union[Sequence[str], Callable[[], Sequence[str]], None]


@dataclass(frozen=True)
class RockspecInfo:
    package: str | None
    version: str | None
    build_type: str | None
    modules: tuple[str, ...]  # what luarocks would install, as far as the files tell
    complete: bool  # False: the rock may install modules not listed

    @property
    def name(self) -> str | None:
        """The rock's name: luarocks lowercases ``package``."""
        return self.package.lower() if self.package else None


def path_to_module(file: str) -> str:
    """luarocks' ``path.path_to_module``: ``a/b.lua`` -> ``a.b``; other files unchanged."""
    for ext in MODULE_EXTENSIONS:
        if file.endswith(ext):
            return file[: -len(ext)].replace("\\", ".").replace("/", ".").strip(".")
    return file.strip(".")


def _module_dir(module: str) -> str:
    """luarocks' ``path.module_to_path``: the folder of ``a.b.c`` is ``a/b``."""
    return module.rpartition(".")[0].replace(".", "/")


def _format_at_least_3(fmt: LuaValue) -> bool:
    head = fmt.split(".")[0] if isinstance(fmt, str) else ""
    return head.isdigit() and int(head) >= 3


def _deep_merge(dst: LuaTable, src: LuaTable) -> LuaTable:
    """luarocks' ``util.deep_merge``: tables merged key by key, other values replaced."""
    items = dict(dst.items())
    for key, value in src.items():
        old = items.get(key)
        if isinstance(value, LuaTable):
            items[key] = _deep_merge(old if isinstance(old, LuaTable) else LuaTable(), value)
        else:
            items[key] = value
    return LuaTable.from_items(items)


def _platform_build(build: LuaTable) -> LuaTable:
    platforms = build.table("platforms")
    if platforms is None:
        return build
    for name in PLATFORMS:
        override = platforms.table(name)
        if override is not None:
            build = _deep_merge(build, override)
    return LuaTable.from_items({k: v for k, v in build.items() if k != "platforms"})


class _Found:
    """Module names in order, once each, and whether the list is complete."""

    def __init__(self) -> None:
        self.names: dict[str, None] = {}
        self.complete = True

    def add(self, name: str) -> None:
        if name:
            self.names[name] = None


def _install(found: _Found, install: LuaValue) -> None:
    """``build.install.lua`` / ``.lib`` (luarocks' ``install_to``)."""
    if install is None:
        return
    if not isinstance(install, LuaTable):
        found.complete = False
        return
    for kind in ("lua", "lib"):
        files = install.get(kind)
        if files is None:
            continue
        if not isinstance(files, LuaTable):
            found.complete = False
            continue
        for key, file in files.items():
            if not isinstance(file, str) or not isinstance(key, (str, int)):
                found.complete = False
            elif isinstance(key, int):
                found.add(path_to_module(posixpath.basename(file)))
            elif kind == "lua" and file.endswith(".lua"):
                found.add(key)
            else:  # installed as MODULE_DIR/BASENAME(file)
                found.add(path_to_module(posixpath.join(_module_dir(key),
                                                        posixpath.basename(file))))


def autodetect_modules(files: Sequence[str]) -> tuple[list[str], bool]:
    """builtin's ``autodetect_modules``: the modules, and False if a C module's name is a guess."""
    prefix = next((p for p in ("src/", "lua/") if any(f.startswith(p) for f in files)), "")
    modules: list[str] = []
    exact = True
    for file in sorted(f[len(prefix):] for f in files if f.startswith(prefix)):
        if file.endswith(".lua") and file[:-4] not in ("test", "tests"):
            modules.append(path_to_module(file))
        elif file.endswith(".c"):
            modules.append(path_to_module(file[:-2] + ".lua"))
            exact = False
    return modules, exact


def _builtin(found: _Found, build: LuaTable, fmt3: bool, files: Files) -> None:
    listing = files() if callable(files) else files
    modules = build.get("modules")
    if isinstance(modules, LuaTable):
        for key, _ in modules.items():
            if isinstance(key, str):
                found.add(key)
            else:
                found.complete = False
    elif modules is None and fmt3 and listing is not None:
        names, exact = autodetect_modules(listing)
        for name in names:
            found.add(name)
        found.complete = found.complete and exact
    else:  # computed, or not known without the files, or a build luarocks refuses (< 3.0)
        found.complete = False
    for file in sorted(listing or ()):  # builtin copies the lua/ folder as it is
        if file.startswith("lua/") and file.endswith(MODULE_EXTENSIONS):
            found.add(path_to_module(file[4:]))


def read_rockspec(source: bytes | str, files: Files = None) -> RockspecInfo:
    """Package, version and modules of a rockspec; ``files`` is the rock's file list
    (or a function giving it, called only when needed). LuaDataError if not valid Lua."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    spec = read_assignments(data)
    package, version = spec.get("package"), spec.get("version")
    fmt3 = _format_at_least_3(spec.get("rockspec_format"))
    build = spec.get("build")
    if build is None and fmt3:
        build = LuaTable()
    found = _Found()
    btype: LuaValue = None
    if isinstance(build, LuaTable):
        build = _platform_build(build)
        btype = build.get("type") or ("builtin" if fmt3 else None)
        btype = "builtin" if btype == "module" else btype
        if btype == "builtin":
            _builtin(found, build, fmt3, files)
        elif btype != "none":
            found.complete = False
        _install(found, build.get("install"))
    else:
        found.complete = False
    return RockspecInfo(package if isinstance(package, str) else None,
                        version if isinstance(version, str) else None,
                        btype if isinstance(btype, str) else None,
                        tuple(found.names), found.complete)


# -- .rock files ----------------------------------------------------------------------------


def _source_tree(members: Sequence[str], source: LuaValue) -> list[str] | None:
    """The files under the source folder luarocks would change to (``fetch.lua``)."""
    from restybuild.rockserver import deduce_base_dir

    src = source if isinstance(source, LuaTable) else LuaTable()
    folders = {"/".join(parts[:i]) for parts in (m.split("/") for m in members)
               for i in range(1, len(parts))}
    explicit = src.string("dir")
    url = src.string("file") or src.string("url") or ""
    name = posixpath.basename(url.rstrip("/"))
    top = sorted({m.split("/")[0] for m in members if "/" in m})
    if explicit is not None:
        base: str | None = explicit.strip("/") if explicit.strip("/") in folders else None
        base = "." if explicit.strip("/") in ("", ".") else base
    elif name.endswith((".lua", ".c")) and name in members:
        base = "."
    elif len(top) == 1:
        base = top[0]
    else:
        deduced = deduce_base_dir(name) if name else ""
        base = deduced if deduced in folders else None
    if base is None:
        return None
    if base == ".":
        return list(members)
    return [m[len(base) + 1:] for m in members if m.startswith(base + "/")]


class _Budget(io.RawIOBase):
    """A stream that refuses to give more than ``limit`` bytes (an archive bomb stops)."""

    def __init__(self, inner: io.BufferedIOBase | gzip.GzipFile, limit: int) -> None:
        self.inner, self.left = inner, limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.left -= len(data)
        if self.left < 0:
            raise ValueError("the archive unpacks to more than the limit")
        return data


def _archive_members(data: bytes, name: str) -> list[str] | None:
    """The file names in a source archive (.zip, .tar.gz, .tgz, .tar), or None if unreadable."""
    names: list[str] = []
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = [n for n in z.namelist()[:MAX_MEMBERS + 1] if not n.endswith("/")]
        else:
            raw = io.BytesIO(data)
            inner = raw if name.endswith(".tar") else gzip.GzipFile(fileobj=raw)
            with tarfile.open(fileobj=_Budget(inner, MAX_UNPACKED), mode="r|") as tf:
                for member in tf:
                    if member.isfile():
                        names.append(member.name)
                    if len(names) > MAX_MEMBERS:
                        return None
    except (OSError, EOFError, ValueError, zlib.error, tarfile.TarError, zipfile.BadZipFile):
        return None
    return [n[2:] if n.startswith("./") else n for n in names]


def _member(z: zipfile.ZipFile, name: str) -> bytes:
    if z.getinfo(name).file_size > MAX_UNPACKED:
        raise ValueError(f"{name} unpacks to more than {MAX_UNPACKED} bytes")
    return z.read(name)


def read_rock(data: bytes) -> RockspecInfo:
    """What a ``.rock`` / ``.src.rock`` installs. ValueError when it cannot be read (not
    a zip, corrupt, too big, no rockspec inside); LuaDataError for a broken rockspec."""
    try:
        return _read_rock(data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            RuntimeError, NotImplementedError) as exc:  # what zipfile raises on bad data
        raise ValueError(f"unreadable rock: {exc}") from exc


def _read_rock(data: bytes) -> RockspecInfo:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = [n for n in z.namelist() if not n.endswith("/")]
        specs = [n for n in members if n.endswith(".rockspec") and "/" not in n]
        if not specs:
            raise ValueError("no rockspec in the rock")
        text = _member(z, specs[0])
        if "rock_manifest" in members:  # a binary rock: lua/ and lib/ as installed
            info = read_rockspec(text, [])
            mods = [path_to_module(m.split("/", 1)[1]) for m in sorted(members)
                    if m.startswith(("lua/", "lib/")) and m.endswith(MODULE_EXTENSIONS)]
            return RockspecInfo(info.package, info.version, info.build_type,
                                tuple(dict.fromkeys(mods)), True)
        source = read_assignments(text).get("source")
        archive = source.string("file") if isinstance(source, LuaTable) else None
        url = source.string("url") if isinstance(source, LuaTable) else None
        archive = archive or posixpath.basename((url or "").rstrip("/"))
        if archive in members and archive.endswith((".zip", ".tar.gz", ".tgz", ".tar")):
            inner = _archive_members(_member(z, archive), archive)
            tree = _source_tree(inner, source) if inner is not None else None
        else:
            tree = _source_tree([m for m in members if m != specs[0]], source)
    return read_rockspec(text, tree)
