"""`restybuild build --explain`: each layer the final stage adds, its size, what invalidates it.

The layers are the plan's (:mod:`restybuild.plan`), in the order the Dockerfile adds
them: the runtime packages, the rocks tree, then one COPY per context layer. The
classic builder reuses a step when its parent is the same and, for a COPY, when the
files copied are the same (content and metadata); so a layer is built again when
its own inputs change, or when any layer under it was built again (it then keeps its
digest if its files are the same: only the cache is lost, not the push).
"""

from __future__ import annotations

from typing import Any

from restybuild.errors import Span
from restybuild.model import Project
from restybuild.plan import BuildPlan
from restybuild.records import dataclass


@dataclass(frozen=True)
class LayerNote:
    name: str
    instruction: str  # the Dockerfile step that makes it
    invalidated_by: tuple[str, ...]
    planned: int | None = None  # bytes of its files in the build context; None: built


def planned_layers(project: Project, bp: BuildPlan) -> tuple[LayerNote, ...]:
    """The layers the final stage adds, oldest first, with what makes each one change."""
    p = project
    out: list[LayerNote] = []
    base = f"the runtime base {bp.runtime_image}"
    if bp.runtime_packages_cmd:
        out.append(LayerNote("packages", f"RUN {bp.runtime_packages_cmd}", (
            "the `system` lines of the rocks statement", base)))
    for folder, files in bp.module_copies:
        lines = ", ".join(f"`module {m.name}` ({_at(p, m.span)})" for m in p.modules if m.file)
        out.append(LayerNote("modules", f"COPY --from={bp.modules_image} ({len(files)} "
                             f"files) {folder}/", (lines, f"the modules image {bp.modules_image}",
                                                   base)))
    if bp.rocks_tree and p.rocks is not None:
        why = [f"the rocks statement ({_at(p, p.rocks.span)}: tree, rocks, versions, server)"]
        if p.rocks.server and not p.rocks.server_is_url:
            why.append(f"the files of the rocks server folder {p.rocks.server}")
        why += [f"the rock file {r.path}" for r in p.rocks.rocks if r.path]
        if p.rocks.server_is_url:
            why.append(f"what the server {p.rocks.server} serves")
        if bp.build_packages_cmd:
            why.append("the build packages of its `system` lines")
        why.append(f"the builder base {bp.builder_image}")
        out.append(LayerNote("rocks", f"COPY --from=rocks {bp.rocks_out}/ / ({bp.rocks_tree})",
                             tuple(why)))
    sources = {
        "natives": [*(f"the native {n.src}" for n in p.natives),
                    "the libraries bundled from its search folders",
                    "the base's library index (which libraries it lacks)"],
        "files": [f"the files of {c.src}" for c in p.files],
        "conf": [*(f"the files of the conf folder {c.src}" for c in ((p.conf,) if p.conf
                                                                      else ())),
                 "the Restyfile statements the effective conf is made from (shared_dict, "
                 "workers, resolver, probes, data...)"],
        "app": [f"the files of the Lua folder {c.src}" for c in p.lua],
    }
    for layer in bp.layers:
        size = sum(_size(e) for e in bp.context if e.arcname.startswith(f"layers/{layer.name}/"))
        out.append(LayerNote(layer.name, f"COPY layers/{layer.name}/ /",
                             tuple(sources.get(layer.name, [layer.comment])), size))
    return tuple(out)


def explain(project: Project, bp: BuildPlan, image: Any, history: list[dict[str, Any]],
            base_id: str) -> str:
    """The table: each final layer's size (as built), digest and what invalidates it."""
    added = []
    for entry in history:  # newest first, down to the base image
        if entry.get("Id") == base_id:
            break
        created = str(entry.get("CreatedBy") or "")
        if "#(nop)" not in created or "#(nop) COPY" in created or "#(nop) ADD" in created:
            added.append(int(entry.get("Size") or 0))
    added.reverse()
    layers = list(image.attrs.get("RootFS", {}).get("Layers", []))
    notes = planned_layers(project, bp)
    digests = layers[-len(added):] if added else []
    lines = [f"layers the final stage adds on top of {bp.runtime_image}, oldest first "
             "(a layer is built again when what it is made from changes, or a layer under "
             "it was built again):"]
    for i, note in enumerate(notes):
        size = added[i] if i < len(added) else None
        digest = digests[i].removeprefix("sha256:")[:12] if i < len(digests) else "?"
        shown = _human(size) if size is not None else "?"
        planned = f" (its files {_human(note.planned)})" if note.planned is not None else ""
        lines.append(f"  {note.name:9} {shown:>9}{planned}  {digest}  {note.instruction}")
        lines.append("            invalidated by: " + "; ".join(note.invalidated_by))
    total = sum(added)
    lines.append(f"  {len(added)} layers, {_human(total)} over the base")
    return "\n".join(lines) + "\n"


def _size(e: Any) -> int:
    if e.is_dir:
        return 0
    if e.data is not None:
        return len(e.data)
    import os

    return os.path.getsize(e.source) if e.source else 0


def _at(p: Project, span: Span) -> str:
    return f"{span.file or p.restyfile}:{span.line}"


def _human(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"
