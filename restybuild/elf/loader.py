"""A model of the dynamic loader: which file each DT_NEEDED name of an object loads.

glibc (``elf/dl-load.c``: ``_dl_map_object``, ``open_path``, ``open_verify``;
``elf/dl-deps.c``: breadth-first ``_dl_map_object_deps``; ``elf/dl-version.c``)
resolves a name, in this order:

1. a name containing ``/`` is a path (after ``$ORIGIN``/``$LIB``/``$PLATFORM``
   expansion); nothing is searched;
2. an object already loaded whose name or ``DT_SONAME`` is the name is reused
   (objects are loaded breadth-first, so which one is "already loaded"
   depends on the order, which this model keeps);
3. only when the requesting object has no ``DT_RUNPATH``: the ``DT_RPATH`` of
   the requester, then of the object that loaded it, and on up its loader
   chain (``l_loader``; a ``dlopen``'d Lua module has none, so its chain is the
   module), then the ``DT_RPATH`` of the main program (nginx) unless already
   searched; an object with both has no ``DT_RPATH`` anywhere in the chain
   (``elf/get-dynamic-info.h`` drops it when ``DT_RUNPATH`` is present);
4. ``LD_LIBRARY_PATH`` (the image's ``ENV``);
5. the requester's own ``DT_RUNPATH`` (never inherited by what it loads);
6. ``/etc/ld.so.cache``, as ``ldconfig`` last wrote it (ld.so never reads
   ``ld.so.conf``: a folder listed there without an ``ldconfig`` run is not
   searched); with ``DF_1_NODEFLIB`` on the requester, entries in trusted
   folders are ignored;
7. the trusted folders compiled into ld.so (multiarch ones included), unless
   the requester has ``DF_1_NODEFLIB``.

An empty element of LD_LIBRARY_PATH, DT_RPATH or DT_RUNPATH (``/x::/y``, a
trailing ``:``) is the process's working folder, a relative one is relative to
it, and so is a relative DT_NEEDED path (:mod:`restybuild.elf.paths` has how
each list is built, tokens included).

A candidate of the other ELF class, or of another machine, is skipped and the
search goes on (``open_verify``: "not a fatal error"); a file that is not ELF,
or that ``open_verify`` refuses otherwise (the other byte order, a foreign OS
ABI...), stops the search with ld.so's fatal error ("invalid ELF header", "ELF
file OS ABI invalid"). An object found under a new name that is a file already
loaded (same device and inode) is that object; a new one must map
(``_dl_map_object_from_fd``: no executable, no PIE, no ``DF_1_NOOPEN`` object
under ``dlopen``...). :mod:`restybuild.elf.verify` has both, in glibc's order
and words. Then every version an object
needs (``.gnu.version_r``) must be defined by the object loaded under that
name (``.gnu.version_d``), unless marked weak; a provider without version
definitions only draws a warning from glibc and is accepted.

musl (``ldso/dynlink.c``: ``load_library``, ``path_open``, ``fixup_rpath``):

1. ``libc.so`` and the names of the libraries musl's libc.so implements
   (``libc.*``, ``libpthread.*``, ``librt.*``, ``libm.*``, ``libdl.*``,
   ``libutil.*``, ``libxnet.*``) are libc itself;
2. a name with ``/`` is a path; an object already loaded under that name is
   reused (musl does not compare ``DT_SONAME``);
3. ``LD_LIBRARY_PATH`` (empty elements skipped, relative ones in the working
   folder, here and below);
4. the ``DT_RUNPATH``, else ``DT_RPATH``, of the requester, then of the object
   that needed it, up to the program (only ``$ORIGIN`` is expanded; an entry
   with any other ``$`` token drops that object's whole path);
5. ``/etc/ld-musl-ARCH.path`` if the image has it, else
   ``/lib:/usr/local/lib:/usr/lib``.

musl takes the first file that opens, whatever it is: a wrong class or
machine there is an error, not a skip. musl checks no symbol versions.

A :class:`Session` reuses what is loaded and knows musl's own names; the steps that
search folders are :mod:`restybuild.elf.order`'s (one class for each loader).

Not modelled: glibc-hwcaps and legacy hwcaps subfolders (they depend on the
CPU the image will run on; ``ld.so.cache`` entries for them are ignored in
favour of the baseline entry), ``LD_PRELOAD``, audit modules, secure mode.
"""

from __future__ import annotations

import posixpath
from collections.abc import Hashable, Iterable

