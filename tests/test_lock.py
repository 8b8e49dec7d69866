"""The planner is pure: base facts come from --index, the lock or the recipe, never ~/.cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.elf.libindex import LibraryIndex, load_snapshot
from restybuild.errors import ConfigError
from restybuild.inputs import load
from restybuild.lock import dumps, lock_path, read_lock
from restybuild.recipes import load as load_recipe
from restybuild.source import SourceTree
from tests.conftest import write_tree
from tests.test_elf_fixtures import lib, lua_module

IMAGE = "registry.example/openresty:1.21"
RESTYFILE = (f"name app\nbase image {IMAGE} recipe debian-bookworm\n"
             "native lib/proto.so -> lua { search vendor }\n")


def snapshot() -> LibraryIndex:
    return load_snapshot(load_recipe("debian-bookworm").flavor(None, None).library_index)


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    dep = lib(tmp_path / "app/vendor", "libdep.so.1")
    lua_module(tmp_path / "app/lib", "proto", needs=[dep], calls=["libdep_fn"])
    write_tree(tmp_path / "app", {"Restyfile": RESTYFILE})
    return tmp_path / "app/Restyfile"


def plan_text(restyfile: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["plan", str(restyfile), *extra]) == 0
    return capsys.readouterr().out


def test_an_index_cached_by_another_command_is_never_read(
        app: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """What `deps --base IMAGE` or a build cached under ~/.cache does not change a plan."""
    from restybuild.elf import libindex

    monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    before = plan_text(app, capsys)
    index = snapshot()
    libindex.store(index, IMAGE)  # as `restybuild deps --base IMAGE` leaves it
    assert libindex.cached_for_ref(IMAGE) is not None
    assert main(["plan", str(app)]) == 0
    out, err = capsys.readouterr()
    assert out == before
    assert "cannot be checked against the base image" in err


def test_a_lock_pins_the_index_and_plans_the_same_anywhere(
        app: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    unchecked = plan_text(app, capsys)
    lock_path(app).write_text(dumps(IMAGE, snapshot()))
    inputs = load(app)
    assert inputs.base.source == "Restyfile.lock" and inputs.base.lock is not None
    assert inputs.base.lock.image_id == snapshot().image_id
    assert main(["plan", str(app)]) == 0
    locked, err = capsys.readouterr()
    assert "cannot be checked" not in err
    assert "LD_LIBRARY_PATH" in locked and unchecked.startswith("# Generated")
    # the same lock, another machine (another cache folder): the same bytes
    monkeypatch.setenv("XDG_CACHE_HOME", str(app.parent.parent / "elsewhere"))
    assert plan_text(app, capsys) == locked


def test_an_index_file_wins_over_the_lock(app: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    index_file = app.parent / "base.index.json"
    index_file.write_text(snapshot().dumps())
    assert main(["plan", str(app), "--index", str(index_file)]) == 0
    assert "cannot be checked" not in capsys.readouterr().err
    assert load(app, str(index_file)).base.source == f"--index {index_file}"


def test_a_lock_for_another_image_or_edited_by_hand_is_refused(app: Path) -> None:
    path = lock_path(app)
    path.write_text(dumps("other/image:1", snapshot()))
    with pytest.raises(ConfigError) as e:
        load(app)
    assert e.value.message == f"{path} pins other/image:1, but the Restyfile's base is {IMAGE}"
    text = dumps(IMAGE, snapshot())
    data = json.loads(text)
    data["index"]["libc_version"] = "2.99"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as e:
        read_lock(path, SourceTree())
    assert e.value.message == f"{path} was edited: its index does not match its digest"
    path.write_text("{not json")
    with pytest.raises(ConfigError) as e:
        load(app)
    assert e.value.message.startswith(f"{path} is not a lock file restybuild can use")


def test_a_lock_pins_the_modules_image_when_given(app: Path) -> None:
    path = lock_path(app)
    path.write_text(dumps(IMAGE, snapshot(), modules=("restybuild/x:modules", "sha256:m1")))
    lock = read_lock(path, SourceTree())
    assert lock is not None
    assert (lock.modules_ref, lock.modules_id) == ("restybuild/x:modules", "sha256:m1")
    path.write_text(dumps(IMAGE, snapshot()))  # a lock without: nothing pinned
    lock = read_lock(path, SourceTree())
    assert lock is not None and (lock.modules_ref, lock.modules_id) == ("", "")
