"""Resolve a parsed Restyfile into a checked, typed :class:`~restybuild.model.Project`.

One module per kind of statement (:mod:`.header`, :mod:`.folders`, :mod:`.native`, :mod:`.modules`,
:mod:`.rocks`, :mod:`.runtime`, :mod:`.scale`); they run in the order below, each reading the
typed syntax tree and what the ones before it resolved (the prefix before any
destination, the resources before `workers cpu`). Every semantic error names
the statement's span. Paths on the left of `->` are relative to the
Restyfile's folder and may not leave it, neither by `..`, nor by an absolute
path, nor through a symlink; every look at the project's files goes through
the recorded :class:`~restybuild.source.SourceTree`.
"""

from __future__ import annotations

from pathlib import Path

from restybuild.errors import InputError, RestySyntaxError, Span
from restybuild.model import Project
from restybuild.resolve import folders, header, modules, native, rocks, runtime, scale
from restybuild.resolve.context import Context
from restybuild.source import NotRegular, SourceTree
from restybuild.syntax import Restyfile

__all__ = ["load_project", "read_restyfile", "resolve"]


def read_restyfile(path: str | Path, tree: SourceTree) -> Restyfile:
    """Read and parse the Restyfile at `path`."""
    from restybuild.parser import parse

    p = Path(path)
    try:
        raw = tree.read_bytes(str(p))
    except NotRegular as e:
        raise InputError(f"cannot read {p}: it is {e.strerror}") from None
    except OSError as e:
        raise InputError(f"cannot read {p}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise RestySyntaxError("the file is not UTF-8 text", span=Span(str(p), line, 1)) from None
    return parse(text, str(p))


def load_project(path: str | Path, tree: SourceTree | None = None) -> Project:
    """Read, parse and resolve the Restyfile at `path` (recording what it reads in `tree`)."""
    tree = tree if tree is not None else SourceTree()
    rf = read_restyfile(path, tree)
    return resolve(rf, Path(path).absolute().parent, tree)


def resolve(rf: Restyfile, root: Path, tree: SourceTree | None = None) -> Project:
    """Turn the syntax tree of a Restyfile in folder `root` into a Project."""
    ctx = Context(rf.file, root, tree if tree is not None else SourceTree())
    ctx.once([(st.KEYWORD, st.span) for st in rf.statements])
    version = header.version(ctx, rf)
    name = header.name(ctx, rf)
    base, flavor = header.base(ctx, rf)
    prefix = header.prefix(ctx, rf, flavor.prefix)
    conf = folders.conf(ctx, rf, prefix)
    lua = folders.lua(ctx, rf, prefix)
    shipped = folders.files(ctx, rf, prefix)
    data = folders.data(ctx, rf, prefix)
    natives = native.natives(ctx, rf, prefix)
    rocks_ = rocks.rocks(ctx, rf, prefix)
    resources = runtime.resources(ctx, rf)
    project = Project(
        restyfile=rf.file, root=str(ctx.root), version=version, name=name, base=base,
        flavor=flavor, prefix=prefix, conf=conf, lua=lua, natives=natives, rocks=rocks_,
        shared_dicts=runtime.shared_dicts(ctx, rf), workers=runtime.workers(ctx, rf, resources),
        resources=resources, probes=runtime.probes(ctx, rf), metrics=runtime.metrics(ctx, rf),
        env=runtime.env(ctx, rf), expose=runtime.expose(ctx, rf), files=shipped, data=data,
        scale=scale.scale(ctx, rf, resources), modules=modules.modules(ctx, rf, flavor),
    )
    copies = [("lua", c.dst, c.span) for c in lua] + [("files", c.dst, c.span) for c in shipped]
    if conf is not None:
        copies.append(("conf", conf.dst, conf.span))
    folders.check_destinations(ctx, copies, natives, rocks_, data)
    return project
