"""The libraries of a built candidate image: every native and every rocks ``.so``, resolved in it.

The candidate's index is its base's (cached by the base's image ID) with what
the build added read on top: the natives, the bundle folder and the rocks
tree. When the build installed runtime packages, the lib folders changed too,
and the whole candidate is indexed instead.
"""

from __future__ import annotations

import posixpath
from typing import Any

from restybuild.elf.bundle import BUNDLE_DIR, session_for
from restybuild.elf.image import read_index
from restybuild.elf.problems import abi_problem, version_message
from restybuild.elf.reader import NotElf
from restybuild.natives import spec_from_index
from restybuild.plan import BuildPlan
from restybuild.records import dataclass


@dataclass(frozen=True)
class LibraryCheck:
    checked: tuple[str, ...]  # image paths of the objects whose closures were resolved
    modules: tuple[tuple[str, str], ...]  # (require name, image path) of Lua C modules
    lines: tuple[str, ...]  # one line per checked object: how many libraries, from where
    problems: tuple[str, ...]


def load_modules(plan: BuildPlan) -> tuple[str, ...]:
    """The ``load_module`` files of the effective conf, absolute (relative ones: the prefix)."""
    out = [path if path.startswith("/") else posixpath.join(plan.prefix, path)
           for path in (args[0] for args in plan.effective.values("load_module") if args)]
    return tuple(dict.fromkeys(out))


def lua_modules(plan: BuildPlan, rocks_files: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(require name, path) of the natives and of the rocks tree's ``lib/lua/5.1`` modules."""
    out = [(posixpath.basename(n)[:-3], n) for n in plan.natives if n.endswith(".so")]
    if plan.rocks_tree:
        cdir = f"{plan.rocks_tree.rstrip('/')}/lib/lua/5.1/"
        for path in rocks_files:
            if path.startswith(cdir) and path.endswith(".so"):
                out.append((path[len(cdir):-3].replace("/", "."), path))
    return tuple(out)


def check_candidate(client: Any, image: str, plan: BuildPlan) -> LibraryCheck:
    """Resolve every native and rocks ``.so`` of `image` in it; problems in loader words."""
    modules = load_modules(plan)
    programs = (plan.nginx, *modules)
    added = [BUNDLE_DIR, *plan.natives, *plan.module_files]
    deep = [plan.rocks_tree] if plan.rocks_tree else []
    if plan.runtime_packages_cmd:
        index = read_index(client, image, programs)
        index = index.merged(read_index(client, image, only=added, recursive=deep))
    else:
        base = read_index(client, plan.runtime_image, programs)
        index = base.merged(read_index(client, image, only=added, recursive=deep))
    spec = spec_from_index(index, f"candidate {image[:19]}", plan.nginx, modules,
                           index.ld_library_path)
    tree = (plan.rocks_tree or "").rstrip("/") + "/"
    rocks = tuple(p for p, o in index.objects
                  if plan.rocks_tree and p.startswith(tree) and o is not None)
    roots = tuple(dict.fromkeys((*plan.natives, *rocks)))
    lines: list[str] = []
    problems: list[str] = []
    objects: dict[Any, Any] = {}
    for root in roots:
        if index.fs.canonical(root) is None:
            problems.append(f"{root} is not in the candidate image")
            continue
        try:
            obj = index.fs.read(root)
        except (NotElf, OSError) as e:
            problems.append(f"{root} is not a loadable ELF file ({e})")
            continue
        problem = abi_problem(root, obj, spec)
        if problem is not None:
            problems.append(problem[1])
            continue
        assert spec.env is not None
        closure = session_for(spec, index.fs, spec.env, objects).dlopen(root)
        bundled = sum(1 for o in closure.objects if posixpath.dirname(o.path) == BUNDLE_DIR)
        lines.append(f"{root}: {len(closure.lookups)} needed, {bundled} from {BUNDLE_DIR}, "
                     f"{len(closure.missing)} missing")
        for lk in closure.missing:
            via = "" if lk.requester == root else f" (needed by {lk.requester})"
            if lk.error:
                problems.append(f"{root} needs {lk.name}{via}, which the loader cannot load: "
                                f"{lk.error}")
            else:
                problems.append(f"{root} needs {lk.name}{via}, which is not found in the "
                                "candidate image (searched: " + ", ".join(lk.tried) + ")")
        for vp in closure.version_problems:
            if not vp.weak:
                problems.append(version_message(root, vp, spec, {})[1])
    return LibraryCheck(roots, lua_modules(plan, rocks), tuple(lines), tuple(problems))
