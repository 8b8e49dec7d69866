"""The effective nginx configuration: the user's conf plus what the Restyfile declares.

The user's files are never modified on disk, and in the image their bytes stay
verbatim except where an edit (:mod:`restybuild.conf.edits`) splices something
in: ``load_module`` lines the recipe needs, ``daemon off``, ``worker_processes``,
``env NAME;``, logs to stdout/stderr, ``user``, ``pid`` and temp paths in the run
folder, ``lua_shared_dict``s, the Lua search paths, probe locations, the
metrics wiring. A declaration that conflicts with the conf is an error naming
both places.
"""

from __future__ import annotations

import posixpath

from restybuild.conf.edit import Edit, EffectiveFile, render
from restybuild.conf.edits import EDITS
from restybuild.conf.edits.base import RUN_DIR, RUN_UID, RUN_USER, EditContext
from restybuild.conf.tree import MAIN, ConfTree, load_conf
from restybuild.errors import Span
from restybuild.model import Project
from restybuild.records import dataclass, field
from restybuild.source import SourceTree

__all__ = ["RUN_DIR", "RUN_UID", "RUN_USER", "EffectiveConf", "effective_conf"]


@dataclass(frozen=True)
class EffectiveConf:
    dst: str  # the conf folder in the image
    main: str  # the main file in the image
    files: tuple[EffectiveFile, ...]
    notes: tuple[str, ...]
    tree: ConfTree = field(compare=False, repr=False)  # the user's conf they were made from

    def file(self, rel: str) -> EffectiveFile | None:
        return next((f for f in self.files if f.rel == rel), None)

    def values(self, name: str) -> list[list[str]]:
        """The arguments of every `name` directive of the effective files (main first), read
        back with the conf parser: what nginx in the image will read."""
        from restybuild.conf.lexer import Node, parse

        out: list[list[str]] = []

        def walk(nodes: tuple[Node, ...]) -> None:
            for node in nodes:
                if node.name == name:
                    out.append([a.value for a in node.args])
                if node.block is not None:
                    walk(node.block)

        for f in sorted(self.files, key=lambda f: f.rel != MAIN):
            walk(parse(f.text))
        return out


def edits(project: Project, tree: ConfTree) -> tuple[list[Edit], list[str]]:
    """Every edit the Restyfile makes to `tree`, in registry order, and the notes."""
    c = EditContext(project, tree)
    out: list[Edit] = []
    for module in EDITS:
        out += module.edits(c)
    return out, c.notes


def effective_conf(project: Project, source: SourceTree | None = None) -> EffectiveConf:
    """Compute the effective nginx configuration for `project`."""
    tree = load_conf(project, source if source is not None else SourceTree())
    changes, notes = edits(project, tree)
    files = render(tree, changes, Span(project.restyfile, 1, 1))
    return EffectiveConf(tree.dst, posixpath.join(tree.dst, MAIN), files, tuple(notes), tree)
