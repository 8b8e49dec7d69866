"""One name's search through a list of folders: ld.so's ``open_path`` and ``open_verify``.

See :mod:`restybuild.elf.loader` for the order the folders come in.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Optional

from restybuild.elf.ldcache import cache_flags

if TYPE_CHECKING:
    from restybuild.elf.loader import Session, _Map


Found = tuple[Optional[str], str, tuple[str, ...], Optional[str], tuple[str, ...]]


class Search:
    """The state of one name's search: folders tried, candidates skipped, the result."""

    def __init__(self, session: Session, req: _Map, name: str,
                 first_file: bool = False) -> None:
        self.s = session
        self.req = req
        self.name = name
        self.first_file = first_file
        self.tried: list[str] = []
        self.skipped: list[str] = []
        self.found: str | None = None
        self.via = ""
        self.error: str | None = None

    def result(self, via: str = "") -> Found:
        return (self.found, self.via or via or "none", tuple(self.tried), self.error,
                tuple(self.skipped))

    def dirs(self, dirs: tuple[str, ...], via: str) -> bool:
        """Search `dirs`; True when the search is over (found, or a fatal error)."""
        for d in dirs:
            self.tried.append(d)
            if self.verify(posixpath.join(d, self.name), via):
                return True
        return False

    def verify(self, path: str, via: str) -> bool:
        """ld.so's ``open_verify``: True when `path` was taken or ended the search."""
        ident, got = self.s.loader.object(path)
        if ident is None:
            return False
        if isinstance(got, str):
            self.error = f"{path}: {got}"
            return True
        abi = self.s.abi
        assert abi is not None
        if not self.first_file:
            if got.elf_class != abi[0] or got.machine != abi[2]:
                self.skipped.append(f"{path} ({got.kind})")
                return False
            if got.little_endian != abi[1]:
                self.error = f"{path}: ELF file data encoding not " \
                             f"{'little' if abi[1] else 'big'}-endian"
                return True
        elif (got.elf_class, got.little_endian, got.machine) != abi:
            self.error = f"{path}: Exec format error ({got.kind})"
            return True
        if got.e_type not in (2, 3):
            self.error = f"{path}: only ET_DYN and ET_EXEC can be loaded"
            return True
        self.found, self.via = path, via
        return True

    def cache(self, name: str) -> bool:
        entries = self.s.loader.cache_entries(name)
        abi = self.s.abi
        assert abi is not None
        ok = cache_flags(abi[2], abi[0])
        matching = [e for e in entries if e.flags in ok]
        matching.sort(key=lambda e: e.hwcap != 0)  # the baseline entry; hwcaps not modelled
        if not matching:
            self.tried.append("ld.so.cache")
            return False
        path = matching[0].path
        self.tried.append(f"ld.so.cache ({path})")
        if self.req.obj.nodeflib and any(
                path.startswith(d.rstrip("/") + "/") for d in self.s.env.trusted_dirs):
            return False
        return self.verify(path, "ld.so.cache")