from restybuild.elf.closure import Closure, Loaded, LoaderEnv, Lookup, VersionProblem
from restybuild.elf.fs import FileSystem
from restybuild.elf.ldcache import CacheEntry
from restybuild.elf.order import Mapped, order_of
from restybuild.elf.paths import in_cwd
from restybuild.elf.reader import ElfObject, NotElf
from restybuild.elf.verify import map_error, refusal

_MUSL_RESERVED = ("c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet.")
__all__ = ["Closure", "Loaded", "Loader", "LoaderEnv", "Lookup", "Session", "VersionProblem"]


_INDEXES: dict[int, tuple[tuple[CacheEntry, ...], dict[str, list[CacheEntry]]]] = {}


def cache_index(cache: tuple[CacheEntry, ...]) -> dict[str, list[CacheEntry]]:
    """The entries of an ld.so.cache by name, in file order; made once per cache (the
    environments of one run share their cache tuple), not once per loader."""
    known = _INDEXES.get(id(cache))
    if known is not None and known[0] is cache:
        return known[1]
    index: dict[str, list[CacheEntry]] = {}
    for entry in cache:
        index.setdefault(entry.name, []).append(entry)
    if len(_INDEXES) > 16:
        _INDEXES.clear()
    _INDEXES[id(cache)] = (cache, index)
    return index


class Loader:
    """Resolves names in one file system for one loader environment; caches what it reads."""

    def __init__(self, env: LoaderEnv, fs: FileSystem,
                 objects: dict[Hashable, ElfObject | str] | None = None) -> None:
        self.env = env
        self.fs = fs
        #: facts by file identity; a string says why the file is not loadable. Loaders over
        #: file systems that give the same identities may share it.
        self._objects = {} if objects is None else objects
        self._cache = cache_index(env.cache)

    def with_fs(self, fs: FileSystem) -> Loader:
        """A loader of the same environment over `fs`, sharing this one's caches (the facts
        by identity, the ld.so.cache index): `fs` must give the same identities."""
        other = Loader.__new__(Loader)
        other.env, other.fs, other._objects, other._cache = self.env, fs, self._objects, \
            self._cache
        return other

    def object(self, path: str) -> tuple[Hashable | None, ElfObject | str]:
        """The identity and facts of `path`; a string says why it is missing or not ELF."""
        ident = self.fs.identity(path)
        if ident is None:
            return None, "not found"
        got = self._objects.get(ident)
        if got is None:
            try:
                got = self.fs.read(path)
            except NotElf as e:
                got = str(e)
            except OSError as e:
                got = e.strerror or str(e)
            self._objects[ident] = got
        return ident, got

    def cache_entries(self, name: str) -> list[CacheEntry]:
        """The ld.so.cache entries for `name`, in file order."""
        return self._cache.get(name, [])

    def session(self, abi: tuple[int, bool, int] | None = None) -> Session:
        """A new process; `abi` (class, little-endian, machine) when no program is loaded."""
        s = Session(self)
        s.abi = abi
        if abi is not None and self.env.libc == "glibc" and self.env.rtld:
            s._add_rtld()
        return s

    # what a search reads: see restybuild.elf.search.ObjectSource


