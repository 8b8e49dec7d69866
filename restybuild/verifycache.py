"""Passed checks remembered by the layers they read: a check whose inputs did not change is
not run again.

The library check and the Lua C module load check read the base, the natives, the
bundle folder and the rocks tree (and the load check its generated conf), not the app's
Lua code. A result is keyed in two parts:

- the **fixed key**: the check, the runtime base's image ID, the candidate's settings
  (Env, WorkingDir, User, Entrypoint), what of the plan the check uses, the generated
  text it runs, and the diff ID of every layer whose files the plan does not know (the
  runtime packages' RUN, the nginx modules' and the rocks tree's COPY from another
  image or stage);
- the **layer key**: for each layer copied from the build context (its files are the
  plan's, :attr:`BuildPlan.context`), its diff ID when any of its paths is one the check
  could read (:class:`Reads`: at or under a folder it reads, a file it opens by name, any
  shared object when the check runs the loader), else only the paths, kinds and modes of
  its folders above a read path (which a COPY sets, and which decide who may reach what
  is below).

Which files the load check's ``require`` looks for is known only once it ran: the run
reports every module name searched (those already loaded before its block too) with
``package.path`` and ``package.cpath``, and the entry keeps them; the layer key is made
from them, so a later layer holding a file any searcher would have found for one of
those names makes the check run again. Native code that opens files by other means than
the loader and ``require`` is not followed.

Entries are JSON in the private cache folder (:mod:`restybuild.cachedir`), written only
after a verification that passed; ``build --no-cache`` and RESTYBUILD_NO_CACHE reuse none.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
from typing import Any

from restybuild.plan import BuildPlan
from restybuild.records import dataclass

VERSION = 1
#: where the loader and nginx look whatever the app: system library folders and their conf
SYSTEM_ROOTS = ("/etc", "/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32",
                "/usr/lib64", "/usr/libx32", "/usr/local/lib", "/tmp/restybuild")


@dataclass(frozen=True)
class Reads:
    """What of the candidate's files a check reads."""

    roots: tuple[str, ...]  # folders and files read with everything below them
    files: tuple[str, ...] = ()  # exact paths a searcher opens if they exist
    shared_objects: bool = False  # any file whose name holds `.so`, wherever it is


@dataclass(frozen=True)
class Layer:
    name: str
    diff_id: str
    entries: tuple[tuple[str, str, bool], ...] | None  # (path, kind, flag); None: unknown


def final_layers(bp: BuildPlan, candidate: dict[str, Any],
                 base: dict[str, Any]) -> tuple[Layer, ...] | None:
    """The candidate's layers over the runtime base, each named as the plan makes it, with
    the paths of those copied from the context; None when they do not line up."""
    ids = list((candidate.get("RootFS") or {}).get("Layers") or [])
    under = list((base.get("RootFS") or {}).get("Layers") or [])
    if not under or ids[:len(under)] != under:
        return None
    names = [*(["packages"] if bp.runtime_packages_cmd else []),
             *(["modules"] * len(bp.module_copies)),
             *(["rocks"] if bp.rocks_tree else []), *(layer.name for layer in bp.layers)]
    added = ids[len(under):]
    if len(added) != len(names):
        return None
    known = {layer.name: context_paths(bp, layer.name) for layer in bp.layers}
    return tuple(Layer(n, d, known.get(n)) for n, d in zip(names, added))


def context_paths(bp: BuildPlan, name: str) -> tuple[tuple[str, str, bool], ...]:
    """(image path, kind, flag) of what `COPY layers/NAME/ /` writes: its entries and the
    folders above them; flag: executable (a file) or group-writable (a folder)."""
    prefix = f"layers/{name}/"
    out: dict[str, tuple[str, bool]] = {}
    for e in bp.context:
        if not e.arcname.startswith(prefix):
            continue
        path = "/" + e.arcname[len(prefix):].strip("/")
        parent = posixpath.dirname(path)
        while parent not in ("/", "") and parent not in out:
            out[parent] = ("dir", False)
            parent = posixpath.dirname(parent)
        out[path] = ("dir", e.group_writable) if e.is_dir else ("file", e.executable)
    return tuple(sorted((p, k, f) for p, (k, f) in out.items() if p != "/"))


def _under(path: str, root: str) -> bool:
    root = root.rstrip("/") or "/"
    return root == "/" or path == root or path.startswith(root + "/")


def layer_key(layers: tuple[Layer, ...], reads: Reads) -> str:
    """The layer key (see the module's docstring)."""
    parts: list[Any] = []
    wanted = set(reads.files)
    for layer in layers:
        if layer.entries is None:
            continue  # in the fixed key
        read = any(
            any(_under(path, r) for r in reads.roots) or path in wanted
            or (reads.shared_objects and kind == "file" and ".so" in posixpath.basename(path))
            for path, kind, _flag in layer.entries)
        if read:
            parts.append([layer.name, layer.diff_id])
            continue
        above = [[p, k, f] for p, k, f in layer.entries
                 if any(_under(r, p) for r in (*reads.roots, *wanted))]
        parts.append([layer.name, above])
    return _digest(parts)


def fixed_key(check: str, bp: BuildPlan, candidate: dict[str, Any], base_id: str,
              layers: tuple[Layer, ...], text: str) -> str:
    config = candidate.get("Config") or {}
    from restybuild.candidate import load_modules

    return _digest([VERSION, check, base_id, bp.runtime_image, bp.runtime_packages_cmd,
                    bp.modules_image, list(bp.module_files),
                    bp.nginx, bp.prefix, bp.user, list(bp.natives), bp.rocks_tree,
                    list(load_modules(bp)), config.get("Env"), config.get("WorkingDir"),
                    config.get("User"), config.get("Entrypoint"), text,
                    [[x.name, x.diff_id] for x in layers if x.entries is None]])


def _digest(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def searched_files(names: list[str], path: str, cpath: str, workdir: str) -> tuple[str, ...]:
    """Every file Lua 5.1's searchers open for `names` with these paths (the Lua and C
    searchers with the name, the all-in-one searcher with its first part)."""
    out: list[str] = []
    lua = [t for t in path.split(";") if t]
    c = [t for t in cpath.split(";") if t]
    for name in names:
        sub = name.replace(".", "/")
        root = name.split(".", 1)[0].replace(".", "/")
        for template, part in ([(t, sub) for t in (*lua, *c)] + [(t, root) for t in c]):
            out.append(posixpath.normpath(posixpath.join(workdir or "/",
                                                         template.replace("?", part))))
    return tuple(dict.fromkeys(out))


# -- the store ------------------------------------------------------------------------------
def _folder() -> str | None:
    from restybuild.cachedir import enabled, private_dir

    return private_dir("verify") if enabled() else None


def load(check: str, key: str) -> dict[str, Any] | None:
    folder = _folder()
    if folder is None:
        return None
    try:
        with open(os.path.join(folder, f"{check}-{key}.json"), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def store(check: str, key: str, data: dict[str, Any]) -> None:
    folder = _folder()
    if folder is None:
        return
    path = os.path.join(folder, f"{check}-{key}.json")
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({**data, "version": VERSION}, fh)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(tmp)
