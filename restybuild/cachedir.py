"""restybuild's caches live in one folder that only its user can write.

Some of what restybuild caches is loaded back as code or could steer what it
writes: Jinja2's bytecode cache is marshalled code, a stored plan is printed
as the Dockerfile (Lark's tables, a pickle, are no longer cached: they ship as
data, restybuild.grammar_tables). A file another
local user can plant there runs as restybuild's user (often root, next to a
Docker daemon). So every cache is below ``$XDG_CACHE_HOME/restybuild``
(default ``~/.cache/restybuild``), each folder created 0700 and checked before
use: a real folder (not a symlink), owned by this user, writable by nobody
else, in a parent that others cannot rename it out of. A folder that fails the
check is not used (the run goes on without the cache) and restybuild says so
once. Nothing is ever loaded from the temporary folder.

Standard library only: the warm path of ``plan`` and ``lint`` goes through here.
"""

from __future__ import annotations

import os
import stat
import sys

_warned: set[str] = set()


def root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(os.path.abspath(base), "restybuild")


def private_dir(*parts: str) -> str | None:
    """The folder ``root()/parts...``, created 0700 when missing; None when it (or a folder
    on the way to it) could be written by another user: then nothing is cached there."""
    path = root()
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    except OSError:
        return None
    problem = _parent_problem(os.path.dirname(path))
    for part in ("", *parts):
        if problem is not None:
            break
        if part:
            path = os.path.join(path, part)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
        problem = _problem(path)
    if problem is not None:
        _warn(path, problem)
        return None
    return path


def _problem(path: str) -> str | None:
    """Why `path` is not a safe cache folder, or None."""
    try:
        st = os.lstat(path)
    except OSError as e:
        return e.strerror or str(e)
    if stat.S_ISLNK(st.st_mode):
        return "it is a symlink"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a folder"
    if st.st_uid != os.geteuid():
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"others may write to it (mode {stat.S_IMODE(st.st_mode):o})"
    if st.st_mode & 0o077:  # an older restybuild made it 0755: ours, and nobody else wrote it
        try:
            os.chmod(path, 0o700)
        except OSError as e:
            return e.strerror or str(e)
    return None


def _parent_problem(parent: str) -> str | None:
    """A parent others may write to must be sticky (like /tmp), or our folder could be
    renamed away and replaced between the check and its use."""
    try:
        st = os.stat(parent)
    except OSError as e:
        return e.strerror or str(e)
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        return f"its parent {parent} may be written by others and is not sticky"
    return None


def _warn(path: str, problem: str) -> None:
    if path in _warned:
        return
    _warned.add(path)
    print(f"restybuild: warning: not using the cache folder {path}: {problem}; remove it "
          "(restybuild makes it again, private) or set XDG_CACHE_HOME to a folder of your own",
          file=sys.stderr)


def read_private(path: str) -> bytes | None:
    """The bytes of the cache file `path` when it is a regular file (not a symlink) of this
    user that nobody else may write; else None (then it is ignored, as a miss)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def enabled() -> bool:
    """Caches are on unless RESTYBUILD_NO_CACHE is set (to anything but 0)."""
    return os.environ.get("RESTYBUILD_NO_CACHE", "") in ("", "0")
