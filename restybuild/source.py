"""The recorded source tree: every look at an input goes through here, and is remembered.

Like ninja's depfiles, a result (a plan, a lint report) is only as right as
the list of what it was computed from. No list is written by hand: the
resolver, the conf reader, lint and the planner read the project's files
(and the recipe, a lock file, an index) only through a :class:`SourceTree`,
which records what it found *and* what it looked for and did not find. The
result cache stores those records; a later run re-checks each one
(:func:`still_valid`) and recomputes when any differs:

- ``stat``: what kind of thing a path is (missing, file, folder, other);
- ``read``: a file's bytes: its stamp (size, mtime, ctime, inode) is the quick
  check, the SHA-256 of the bytes read decides when the stamp differs;
- ``list``: a folder's entries (a file appearing or going away);
- ``real``: where a path leads once symlinks are followed.

A file whose mtime is not older than the start of the run that read it is
not trusted by its stamp (git's "racily clean" entries): it may have been
written again in the same clock tick, after it was read. Its bytes are
hashed every time instead.

Standard library only: the warm path of ``plan`` and ``lint`` validates here.
"""

from __future__ import annotations

import os
import stat as st

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the warm path
if TYPE_CHECKING:
    from collections.abc import Iterator

#: Beyond this, a regular file is not read: a conf or a Lua file this big is a mistake.
MAX_READ = 64 * 1024 * 1024

Record = tuple[object, ...]


def _kind(mode: int) -> str:
    if st.S_ISREG(mode):
        return "file"
    if st.S_ISDIR(mode):
        return "dir"
    return "other"


def _stamp(s: os.stat_result) -> tuple[int, int, int, int]:
    return (s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino)


def _digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


class NotRegular(OSError):
    """A path that is not a regular file where a file is read (a FIFO, a device)."""


class SourceTree:
    """Reads files for one run and records each look (see the module docstring)."""

    def __init__(self) -> None:
        import time

        self.start_ns = time.time_ns()
        self.records: dict[tuple[str, str], Record] = {}

    # -- looks ----------------------------------------------------------------------------
    def kind(self, path: str) -> str:
        """missing | file | dir | other, following symlinks."""
        path = os.path.abspath(path)
        try:
            kind = _kind(os.stat(path).st_mode)
        except OSError:
            kind = "missing"
        self.records.setdefault(("stat", path), ("stat", path, kind))
        return kind

    def is_file(self, path: str) -> bool:
        return self.kind(path) == "file"

    def is_dir(self, path: str) -> bool:
        return self.kind(path) == "dir"

    def exists(self, path: str) -> bool:
        return self.kind(path) != "missing"

    def realpath(self, path: str) -> str:
        """`path` with every symlink followed; raises OSError on a loop."""
        path = os.path.abspath(path)
        real = os.path.realpath(path)
        if os.path.islink(real):  # realpath gives up on a loop and returns a link
            raise OSError(40, "too many levels of symbolic links", path)
        self.records.setdefault(("real", path), ("real", path, real))
        return real

    def read_bytes(self, path: str) -> bytes:
        """The bytes of regular file `path` (not a FIFO or a device: those raise NotRegular)."""
        path = os.path.abspath(path)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
        try:
            before = os.fstat(fd)
            if not st.S_ISREG(before.st_mode):
                raise NotRegular(0, "not a regular file", path)
            if before.st_size > MAX_READ:
                raise NotRegular(0, f"larger than {MAX_READ >> 20} MiB", path)
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            data = b"".join(chunks)
        finally:
            os.close(fd)
        self.records[("read", path)] = ("read", path, _stamp(before), _digest(data))
        return data

    def read_text(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", "replace")

    def listdir(self, path: str) -> list[str]:
        """The sorted entries of folder `path` ([] when it is missing)."""
        path = os.path.abspath(path)
        try:
            names = sorted(os.listdir(path))
        except OSError:
            names = []
        self.records[("list", path)] = ("list", path, tuple(names))
        return names

    def walk(self, top: str) -> Iterator[tuple[str, list[str], list[str]]]:
        """os.walk, sorted, symlinked folders not entered; every listing recorded."""
        top = os.path.abspath(top)
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            dirnames.sort()
            filenames.sort()
            self.records[("list", dirpath)] = ("list", dirpath,
                                               tuple(sorted(dirnames + filenames)))
            yield dirpath, dirnames, filenames

    def glob(self, pattern: str) -> list[str]:
        """The paths `pattern` matches (sorted); the folders looked into are recorded."""
        import fnmatch

        pattern = os.path.abspath(pattern)
        parts = pattern.strip("/").split("/")
        found = ["/"]
        for part in parts:
            nxt: list[str] = []
            for base in found:
                if not _magic(part):
                    candidate = os.path.join(base, part)
                    if self.exists(candidate):
                        nxt.append(candidate)
                    continue
                if not self.is_dir(base):
                    continue
                nxt += [os.path.join(base, n) for n in self.listdir(base)
                        if fnmatch.fnmatchcase(n, part) and not (n.startswith(".")
                                                                  and not part.startswith("."))]
            found = nxt
        return sorted(found)

    def note(self, record: Record) -> None:
        """Record an observation made elsewhere (kept as given; see :func:`still_valid`)."""
        self.records[(str(record[0]), str(record[1]))] = record

    def snapshot(self) -> list[Record]:
        """The records, racy reads marked: their stamp is not to be trusted."""
        out: list[Record] = []
        for rec in self.records.values():
            stamp = rec[2]
            if rec[0] == "read" and isinstance(stamp, tuple) and stamp[1] >= self.start_ns:
                rec = ("read", rec[1], None, rec[3])
            out.append(rec)
        return sorted(out, key=lambda r: (str(r[1]), str(r[0])))


def _magic(part: str) -> bool:
    return any(c in part for c in "*?[")


def still_valid(record: Record | list[object]) -> bool:
    """Whether `record` (as :meth:`SourceTree.snapshot` gave it) still holds."""
    kind, path = record[0], str(record[1])
    if kind == "stat":
        try:
            found = _kind(os.stat(path).st_mode)
        except OSError:
            found = "missing"
        return found == record[2]
    if kind == "list":
        try:
            return tuple(sorted(os.listdir(path))) == tuple(record[2])  # type: ignore[arg-type]
        except OSError:
            return tuple(record[2]) == ()  # type: ignore[arg-type]
    if kind == "real":
        try:
            return os.path.realpath(path) == record[2]
        except OSError:
            return False
    if kind == "read":
        stamp = record[2]
        try:
            now = os.stat(path)
        except OSError:
            return False
        if stamp is not None and tuple(stamp) == _stamp(now):  # type: ignore[arg-type]
            return True
        try:
            with open(path, "rb") as fh:
                return _digest(fh.read()) == record[3]
        except OSError:
            return False
    return False
