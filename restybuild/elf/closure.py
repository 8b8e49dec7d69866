"""What the loader model knows and what it answers: the environment, lookups, closures.

:class:`LoaderEnv` is what a loader knows besides the objects (glibc's
``_dl_init_paths`` inputs: ``LD_LIBRARY_PATH``, the trusted folders of
``elf/gen-trusted-dirs.awk``, ``/etc/ld.so.cache``; musl's path file), and the
process's working folder.
:class:`Closure` is what one ``dlopen`` or program start mapped, breadth first
(``elf/dl-deps.c``: ``_dl_map_object_deps``), as :class:`Lookup` rows.
"""

from __future__ import annotations

from restybuild.elf.ldcache import CacheEntry
from restybuild.elf.reader import ElfObject
from restybuild.records import dataclass, replace


@dataclass(frozen=True)
class LoaderEnv:
    """What a loader knows besides the objects: its libc, folders, cache and environment."""

    libc: str  # "glibc" or "musl"
    trusted_dirs: tuple[str, ...] = ()
    cache: tuple[CacheEntry, ...] = ()
    musl_path: tuple[str, ...] = ()
    #: LD_LIBRARY_PATH split on ":", empty elements kept (glibc searches the working folder
    #: for each, musl skips them: :mod:`restybuild.elf.paths`); () when unset or empty
    ld_library_path: tuple[str, ...] = ()
    rtld: str | None = None  # the program interpreter, always loaded (glibc)
    dst_lib: str = "lib"  # what $LIB expands to
    #: what $PLATFORM expands to, as the loader itself reports it (``dl_platform``); None
    #: when it depends on a CPU not known here (an image: glibc on x86-64 says `haswell`
    #: on Intel CPUs with AVX2, `x86_64` elsewhere), so such entries are never guessed
    platform: str | None = None
    #: the process's working folder, which empty and relative path entries name (this
    #: machine: where restybuild runs; an image: nginx's, the image's WORKDIR)
    cwd: str = "/"

    def with_ld_library_path(self, dirs: tuple[str, ...]) -> LoaderEnv:
        return replace(self, ld_library_path=dirs)


@dataclass(frozen=True)
class Lookup:
    """One DT_NEEDED name of one object, and what the loader did with it."""

    requester: str  # the path of the object whose DT_NEEDED this is
    name: str
    path: str | None  # the file loaded (as the loader names it), None when none
    via: str  # loaded | path | rpath | LD_LIBRARY_PATH | runpath | ld.so.cache | default | libc
    tried: tuple[str, ...] = ()  # the folders searched, in order
    error: str | None = None  # the loader's fatal error, if the search ended with one
    skipped: tuple[str, ...] = ()  # candidates passed over: "PATH (32-bit i386)"
    new: bool = False  # this lookup mapped a new object
    #: path entries not searched because they name $PLATFORM and the CPU is not known:
    #: the result may differ on the CPU the image runs on
    cpu_dependent: tuple[str, ...] = ()


@dataclass(frozen=True)
class Loaded:
    path: str  # the name the loader gave the object (the path it opened)
    name: str  # the name it was first asked for
    obj: ElfObject
    loader: str | None  # the object whose DT_NEEDED loaded it


@dataclass(frozen=True)
class VersionProblem:
    requester: str
    file: str  # the DT_NEEDED name the version is needed from
    provider: str  # the path of the object loaded under that name
    version: str
    weak: bool


@dataclass(frozen=True)
class Closure:
    """What loading `root` mapped and looked up, breadth first."""

    root: str
    objects: tuple[Loaded, ...]  # mapped by this load, root first (unless already loaded)
    lookups: tuple[Lookup, ...]
    version_problems: tuple[VersionProblem, ...]
    #: the loader refused `root` itself, in its words ("PATH: object file has no dynamic
    #: section"); nothing was mapped
    error: str | None = None

    @property
    def missing(self) -> tuple[Lookup, ...]:
        return tuple(lk for lk in self.lookups if lk.path is None)

    def children(self, path: str) -> tuple[Lookup, ...]:
        return tuple(lk for lk in self.lookups if lk.requester == path)
