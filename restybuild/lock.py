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

The base facts (:mod:`restybuild.basefacts`: nginx, its directives, accounts,
packages) are chosen the same way by :func:`choose_facts`: the lock (which pins
their digest, and holds the facts themselves unless they are the ones the
recipe ships), then the recipe's snapshot (``base_facts``), then none.

Nothing under ``~/.cache`` is read here: what ``deps`` and ``build`` cached of
an image stays theirs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from restybuild.basefacts import BaseFacts, flavor_facts
from restybuild.elf.libindex import LibraryIndex
from restybuild.errors import ConfigError, InputError
from restybuild.model import Project
from restybuild.records import dataclass
from restybuild.source import SourceTree

FORMAT = 1


@dataclass(frozen=True)
class Lock:
    ref: str  # the image reference the Restyfile names (runtime base)
    image_id: str
    digest: str  # sha256 of the index as written
    index: LibraryIndex
    facts_digest: str = ""  # sha256 of the base facts as written; "" in a lock without them
    facts: BaseFacts | None = None  # in full unless they are the recipe's snapshot
    modules_ref: str = ""  # the image `module NAME` copies from (the facts read its modules)
    modules_id: str = ""  # its ID; "" in a lock without it


@dataclass(frozen=True)
class BaseIndex:
    """The library index a run uses and where it came from (for messages)."""

    index: LibraryIndex | None
    source: str  # "--index FILE", "Restyfile.lock", "the recipe's snapshot", "none"
    lock: Lock | None = None
    facts: BaseFacts | None = None  # chosen from the same lock (:func:`choose_facts`)


@dataclass(frozen=True)
class ChosenFacts:
    """The base facts a run uses and where they came from (for messages)."""

    facts: BaseFacts | None
    source: str  # "Restyfile.lock", "the snapshot recipe R ships", "none"


def lock_path(restyfile: str | Path) -> Path:
    """`Restyfile` -> `Restyfile.lock`; `web/Restyfile.web` -> `web/Restyfile.web.lock`."""
    p = Path(restyfile)
    return p.with_name(p.name + ".lock")


def index_digest(index: LibraryIndex) -> str:
    return "sha256:" + hashlib.sha256(index.dumps().encode()).hexdigest()


def facts_digest(facts: BaseFacts) -> str:
    return "sha256:" + hashlib.sha256(facts.dumps().encode()).hexdigest()


def dumps(ref: str, index: LibraryIndex, facts: BaseFacts | None = None,
          shipped: BaseFacts | None = None, modules: tuple[str, str] | None = None) -> str:
    """The text of a lock file pinning `ref` to the image `index` was read from, and to its
    base `facts`: their digest, and the facts themselves unless they are `shipped` (the
    recipe's snapshot); with `modules` (reference, ID), the image of the recipe's packaged
    modules too."""
    head: dict[str, str | int] = {"lock": FORMAT, "ref": ref, "image_id": index.image_id,
                                  "index_digest": index_digest(index)}
    if modules is not None:
        head["modules_image"], head["modules_image_id"] = modules
    parts = []
    if facts is not None:
        head["facts_digest"] = facts_digest(facts)
        if shipped is None or facts_digest(shipped) != head["facts_digest"]:
            parts.append('"facts": ' + facts.dumps().rstrip("\n") + ",\n")
    return ("{\n" + "".join(f"{json.dumps(k)}: {json.dumps(v)},\n" for k, v in head.items())
            + "".join(parts) + '"index": ' + index.dumps().rstrip("\n") + "\n}\n")


def read_lock(path: Path, tree: SourceTree) -> Lock | None:
    """The lock at `path`, or None when there is none; a damaged lock is an error."""
    if not tree.is_file(str(path)):
        return None
    try:
        data = json.loads(tree.read_text(str(path)))
        if data.get("lock") != FORMAT:
            raise ValueError(f"format {data.get('lock')} (this restybuild reads {FORMAT})")
        index = LibraryIndex.from_json(data["index"])
        facts = BaseFacts.from_json(data["facts"]) if "facts" in data else None
        lock = Lock(str(data["ref"]), str(data["image_id"]), str(data["index_digest"]), index,
                    str(data.get("facts_digest", "")), facts,
                    str(data.get("modules_image", "")), str(data.get("modules_image_id", "")))
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigError(f"{path} is not a lock file restybuild can use: {e}",
                          hint="write it again: restybuild lock") from None
    if index_digest(index) != lock.digest or index.image_id != lock.image_id:
        raise ConfigError(f"{path} was edited: its index does not match its digest",
                          hint="write it again: restybuild lock")
    if facts is not None and (facts_digest(facts) != lock.facts_digest
                              or facts.image_id != lock.image_id):
        raise ConfigError(f"{path} was edited: its base facts do not match their digest",
                          hint="write it again: restybuild lock")
    return lock


def _project_lock(project: Project, tree: SourceTree) -> tuple[Path, Lock | None]:
    """The lock beside `project`'s Restyfile, refused when it pins another base."""
    path = lock_path(project.restyfile)
    lock = read_lock(path, tree)
    if lock is not None and lock.ref != project.runtime_image:
        raise ConfigError(f"{path} pins {lock.ref}, but the Restyfile's base is "
                          f"{project.runtime_image}", span=project.base.span,
                          hint="write the lock again: restybuild lock")
    return path, lock


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
        return BaseIndex(index, f"--index {index_file}",
                         facts=choose_facts(project, tree).facts)
    path, lock = _project_lock(project, tree)
    facts = _facts_of(project, path, lock).facts  # from the lock read once, not twice
    if lock is not None:
        return BaseIndex(lock.index, path.name, lock, facts)
    shipped = shipped_index(project)
    if shipped is not None:
        return BaseIndex(shipped, f"the snapshot recipe {project.flavor.recipe} ships",
                         facts=facts)
    return BaseIndex(None, "none", facts=facts)


def shipped_facts(project: Project) -> BaseFacts | None:
    """The base facts the recipe ships, for a recipe base (not for `base image`)."""
    return None if project.base.image else flavor_facts(project.flavor)


def choose_facts(project: Project, tree: SourceTree) -> ChosenFacts:
    """The base facts for `project`: the lock's, the recipe's snapshot, or none. A lock
    that pins facts the recipe no longer ships is refused (write the lock again)."""
    return _facts_of(project, *_project_lock(project, tree))


def _facts_of(project: Project, path: Path, lock: Lock | None) -> ChosenFacts:
    shipped = shipped_facts(project)
    if lock is not None and lock.facts_digest:
        if lock.facts is not None:
            return ChosenFacts(lock.facts, path.name)
        if shipped is not None and facts_digest(shipped) == lock.facts_digest:
            return ChosenFacts(shipped, f"{path.name} (the snapshot recipe "
                                        f"{project.flavor.recipe} ships)")
        raise ConfigError(f"{path} pins base facts {lock.facts_digest[:19]}, which are not "
                          f"the snapshot recipe {project.flavor.recipe} ships now",
                          hint="write the lock again: restybuild lock")
    if shipped is not None:
        return ChosenFacts(shipped, f"the snapshot recipe {project.flavor.recipe} ships")
    return ChosenFacts(None, "none")
