"""The file systems the loader model looks at: the host's, an image's index, an overlay.

A file is known by an identity (``identity(path)``): the host's device and
inode, as ld.so compares ``st_dev``/``st_ino`` to reuse an object already
loaded under another name; an index's canonical path (symlinks followed).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Hashable, Mapping

from restybuild.elf.reader import ElfObject, NotElf, read_elf

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `restybuild deps` pays for every import
if TYPE_CHECKING:
    from typing import Protocol
else:  # a protocol is for the type checker only: at run time, a plain base class
    Protocol = object


class FileSystem(Protocol):
    def identity(self, path: str) -> Hashable | None:
        """A key for the regular file at absolute `path` (symlinks followed), or None."""

    def read(self, path: str) -> ElfObject:
        """The ELF facts of the file at `path`; raises NotElf or OSError."""

    def text(self, path: str) -> str | None:
        """The text of a small file (``/etc/ld-musl-*.path``), or None."""

    def realpath(self, path: str) -> str:
        """`path` with every symlink followed (what /proc/self/exe says of a program)."""


class HostFS:
    """The machine restybuild runs on (`ldd`'s view), or a folder of it as its root."""

    def __init__(self, root: str = "/") -> None:
        self.root = root.rstrip("/")

    def real(self, path: str) -> str:
        return self.root + path if self.root else path

    def identity(self, path: str) -> Hashable | None:
        try:
            st = os.stat(self.real(path))
        except (OSError, ValueError):
            return None
        if (st.st_mode & 0o170000) != 0o100000:
            return None
        return (st.st_dev, st.st_ino)

    def read(self, path: str) -> ElfObject:
        return read_elf(self.real(path), name=path)

    def realpath(self, path: str) -> str:
        real = os.path.realpath(self.real(path))
        return real[len(self.root):] or "/" if self.root and real.startswith(self.root + "/") \
            else real

    def text(self, path: str) -> str | None:
        try:
            with open(self.real(path), encoding="utf-8", errors="replace") as fh:
                return fh.read(65536)
        except OSError:
            return None


def resolve_links(path: str, links: Mapping[str, str], limit: int = 40) -> str | None:
    """`path` with every symlink of `links` (path -> target) followed; None on a loop."""
    parts = [p for p in path.split("/") if p and p != "."]
    done = "/"
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            done = posixpath.dirname(done)
            continue
        here = posixpath.join(done, part)
        target = links.get(here)
        if target is None:
            done = here
            continue
        hops += 1
        if hops > limit:
            return None
        if target.startswith("/"):
            done = "/"
        parts[0:0] = [p for p in target.split("/") if p and p != "."]
    return done


class IndexFS:
    """The files of a library index: ELF facts by canonical path, and the symlinks."""

    def __init__(self, objects: Mapping[str, ElfObject | None], links: Mapping[str, str],
                 texts: Mapping[str, str] | None = None) -> None:
        self.objects = objects
        self.links = links
        self.texts = texts or {}
        self._memo: dict[str, str | None] = {}

    def canonical(self, path: str) -> str | None:
        if path in self._memo:
            return self._memo[path]
        real = resolve_links(path, self.links)
        found = real if real is not None and real in self.objects else None
        self._memo[path] = found
        return found

    def identity(self, path: str) -> Hashable | None:
        return self.canonical(path)

    def read(self, path: str) -> ElfObject:
        real = self.canonical(path)
        if real is None:
            raise FileNotFoundError(path)
        obj = self.objects[real]
        if obj is None:
            raise NotElf("invalid ELF header")
        return obj

    def text(self, path: str) -> str | None:
        real = resolve_links(path, self.links)
        return self.texts.get(real or path)

    def realpath(self, path: str) -> str:
        return resolve_links(path, self.links) or path


class OverlayFS:
    """`base` plus files a plan puts into the image: image path -> file on the host."""

    def __init__(self, base: FileSystem, extra: Mapping[str, str]) -> None:
        self.base = base
        self.extra = {posixpath.normpath(k): v for k, v in extra.items()}

    @staticmethod
    def key(path: str) -> Hashable:
        """The identity of a file the plan puts at image path `path`."""
        return ("overlay", posixpath.normpath(path))

    def identity(self, path: str) -> Hashable | None:
        norm = posixpath.normpath(path)
        if norm in self.extra:
            return ("overlay", norm)
        return self.base.identity(path)

    def read(self, path: str) -> ElfObject:
        norm = posixpath.normpath(path)
        if norm in self.extra:
            return read_elf(self.extra[norm], name=norm)
        return self.base.read(path)

    def text(self, path: str) -> str | None:
        return self.base.text(path)

    def realpath(self, path: str) -> str:
        norm = posixpath.normpath(path)
        return norm if norm in self.extra else self.base.realpath(path)
