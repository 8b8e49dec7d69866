"""Writing the result: the project folder of a host copy (the Restyfile and copies of what it
needs), or the Restyfile of a checkout (never over an existing one); then the `data`
folders the app's Lua writes to, found by the lint scanner, added to it."""

from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path

from restybuild.discover.copy import copy_all
from restybuild.discover.layout import Layout, Line, lay_out
from restybuild.discover.model import Discovery, Finding
from restybuild.discover.restyfile import app_name, render
from restybuild.discover.runtime import runtime_lines
from restybuild.errors import ConfigError, InputError
from restybuild.records import dataclass

SERVER = "rocks-server"


@dataclass(frozen=True)
class Written:
    restyfile: Path
    text: str
    statements: int  # statements written (comments and block ends not counted)
    findings: tuple[Finding, ...]


def output_path(d: Discovery, output: str | None) -> tuple[Path, Path]:
    """(project folder, Restyfile) to write; refuses to overwrite anything."""
    root = Path(d.root)
    if d.host:
        if not output:
            raise ConfigError("name the project folder to write: -o DIR",
                              hint="ROOT is a copy of a host's files and is only read")
        folder = Path(output).resolve()
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise InputError(f"{output} exists and is not an empty folder",
                             hint="name a new folder: discover writes the whole project there")
        if folder == root:
            raise ConfigError(f"{output} is ROOT, which discover only reads",
                              hint="name a new folder for the project")
        return folder, folder / "Restyfile"
    restyfile = Path(output).resolve() if output else root / "Restyfile"
    if restyfile.exists():
        raise InputError(f"{restyfile} exists: discover never overwrites a Restyfile",
                         hint="move it away, or write the new one elsewhere with -o PATH")
    return restyfile.parent, restyfile


def _server(d: Discovery, folder: Path, server: str | None,
            findings: list[Finding]) -> str | None:
    if not server:
        return None
    src = Path(server).resolve()
    if d.host:
        shutil.copytree(src, folder / SERVER)
        return SERVER
    if folder != src and folder not in src.parents:
        findings.append(Finding("rocks", "warning", f"the rocks server {server} is outside the "
                                "checkout: not named", server, "put it inside the checkout "
                                "and name it in the rocks block: server DIR"))
        return None
    return posixpath.relpath(src, folder)


def count(text: str) -> int:
    return sum(1 for ln in text.splitlines()
               if ln.split("#", 1)[0].strip() not in ("", "}"))


def write(d: Discovery, output: str | None, rocks_server: str | None) -> Written:
    folder, restyfile = output_path(d, output)
    findings: list[Finding] = []
    if d.host:
        folder.mkdir(parents=True, exist_ok=True)
    server = _server(d, folder, rocks_server, findings)
    layout = lay_out(d, Path(d.root), server)
    findings += layout.findings
    if d.host:
        findings += copy_all(Path(d.root), folder, layout.copies)
    assert d.conf is not None
    name = app_name(folder.name if d.host else Path(d.root).name)
    runtime = runtime_lines(d.conf)
    text = render(d, name, layout, [], runtime)
    restyfile.write_text(text, encoding="utf-8")
    data = data_lines(restyfile, layout)
    if data:
        text = render(d, name, layout, data, runtime)
        restyfile.write_text(text, encoding="utf-8")
    return Written(restyfile, text, count(text), tuple(findings))


def data_lines(restyfile: Path, layout: Layout) -> list[Line]:
    """`data` for each folder the Lua code opens files for writing in (lint's scanner)."""
    from restybuild.conf.effective import RUN_DIR
    from restybuild.lint.context import build_context
    from restybuild.resolve import load_project

    try:
        project = load_project(restyfile)
        ctx = build_context(project, {})
        chunks = ctx.lua_chunks
    except Exception:  # lint reports what is wrong with the draft itself
        return []
    folders: dict[str, str] = {}
    for chunk in chunks:
        for use in chunk.facts.writes:
            if use.name is None:
                continue
            path = use.name.replace("$prefix/", project.prefix.rstrip("/") + "/")
            folder = posixpath.dirname(posixpath.normpath(posixpath.join("/", path)))
            if folder.startswith(RUN_DIR) or folder == "/dev":
                continue
            rel = posixpath.relpath(folder, project.prefix) \
                if folder.startswith(project.prefix.rstrip("/") + "/") else folder
            where = os.path.relpath(use.span.file, restyfile.parent)
            folders.setdefault(rel, f"{where}:{use.span.line}")
    return [Line(f"data {rel} 64Mi", f"guess: the Lua at {where} writes there; size is a "
                 "guess") for rel, where in sorted(folders.items())]
