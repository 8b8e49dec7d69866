"""Base facts are chosen like the library index: the lock, then the recipe's snapshot, then none.

The lock pins the facts' digest; it holds the facts themselves only when they are not
the snapshot the recipe ships (a `base image` base, or an image that moved on).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from restybuild.basefacts import BaseFacts, flavor_facts
from restybuild.elf.libindex import LibraryIndex, load_snapshot
from restybuild.errors import ConfigError
from restybuild.lock import choose_facts, dumps, facts_digest, lock_path, read_lock
from restybuild.recipes import load as load_recipe
from restybuild.resolve import load_project
from restybuild.source import SourceTree
from tests.conftest import write_tree

IMAGE = "registry.example/nginx:1.22"


def shipped() -> tuple[LibraryIndex, BaseFacts]:
    fl = load_recipe("debian-bookworm").flavor(None, None)
    facts = flavor_facts(fl)
    assert facts is not None
    return load_snapshot(fl.library_index), facts


def restyfile(tmp_path: Path, base: str) -> Path:
    write_tree(tmp_path, {"Restyfile": f"name app\nbase {base}\n"})
    return tmp_path / "Restyfile"


def chosen(rf: Path) -> tuple[BaseFacts | None, str]:
    got = choose_facts(load_project(rf), SourceTree())
    return got.facts, got.source


def test_with_no_lock_a_recipe_base_has_the_recipe_snapshot_and_an_image_base_none(
        tmp_path: Path) -> None:
    _index, facts = shipped()
    assert chosen(restyfile(tmp_path / "a", "debian-bookworm")) == (
        facts, "the snapshot recipe debian-bookworm ships")
    assert chosen(restyfile(tmp_path / "b", f"image {IMAGE} recipe debian-bookworm")) == (
        None, "none")


def test_a_lock_of_the_shipped_facts_holds_only_their_digest(tmp_path: Path) -> None:
    index, facts = shipped()
    rf = restyfile(tmp_path, "debian-bookworm")
    text = dumps(facts.image, index, facts, shipped=facts)
    assert '"facts"' not in text and f'"facts_digest": "{facts_digest(facts)}"' in text
    lock_path(rf).write_text(text)
    lock = read_lock(lock_path(rf), SourceTree())
    assert lock is not None and lock.facts is None and lock.facts_digest == facts_digest(facts)
    assert chosen(rf) == (facts, "Restyfile.lock (the snapshot recipe debian-bookworm ships)")


def test_a_lock_holds_facts_the_recipe_does_not_ship_and_they_win(tmp_path: Path) -> None:
    index, facts = shipped()
    rf = restyfile(tmp_path, f"image {IMAGE} recipe debian-bookworm")
    mine = replace(facts, image=IMAGE, image_id=index.image_id, users=(*facts.users, "app"))
    lock_path(rf).write_text(dumps(IMAGE, index, mine, shipped=None))
    assert chosen(rf) == (mine, "Restyfile.lock")
    # the same for a recipe base whose image is not the one the snapshot was read from
    rf2 = restyfile(tmp_path / "moved", "debian-bookworm")
    moved = replace(facts, image_id=index.image_id, packages=(*facts.packages, "curl"))
    lock_path(rf2).write_text(dumps(facts.image, index, moved, shipped=facts))
    assert chosen(rf2) == (moved, "Restyfile.lock")


def test_a_lock_without_facts_leaves_the_recipe_snapshot(tmp_path: Path) -> None:
    """A lock written before locks held facts."""
    index, facts = shipped()
    rf = restyfile(tmp_path, "debian-bookworm")
    lock_path(rf).write_text(dumps(facts.image, index))
    assert chosen(rf) == (facts, "the snapshot recipe debian-bookworm ships")


def test_facts_edited_in_the_lock_or_no_longer_shipped_are_refused(tmp_path: Path) -> None:
    index, facts = shipped()
    rf = restyfile(tmp_path, f"image {IMAGE} recipe debian-bookworm")
    path = lock_path(rf)
    data = json.loads(dumps(IMAGE, index, replace(facts, image_id=index.image_id)))
    data["facts"]["users"].append("intruder")
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as e:
        chosen(rf)
    assert e.value.message == f"{path} was edited: its base facts do not match their digest"
    path.write_text(dumps(IMAGE, index, replace(facts, image_id="sha256:" + "1" * 64)))
    with pytest.raises(ConfigError, match="its base facts do not match"):  # another image's
        chosen(rf)
    # a digest-only lock whose digest the recipe's snapshot no longer has
    rf2 = restyfile(tmp_path / "old", "debian-bookworm")
    data = json.loads(dumps(facts.image, index, facts, shipped=facts))
    data["facts_digest"] = "sha256:" + "0" * 64
    lock_path(rf2).write_text(json.dumps(data))
    with pytest.raises(ConfigError) as e:
        chosen(rf2)
    assert "which are not the snapshot recipe debian-bookworm ships now" in e.value.message
    assert e.value.hint == "write the lock again: restybuild lock"


def test_the_lock_digest_is_of_the_facts_as_written(tmp_path: Path) -> None:
    _index, facts = shipped()
    assert facts_digest(facts) == facts_digest(BaseFacts.from_json(json.loads(facts.dumps())))
    assert facts_digest(facts) != facts_digest(replace(facts, groups=()))