class Session:
    """One process: objects load into it, breadth first, and stay loaded."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader
        self.env = loader.env
        self.order = order_of(loader, self.env)  # where names are searched
        self.maps: list[Mapped] = []
        self.by_name: dict[str, Mapped] = {}
        self.by_ident: dict[Hashable, Mapped] = {}
        self.main: Mapped | None = None
        self.abi: tuple[int, bool, int] | None = None  # class, little-endian, machine

    # -- loading -------------------------------------------------------------------------
    def load_main(self, path: str, executed: bool = False) -> Closure:
        """Load the program at `path` as ``ld.so PATH`` (``ldd``) does, or, `executed`, as
        the kernel starts it: then its $ORIGIN is the folder of its real file, from
        ``/proc/self/exe`` (glibc's ``_dl_get_origin``, musl's ``fixup_rpath``), where
        ld.so run on a path takes the folder of the path (``elf/dl-object.c``)."""
        return self._load(path, main=True, executed=executed)

    def dlopen(self, path: str) -> Closure:
        """``dlopen`` the file at `path` (a Lua C module, an nginx dynamic module)."""
        return self._load(path, main=False)

    def _load(self, path: str, main: bool, executed: bool = False) -> Closure:
        path = in_cwd(path, self.env.cwd)
        ident, got = self.loader.object(path)
        if ident is None or isinstance(got, str):
            raise FileNotFoundError(f"{path}: {got}")
        if self.abi is None:
            self.abi = (got.elf_class, got.little_endian, got.machine)
            if self.env.libc == "glibc" and self.env.rtld:
                self._add_rtld()
        start = len(self.maps)
        root = self.by_ident.get(ident)
        if root is None:
            refused = refusal(got, self.abi, self.env.libc, "main" if main else "dlopen")
            if refused is not None:
                return Closure(path, (), (), (), error=f"{path}: {refused}")
            root = self._add(path, path, got, ident, None)
            if executed:
                root.origin = posixpath.dirname(self.loader.fs.realpath(path)) or "/"
        if main:
            self.main = root
        lookups: list[Lookup] = []
        queue = [root] if len(self.maps) > start else []
        while queue:
            requester = queue.pop(0)
            for name in requester.obj.needed:
                lk, new = self._lookup(name, requester, "needed" if main else "dlopen")
                lookups.append(lk)
                if new is not None:
                    queue.append(new)
        mapped = self.maps[start:]
        return Closure(
            root=root.path,
            objects=tuple(Loaded(m.path, m.name, m.obj, m.loader.path if m.loader else None)
                          for m in mapped),
            lookups=tuple(lookups),
            version_problems=self._versions(mapped) if self.env.libc == "glibc" else (),
        )

    def _add_rtld(self) -> None:
        rtld = self.env.rtld
        assert rtld is not None
        ident, got = self.loader.object(rtld)
        if ident is not None and not isinstance(got, str) and \
                (got.elf_class, got.little_endian, got.machine) == self.abi:
            self._add(rtld, rtld, got, ident, None)  # a process has its own ABI's ld.so

    def _add(self, path: str, name: str, obj: ElfObject, ident: Hashable,
             loader: Mapped | None) -> Mapped:
        m = Mapped(path, name, obj, ident, loader, {name, path},
                   posixpath.dirname(path) or "/")
        if obj.soname:
            m.names.add(obj.soname)
        self.maps.append(m)
        self.by_ident[ident] = m
        for n in m.names if self.env.libc == "glibc" else (name, path):
            self.by_name.setdefault(n, m)
        return m

    def _lookup(self, name: str, requester: Mapped, mode: str) -> tuple[Lookup, Mapped | None]:
        if self.env.libc == "musl" and _musl_self(name):
            return Lookup(requester.path, name, "libc.so", "libc"), None
        known = self.by_name.get(name)
        if known is not None:
            return Lookup(requester.path, name, known.path, "loaded"), None
        assert self.abi is not None
        found = self.order.search(name, requester, self.main, self.abi)
        path, via, tried, cpu = found.path, found.via, found.tried, found.cpu_dependent
        if path is None:
            return Lookup(requester.path, name, None, via, tried, found.error, found.skipped,
                          cpu_dependent=cpu), None
        ident, got = self.loader.object(path)
        assert ident is not None and not isinstance(got, str)
        same = self.by_ident.get(ident)
        if same is not None:
            same.names.add(name)
            self.by_name.setdefault(name, same)
            return Lookup(requester.path, name, same.path, via, tried, None, found.skipped,
                          cpu_dependent=cpu), None
        failed = map_error(got, self.env.libc, mode)
        if failed is not None:  # _dl_map_object_from_fd names the name it was asked for
            return Lookup(requester.path, name, None, via, tried, f"{name}: {failed}",
                          found.skipped, cpu_dependent=cpu), None
        new = self._add(path, name, got, ident, requester)
        return Lookup(requester.path, name, path, via, tried, None, found.skipped, new=True,
                      cpu_dependent=cpu), new

    # -- versions ------------------------------------------------------------------------
    def _versions(self, mapped: Iterable[Mapped]) -> tuple[VersionProblem, ...]:
        out: list[VersionProblem] = []
        for m in mapped:
            for need in m.obj.version_needs:
                provider = self.by_name.get(need.file)
                if provider is None or not provider.obj.version_defs:
                    continue
                defs = set(provider.obj.version_defs)
                for version, weak in [(v, False) for v in need.versions] + [
                        (v, True) for v in need.weak]:
                    if version not in defs:
                        out.append(VersionProblem(m.path, need.file, provider.path, version,
                                                  weak))
        return tuple(out)


def _musl_self(name: str) -> bool:
    if name == "libc.so":
        return True
    return name.startswith("lib") and any(name[3:].startswith(r) for r in _MUSL_RESERVED)
