"""Which base facts a plan uses, chosen by the command layer, never by a machine's cache.

The planner is pure: the same Restyfile and the same lock give the same
Dockerfile on any machine. What it knows of the base image's libraries comes
from, in order:

1. ``--index FILE`` (a library index, as ``restybuild deps --save-index`` writes);
2. the lock file beside the Restyfile (``Restyfile.lock``, written by
   ``restybuild lock``): the base image's ID and its library index, with the
   index's digest, reviewed and committed like any lock file;
3. the snapshot the base recipe ships (``library_index`` in its flavor);
4. nothing: natives are bundled from their search folders unchecked, and
   verification proves the image.

Nothing under ``~/.cache`` is read here: what ``deps`` and ``build`` cached of
an image stays theirs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from restybuild.elf.libindex import LibraryIndex
from restybuild.errors import ConfigError, InputError
from restybuild.model import Project
from restybuild.source import SourceTree

FORMAT = 1


@dataclass(frozen=True)
class Lock:
    ref: str  # the image reference the Restyfile names (runtime base)
    image_id: str
    digest: str  # sha256 of the index as written
    index: LibraryIndex


@dataclass(frozen=True)
class BaseIndex:
    """The library index a run uses and where it came from (for messages)."""

    index: LibraryIndex | None
    source: str  # "--index FILE", "Restyfile.lock", "the recipe's snapshot", "none"
    lock: Lock | None = None


def lock_path(restyfile: str | Path) -> Path:
    """`Restyfile` -> `Restyfile.lock`; `web/Restyfile.web` -> `web/Restyfile.web.lock`."""
    p = Path(restyfile)
    return p.with_name(p.name + ".lock")


def index_digest(index: LibraryIndex) -> str:
    return "sha256:" + hashlib.sha256(index.dumps().encode()).hexdigest()


def dumps(ref: str, index: LibraryIndex) -> str:
    """The text of a lock file pinning `ref` to the image `index` was read from."""
    head = {"lock": FORMAT, "ref": ref, "image_id": index.image_id,
            "index_digest": index_digest(index)}
    body = index.dumps()
    return ("{\n" + "".join(f"{json.dumps(k)}: {json.dumps(v)},\n" for k, v in head.items())
            + '"index": ' + body.rstrip("\n") + "\n}\n")


def read_lock(path: Path, tree: SourceTree) -> Lock | None:
    """The lock at `path`, or None when there is none; a damaged lock is an error."""
    if not tree.is_file(str(path)):
        return None
    try:
        data = json.loads(tree.read_text(str(path)))
        if data.get("lock") != FORMAT:
            raise ValueError(f"format {data.get('lock')} (this restybuild reads {FORMAT})")
        index = LibraryIndex.from_json(data["index"])
        lock = Lock(str(data["ref"]), str(data["image_id"]), str(data["index_digest"]), index)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{path} is not a lock file restybuild can use: {e}",
                          hint="write it again: restybuild lock") from None
    if index_digest(index) != lock.digest or index.image_id != lock.image_id:
        raise ConfigError(f"{path} was edited: its index does not match its digest",
                          hint="write it again: restybuild lock")
    return lock


def shipped_index(project: Project) -> LibraryIndex | None:
    """The snapshot the base recipe ships, for a recipe base (not for `base image`)."""
    from restybuild.elf.libindex import load_snapshot

    fl = project.flavor
    if project.base.image or not fl.library_index:
        return None
    return load_snapshot(fl.library_index)


def choose_index(project: Project, tree: SourceTree,
                 index_file: str | None = None) -> BaseIndex:
    """The base facts for `project` (see the module docstring for the order)."""
    if index_file:
        try:
            index = LibraryIndex.from_json(json.loads(tree.read_text(index_file)))
        except OSError as e:
            raise InputError(f"cannot read {index_file}: {e.strerror}") from None
        except (ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"{index_file} is not a library index: {e}",
                              hint="write one with: restybuild deps --base IMAGE "
                                   "--save-index FILE") from None
        return BaseIndex(index, f"--index {index_file}")
    path = lock_path(project.restyfile)
    lock = read_lock(path, tree)
    if lock is not None:
        if lock.ref != project.runtime_image:
            raise ConfigError(f"{path} pins {lock.ref}, but the Restyfile's base is "
                              f"{project.runtime_image}", span=project.base.span,
                              hint="write the lock again: restybuild lock")
        return BaseIndex(lock.index, path.name, lock)
    shipped = shipped_index(project)
    if shipped is not None:
        return BaseIndex(shipped, f"the snapshot recipe {project.flavor.recipe} ships")
    return BaseIndex(None, "none")
