"""The report of ``restybuild deps``: each file's closure as a tree, like lddtree, or JSON.

Each library is marked ``base`` (the base image, or this machine, provides
it), ``bundled`` (found in a ``--search`` folder: it would be bundled) or
``MISSING``; a library's own needs are shown under it the first time it
appears.
"""

from __future__ import annotations

from restybuild.elf.bundle import BUNDLE_DIR, BaseSpec, Resolved
from restybuild.elf.loader import Lookup
from restybuild.records import dataclass

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `restybuild deps` pays for every import
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class Row:
    depth: int
    name: str
    path: str | None  # as shown: a search-folder file for bundled libraries
    status: str  # base | bundled | native | MISSING | ERROR
    needed_by: str
    via: str
    note: str = ""


@dataclass(frozen=True)
class FileReport:
    display: str
    kind: str  # "64-bit x86_64, glibc"
    rows: tuple[Row, ...]
    problems: tuple[tuple[str, str], ...]  # (severity, message)
    bundle: tuple[tuple[str, str], ...]  # name -> search-folder file

    @property
    def failed(self) -> bool:
        return any(r.status in ("MISSING", "ERROR") for r in self.rows) or any(
            sev == "error" for sev, _m in self.problems)


def rows_of(r: Resolved) -> tuple[Row, ...]:
    """The closure of `r` as tree rows, depth first in DT_NEEDED order."""
    bundled = {f"{BUNDLE_DIR}/{c.name}": c.label for c in r.bundled}
    if r.closure is None:
        out = [Row(1, name, bundled.get(f"{BUNDLE_DIR}/{name}"),
                   "bundled" if f"{BUNDLE_DIR}/{name}" in bundled else "base?", r.native.image_path,
                   "unknown base") for name in r.native.obj.needed]
        return tuple(out)
    closure = r.closure
    by_requester: dict[str, list[Lookup]] = {}
    for lk in closure.lookups:
        by_requester.setdefault(lk.requester, []).append(lk)
    rows: list[Row] = []

    def walk(path: str, depth: int) -> None:
        for lk in by_requester.get(path, ()):
            rows.append(_row(lk, depth, bundled, r.native.image_path))
            if lk.new and lk.path is not None:
                walk(lk.path, depth + 1)

    walk(closure.root, 1)
    return tuple(rows)


def _row(lk: Lookup, depth: int, bundled: dict[str, str], native: str) -> Row:
    if lk.path is None:
        if lk.error:
            return Row(depth, lk.name, None, "ERROR", lk.requester, lk.via, lk.error)
        return Row(depth, lk.name, None, "MISSING", lk.requester, lk.via,
                   "searched: " + ", ".join(t for t in lk.tried if t != BUNDLE_DIR)
                   + _cpu_note(lk, "; "))
    if lk.path in bundled:
        return Row(depth, lk.name, bundled[lk.path], "bundled", lk.requester, lk.via)
    status = "native" if lk.path == native else "base"
    note = "already loaded" if lk.via == "loaded" else ""
    return Row(depth, lk.name, lk.path, status, lk.requester, lk.via,
               note + _cpu_note(lk, "; " if note else ""))


def _cpu_note(lk: Lookup, sep: str) -> str:
    if not lk.cpu_dependent:
        return ""
    return f"{sep}CPU-dependent: {', '.join(lk.cpu_dependent)} not searched ($PLATFORM)"


def render_text(spec: BaseSpec, reports: tuple[FileReport, ...]) -> str:
    lines = [f"against {spec.label} ({spec.source})"]
    for rep in reports:
        lines.append(f"{rep.display} ({rep.kind})")
        for row in rep.rows:
            where = row.path if row.path else "not found"
            extra = f"  ({row.note})" if row.note and row.status != "MISSING" else ""
            lines.append(f"{'    ' * row.depth}{row.name} => {where}  [{row.status}]{extra}")
            if row.status == "MISSING" and row.note:
                lines.append(f"{'    ' * (row.depth + 1)}{row.note}")
        for sev, msg in rep.problems:
            lines.append(f"    {sev}: {msg}")
    return "\n".join(lines) + "\n"


def to_json(spec: BaseSpec, reports: tuple[FileReport, ...]) -> dict[str, Any]:
    return {
        "base": spec.label,
        "source": spec.source,
        "libc": spec.libc,
        "libc_version": spec.libc_version,
        "files": [{
            "file": rep.display,
            "kind": rep.kind,
            "libraries": [{
                "name": row.name, "path": row.path, "status": row.status, "depth": row.depth,
                "needed_by": row.needed_by, "via": row.via, "note": row.note,
            } for row in rep.rows],
            "bundle": [{"name": n, "from": src} for n, src in rep.bundle],
            "problems": [{"severity": s, "message": m} for s, m in rep.problems],
        } for rep in reports],
    }
