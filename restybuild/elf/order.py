"""The folders each loader searches for a name, in its order: glibc's and musl's.

:mod:`restybuild.elf.loader` has both orders, step by step; this module has the steps that
search: glibc's (``elf/dl-load.c``: ``_dl_map_object``, ``open_path``; the ``DT_RPATH`` of
the loader chain, ``l_loader``) and musl's (``ldso/dynlink.c``: ``load_library``,
``path_open``, ``fixup_rpath``), each over the objects a process has mapped
(:class:`Mapped`). What comes before the search, objects already loaded and musl's own
names, is the process's (:class:`~restybuild.elf.loader.Session`);
:mod:`restybuild.elf.search` searches the folders.
"""

from __future__ import annotations

import posixpath
from collections.abc import Hashable

from restybuild.elf.closure import LoaderEnv
from restybuild.elf.paths import cpu_dependent, expand, glibc_list, in_cwd, musl_list
from restybuild.elf.reader import ElfObject
from restybuild.elf.search import Found, ObjectSource, Search
from restybuild.records import dataclass, field


@dataclass
class Mapped:
    """An object mapped into a process (glibc's ``struct link_map``)."""

    path: str
    name: str
    obj: ElfObject
    ident: Hashable
    loader: Mapped | None
    names: set[str] = field(default_factory=set)
    origin: str = "/"  # what $ORIGIN expands to in its paths (``l_origin``)


class Order:
    """One loader's search order: where a name needed by an object is looked for."""

    first_file = False  # True: the first file that opens is taken, whatever it is (musl)

    def __init__(self, source: ObjectSource, env: LoaderEnv) -> None:
        self.source = source
        self.env = env

    def search(self, name: str, req: Mapped, main: Mapped | None,
               abi: tuple[int, bool, int]) -> Found:
        """Search `name`, needed by `req`, in a process of `abi` whose program is `main`."""
        raise NotImplementedError

    def _start(self, name: str, req: Mapped, abi: tuple[int, bool, int]) -> Search:
        return Search(self.source, abi, name, nodeflib=req.obj.nodeflib,
                      trusted=self.env.trusted_dirs, first_file=self.first_file)


class GlibcOrder(Order):
    """glibc's ``_dl_map_object``: a path; DT_RPATH up the loader chain; LD_LIBRARY_PATH;
    DT_RUNPATH; ld.so.cache; the trusted folders."""

    def search(self, name: str, req: Mapped, main: Mapped | None,
               abi: tuple[int, bool, int]) -> Found:
        search = self._start(name, req, abi)
        if "/" in name:
            path = expand(name, req.origin, self.env)
            if path is not None:
                search.verify(in_cwd(path, self.env.cwd), "path")
            elif cpu_dependent(name, self.env):
                search.cpu_dependent.append(name)
            return search.result("path")
        if not req.obj.runpath and self._rpaths(search, req, main):
            return search.result()
        if search.dirs(self._llp(search, main), "LD_LIBRARY_PATH"):
            return search.result()
        if req.obj.runpath and search.dirs(self._dirs(req, req.obj.runpath, search),
                                           "runpath"):
            return search.result()
        if search.cache(name):
            return search.result()
        if not req.obj.nodeflib and search.dirs(self.env.trusted_dirs, "default"):
            return search.result()
        return search.result()

    def _rpaths(self, search: Search, req: Mapped, main: Mapped | None) -> bool:
        """The DT_RPATH of `req` and up its loader chain, then the program's unless it was
        in the chain; True when the search is over."""
        did_main = False
        chain: Mapped | None = req
        while chain is not None:
            if _rpath(chain.obj):
                if search.dirs(self._dirs(chain, _rpath(chain.obj), search), "rpath"):
                    return True
                did_main = did_main or chain is main
            chain = chain.loader
        if did_main or main is None or main is req or not _rpath(main.obj):
            return False
        return search.dirs(self._dirs(main, _rpath(main.obj), search), "rpath")

    def _dirs(self, m: Mapped, entries: tuple[str, ...], search: Search) -> tuple[str, ...]:
        return glibc_list(entries, m.origin, self.env, search.cpu_dependent)

    def _llp(self, search: Search, main: Mapped | None) -> tuple[str, ...]:
        """LD_LIBRARY_PATH, its tokens expanded for the main program (``_dl_init_paths``;
        without one, for ld.so itself)."""
        origin = main.origin if main is not None else (
            posixpath.dirname(self.env.rtld) if self.env.rtld else None)
        return glibc_list(self.env.ld_library_path, origin, self.env, search.cpu_dependent,
                          separators=":;")


class MuslOrder(Order):
    """musl's ``load_library``: a path; LD_LIBRARY_PATH; DT_RUNPATH, else DT_RPATH, up to
    the program; the path file, else the default folders."""

    first_file = True

    def search(self, name: str, req: Mapped, main: Mapped | None,
               abi: tuple[int, bool, int]) -> Found:
        search = self._start(name, req, abi)
        if "/" in name:
            search.verify(in_cwd(name, self.env.cwd), "path")
            return search.result("path")
        llp = musl_list(self.env.ld_library_path, None, self.env, expand_tokens=False)
        if search.dirs(llp or (), "LD_LIBRARY_PATH"):
            return search.result()
        chain: Mapped | None = req
        while chain is not None:
            entries = chain.obj.runpath or chain.obj.rpath
            dirs = musl_list(entries, chain.origin, self.env) if entries else None
            if dirs and search.dirs(dirs, "rpath"):
                return search.result()
            chain = chain.loader if chain.loader is not None else (
                main if chain is not main else None)
        search.dirs(musl_list(self.env.musl_path, None, self.env, False) or (), "default")
        return search.result()


def order_of(source: ObjectSource, env: LoaderEnv) -> Order:
    """The search order of `env`'s loader."""
    return MuslOrder(source, env) if env.libc == "musl" else GlibcOrder(source, env)


def _rpath(obj: ElfObject) -> tuple[str, ...]:
    """The DT_RPATH glibc uses: none when the object also has DT_RUNPATH, wherever it is in
    the loader chain (``elf/get-dynamic-info.h`` clears ``l_info[DT_RPATH]``)."""
    return () if obj.runpath else obj.rpath
