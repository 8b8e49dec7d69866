"""Copying what a host copy's Restyfile needs into the project folder: regular files only,
secrets and version-control folders left out (the build context's own list), a symlink
followed only while it stays inside ROOT; ROOT itself is only read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from restybuild.context import kept_out
from restybuild.discover.model import Finding


def _inside(real: Path, root: Path) -> bool:
    return real == root or root in real.parents


def copy_file(root: Path, src: Path, dst: Path, shown: str, findings: list[Finding]) -> None:
    try:
        real = src.resolve(strict=False)
    except (RuntimeError, OSError):  # a symlink loop (RuntimeError before Python 3.13)
        findings.append(Finding("layout", "warning", f"{shown} is a symlink loop: not copied",
                                shown, "remove the link, or point it at a file"))
        return
    if not _inside(real, root.resolve()):
        findings.append(Finding("layout", "warning", f"{shown} is a symlink that leads out of "
                                f"ROOT (to {real}): not copied", shown,
                                "copy the file it points to into the project"))
        return
    if not real.is_file():
        what = "missing" if not real.exists() else "not a regular file"
        findings.append(Finding("layout", "warning", f"{shown} is {what}: not copied", shown))
        return
    why = kept_out(str(real), False)
    if why is not None:
        findings.append(Finding("layout", "info", f"{shown} is {why}: not copied", shown))
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real, dst)


def copy_all(root: Path, out: Path, copies: list[tuple[str, str, bool]]) -> list[Finding]:
    """Copy each (host path, project path, whole folder) of ROOT into `out`; `out` may be
    inside ROOT (discover of `/`), and is never walked itself."""
    findings: list[Finding] = []
    real_out = out.resolve()
    for host, rel, whole in copies:
        src = root / host.lstrip("/")
        if not whole:
            copy_file(root, src, out / rel, host, findings)
            continue
        for dirpath, dirs, names in os.walk(src, followlinks=False):
            dirs[:] = sorted(d for d in dirs if kept_out(d, True) is None
                             and (Path(dirpath) / d).resolve() != real_out)
            for name in sorted(names):
                path = Path(dirpath) / name
                sub = path.relative_to(src)
                if name.endswith(".so"):
                    continue  # natives are declared and copied on their own
                copy_file(root, path, out / rel / sub, f"{host}/{sub}", findings)
    return findings
