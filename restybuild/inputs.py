"""What every command that plans starts from: the recorded tree, the project, its base facts."""

from __future__ import annotations

from pathlib import Path

from restybuild.basefacts import BaseFacts
from restybuild.lock import BaseIndex, choose_index
from restybuild.model import Project
from restybuild.records import dataclass
from restybuild.resolve import load_project
from restybuild.source import SourceTree


@dataclass(frozen=True)
class Inputs:
    tree: SourceTree  # every look at a file, for the result cache
    project: Project
    base: BaseIndex

    @property
    def facts(self) -> BaseFacts | None:
        """What the base has besides its libraries (lint's checks), chosen with the index."""
        return self.base.facts


def load(restyfile: str | Path, index_file: str | None = None,
         tree: SourceTree | None = None) -> Inputs:
    """Resolve `restyfile` and choose its base facts (an --index file, the lock, the
    recipe's snapshot), recording every read in `tree`."""
    tree = tree if tree is not None else SourceTree()
    project = load_project(restyfile, tree)
    return Inputs(tree, project, choose_index(project, tree, index_file))
