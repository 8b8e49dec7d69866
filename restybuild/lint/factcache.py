"""Lua facts kept between lint runs, per file, keyed by the file's content: after one Lua file
changes, only that file is scanned again.

The facts of a file (:class:`~restybuild.lint.luascan.LuaFacts`) depend only on its bytes,
the name its spans carry, and the scanner (luascan's code, tree-sitter and its Lua
grammar); the key is the SHA-256 of all of these. They are stored as JSON (data only,
never pickles or code) in restybuild's private cache folder
(:func:`restybuild.cachedir.private_dir`, 0700, checked before use), one file for all
projects, written once per run and only when something was scanned. RESTYBUILD_NO_CACHE
turns it off. Entries that do not have the expected shape are ignored (scanned again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from functools import lru_cache

from restybuild.errors import Span
from restybuild.lint import luaflow, luascan
from restybuild.lint.luascan import LuaFacts, Use

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast paths
if TYPE_CHECKING:
    from typing import Any

FORMAT = 1
MAX_ENTRIES = 20000  # files of every project linted on this machine, most recent kept
KINDS = ("requires", "dicts", "getenv", "cosockets", "prometheus_init", "writes")


@lru_cache(maxsize=1)
def scanner_identity() -> str:
    """What the facts are computed with: luascan's and luaflow's code and the tree-sitter
    packages."""
    from importlib import metadata

    h = hashlib.sha256(f"restybuild-luafacts {FORMAT}\0".encode())
    for module in (luascan, luaflow):  # the scanner and the flow questions it asks
        with open(module.__file__ or "", "rb") as fh:
            h.update(fh.read())
    for dist in ("tree-sitter", "tree-sitter-lua"):
        try:
            h.update(f"\0{dist} {metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"\0{dist} none".encode())
    return h.hexdigest()


def _path() -> str | None:
    from restybuild.cachedir import enabled, private_dir

    folder = private_dir("lint") if enabled() else None
    return os.path.join(folder, "luafacts.json") if folder else None


def to_json(facts: LuaFacts) -> dict[str, Any]:
    out: dict[str, Any] = {
        kind: [[u.name, u.span.file, u.span.line, u.span.col, u.span.end_line,
                u.span.end_col, u.via] for u in getattr(facts, kind)] for kind in KINDS}
    out["suppressions"] = {str(line): list(codes) for line, codes in facts.suppressions.items()}
    return out


def from_json(data: Any) -> LuaFacts | None:
    """The facts stored as `data`, or None when it is not what :func:`to_json` writes."""
    if not isinstance(data, dict):
        return None
    try:
        facts = LuaFacts()
        for kind in KINDS:
            uses = getattr(facts, kind)
            for name, file, line, col, end_line, end_col, via in data[kind]:
                if not (isinstance(name, (str, type(None))) and isinstance(file, str)
                        and isinstance(via, str) and all(type(n) is int for n in (
                            line, col, end_line, end_col))):
                    return None
                uses.append(Use(name, Span(file, line, col, end_line, end_col), via))
        for line, codes in data["suppressions"].items():
            if not (line.isdigit() and isinstance(codes, list)
                    and all(isinstance(c, str) for c in codes)):
                return None
            facts.suppressions[int(line)] = tuple(codes)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return facts


class FactCache:
    """The stored facts for one lint run: :meth:`scan` each file, then :meth:`save`."""

    def __init__(self, identity: str | None = None) -> None:
        """`identity`: :func:`scanner_identity` when the caller knows it still holds (the
        incremental lint's entry checks the scanner's files and libraries)."""
        self.identity = identity
        self.path = _path()
        self.entries: dict[str, Any] = self._load() if self.path else {}
        self.used: dict[str, Any] = {}
        self.scanned = 0  # files scanned by this run (not found stored)

    def _load(self) -> dict[str, Any]:
        assert self.path is not None
        from restybuild.cachedir import read_private

        raw = read_private(self.path)  # another user's file, or a symlink: ignored
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or \
                not isinstance(data.get("entries"), dict):
            return {}
        return dict(data["entries"])

    def scan(self, source: bytes, file: str) -> LuaFacts:
        """The facts of the Lua file `file` whose bytes are `source`: stored, or scanned."""
        if self.path is None:
            return luascan.scan(source, file)
        if self.identity is None:
            self.identity = scanner_identity()
        h = hashlib.sha256(self.identity.encode())
        h.update(f"\0{file}\0".encode("utf-8", "surrogateescape"))
        h.update(source)
        key = h.hexdigest()
        stored = self.entries.get(key)
        facts = from_json(stored) if stored is not None else None
        if facts is None:
            facts = luascan.scan(source, file)
            stored = to_json(facts)
            self.scanned += 1
        self.used[key] = stored
        return facts

    def save(self) -> None:
        """Write the entries back when this run scanned anything (most recent last)."""
        if self.path is None or not self.scanned:
            return
        keep = {k: v for k, v in self.entries.items() if k not in self.used}
        keep = dict(list(keep.items())[-(MAX_ENTRIES - len(self.used)):]) if \
            len(self.used) < MAX_ENTRIES else {}
        keep.update(self.used)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(json.dumps({"format": FORMAT, "entries": keep}, separators=(",", ":")))
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
