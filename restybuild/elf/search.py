"""One name's search through a list of folders: ld.so's ``open_path`` and ``open_verify``.

See :mod:`restybuild.elf.loader` for the order the folders come in. This module
knows nothing of the loader: it asks an :class:`ObjectSource` for the facts of
a path and is told the process's ABI and the requester's flags.
"""

from __future__ import annotations

import posixpath
from collections.abc import Hashable

from restybuild.elf.ldcache import CacheEntry, cache_flags
from restybuild.elf.reader import ElfObject
from restybuild.elf.verify import open_verify
from restybuild.records import dataclass

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `restybuild deps` pays for every import
if TYPE_CHECKING:
    from typing import Protocol
else:  # a protocol is for the type checker only: at run time, a plain base class
    Protocol = object


class ObjectSource(Protocol):
    """Where a search reads files: the identity and ELF facts of a path (a string: why not)."""

    def object(self, path: str) -> tuple[Hashable | None, ElfObject | str]: ...

    def cache_entries(self, name: str) -> list[CacheEntry]: ...


@dataclass(frozen=True)
class Found:
    """How one name's search ended."""

    path: str | None  # the file taken, None when none
    via: str
    tried: tuple[str, ...]  # the folders searched, in order
    error: str | None  # the loader's fatal error, if the search ended with one
    skipped: tuple[str, ...]  # candidates passed over: "PATH (32-bit i386)"
    cpu_dependent: tuple[str, ...]  # path entries not searched: they name $PLATFORM


class Search:
    """The state of one name's search: folders tried, candidates skipped, the result.

    `abi` is the process's (class, little-endian, machine); `nodeflib` the
    requester's ``DF_1_NODEFLIB``; `trusted` ld.so's trusted folders.
    """

    def __init__(self, source: ObjectSource, abi: tuple[int, bool, int], name: str, *,
                 nodeflib: bool = False, trusted: tuple[str, ...] = (),
                 first_file: bool = False) -> None:
        self.source = source
        self.abi = abi
        self.name = name
        self.nodeflib = nodeflib
        self.trusted = trusted
        self.first_file = first_file
        self.tried: list[str] = []
        self.skipped: list[str] = []
        self.cpu_dependent: list[str] = []
        self.found: str | None = None
        self.via = ""
        self.error: str | None = None

    def result(self, via: str = "") -> Found:
        return Found(self.found, self.via or via or "none", tuple(self.tried), self.error,
                     tuple(self.skipped), tuple(self.cpu_dependent))

    def dirs(self, dirs: tuple[str, ...], via: str) -> bool:
        """Search `dirs`; True when the search is over (found, or a fatal error)."""
        for d in dirs:
            self.tried.append(d)
            if self.verify(posixpath.join(d, self.name), via):
                return True
        return False

    def verify(self, path: str, via: str) -> bool:
        """ld.so's ``open_verify``: True when `path` was taken or ended the search."""
        ident, got = self.source.object(path)
        if ident is None:
            return False
        if isinstance(got, str):
            self.error = f"{path}: {got}"
            return True
        verdict = open_verify(got, self.abi, "musl" if self.first_file else "glibc")
        if verdict.action == "skip":
            self.skipped.append(f"{path} ({verdict.why})")
            return False
        if verdict.action == "error":
            self.error = f"{path}: {verdict.why}"
            return True
        self.found, self.via = path, via
        return True

    def cache(self, name: str) -> bool:
        entries = self.source.cache_entries(name)
        ok = cache_flags(self.abi[2], self.abi[0])
        matching = [e for e in entries if e.flags in ok]
        matching.sort(key=lambda e: e.hwcap != 0)  # the baseline entry; hwcaps not modelled
        if not matching:
            self.tried.append("ld.so.cache")
            return False
        path = matching[0].path
        self.tried.append(f"ld.so.cache ({path})")
        if self.nodeflib and any(path.startswith(d.rstrip("/") + "/") for d in self.trusted):
            return False
        return self.verify(path, "ld.so.cache")
