"""What every edit module reads: the project, the user's conf tree, and where to say things."""

from __future__ import annotations

from restybuild.conf.edit import Edit, Replace
from restybuild.conf.tree import ConfTree, Directive
from restybuild.errors import Span
from restybuild.model import Project
from restybuild.records import dataclass, field

#: Where nginx writes at run time (pid, temp files): writable by group 0, a tmpfs
#: under a read-only root filesystem.
RUN_DIR = "/run/restybuild"
#: The image's USER, as `restybuild k8s` runs it: a non-root UID of group 0 (OpenShift gives
#: an arbitrary UID of group 0, which the g=u run folder also serves).
RUN_UID = 10001
RUN_USER = f"{RUN_UID}:0"


@dataclass
class EditContext:
    project: Project
    tree: ConfTree
    notes: list[str] = field(default_factory=list)  # said to the user by `plan`

    def everywhere(self, name: str, ctx: tuple[str, ...] | None = None) -> list[Directive]:
        """`name` anywhere in the include tree (in context `ctx` when given)."""
        return self.tree.find(name, ctx)

    def replace_arg(self, d: Directive, index: int, text: str, origin: Span | None,
                    note: str = "") -> Replace:
        arg = d.node.args[index]
        return Replace(d.file, arg.start.offset, arg.end.offset, text, origin, note)

    def replace_args(self, d: Directive, text: str, origin: Span | None) -> Replace:
        args = d.node.args
        if not args:
            at = d.node.name_end.offset
            return Replace(d.file, at, at, " " + text, origin)
        return Replace(d.file, args[0].start.offset, args[-1].end.offset, text, origin)


EditList = list[Edit]
