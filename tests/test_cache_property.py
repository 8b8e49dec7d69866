"""The result cache never serves what a fresh run would not print.

Random edit sequences over a project (add, edit keeping size and mtime, delete, a missing
folder appearing, an included conf, a rockspec, a native, a search-folder library) and after
each step `lint` and `plan` from the cache against RESTYBUILD_NO_CACHE=1: never different.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from restybuild import fastpath
from restybuild.cli import main
from tests.conftest import write_tree
from tests.test_elf_fixtures import lib, lua_module

RESTYFILE = ("name app\nbase debian-bookworm\nconf conf\nlua lua -> lua\n"
             "native lib/proto.so -> lua { search vendor }\n"
             "rocks -> luarocks {\n    rock rocks/banner-1.0-1.rockspec\n}\n"
             "shared_dict hits 1m\n")
ROCKSPEC = ('package = "banner"\nversion = "1.0-1"\nsource = { url = "x" }\n'
            'build = { type = "builtin", modules = { {name} = "src/x.lua" } }\n')


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    root = tmp_path / "p"
    write_tree(root, {
        "Restyfile": RESTYFILE,
        "conf/nginx.conf": "events {}\nhttp {\n    include extra/*.conf;\n}\n",
        "rocks/banner-1.0-1.rockspec": ROCKSPEC.replace("{name}", "banner"),
    })
    # two natives to swap in: one needs a library of the search folder, one needs nothing
    store = tmp_path / "store"
    dep = lib(store / "vendor", "libdep.so.1")
    lua_module(store / "needs", "proto", needs=[dep], calls=["libdep_fn"])
    lua_module(store / "plain", "proto")
    (root / "lib").mkdir()
    shutil.copy(store / "plain/proto.so", root / "lib/proto.so")
    (root / "vendor").mkdir()
    monkeypatch.chdir(root)
    return root


def run(command: str, cached: bool, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    if cached:
        monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    rc = main([command, "Restyfile"])
    out, err = capsys.readouterr()
    return rc, out, err


def _same_size_edit(path: Path, rng: random.Random) -> None:
    """New bytes, same size, same mtime: only the content (and ctime) tells."""
    data = bytearray(path.read_bytes())
    st = path.stat()
    if not data:
        return
    i = rng.randrange(len(data))
    data[i] = ord("x") if data[i] != ord("x") else ord("y")
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def step(root: Path, rng: random.Random) -> str:
    store = root.parent / "store"
    choice = rng.randrange(9)
    lua = root / "lua"
    files = sorted(lua.glob("*.lua")) if lua.is_dir() else []
    if choice == 0 or (choice in (1, 2) and not files):
        name = f"m{rng.randrange(5)}.lua"
        lua.mkdir(exist_ok=True)
        used = rng.choice(["hits", "missing", "other"])
        (lua / name).write_text(f"local d = ngx.shared.{used}\nreturn require('banner')\n")
        return f"add lua/{name} using {used}"
    if choice == 1:
        _same_size_edit(files[rng.randrange(len(files))], rng)
        return "edit a Lua file keeping size and mtime"
    if choice == 2:
        victim = files[rng.randrange(len(files))]
        victim.unlink()
        return f"delete {victim.name}"
    if choice == 3:
        if lua.is_dir():
            shutil.rmtree(lua)
            return "remove the lua folder (RB002)"
        lua.mkdir()
        (lua / "a.lua").write_text("return ngx.shared.x\n")
        return "the missing lua folder appears"
    if choice == 4:
        extra = root / "conf/extra"
        extra.mkdir(exist_ok=True)
        n = rng.randrange(3)
        size = rng.choice(["1m", "2m"])
        (extra / f"e{n}.conf").write_text(f"lua_shared_dict hits {size};\n")
        return f"an included conf declares hits {size}"
    if choice == 5:
        name = rng.choice(["banner", "other"])
        (root / "rocks/banner-1.0-1.rockspec").write_text(ROCKSPEC.replace("{name}", name))
        return f"the rockspec's module is {name}"
    if choice == 6:
        which = rng.choice(["needs", "plain"])
        shutil.copy(store / which / "proto.so", root / "lib/proto.so")
        return f"the native is the one that {which}"
    if choice == 7:
        target = root / "vendor/libdep.so.1"
        if target.exists():
            target.unlink()
            return "the search folder loses libdep"
        shutil.copy(store / "vendor/libdep.so.1", target)
        return "the search folder gets libdep"
    conf = root / "conf/nginx.conf"
    _same_size_edit(conf, rng)
    return "edit nginx.conf keeping size and mtime"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cached_output_is_always_the_fresh_output(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        seed: int) -> None:
    rng = random.Random(seed)
    history = []
    for _ in range(18):
        history.append(step(project, rng))
        for command in ("lint", "plan"):
            run(command, True, capsys, monkeypatch)  # fill the cache
            fresh = run(command, False, capsys, monkeypatch)
            cached = run(command, True, capsys, monkeypatch)
            assert cached == fresh, (command, history)


def test_a_file_edited_while_lint_reads_it_is_not_served_stale(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The stamp is the file's before it was read, its facts are of what was read."""
    from restybuild.lint import luascan

    (project / "lua").mkdir()
    target = project / "lua/a.lua"
    target.write_text("local d = ngx.shared.hits\nreturn d\n")
    real_scan = luascan.scan
    edited: list[bool] = []

    def scan_then_edit(source: bytes, file: str, *a: int, **kw: int) -> object:
        facts = real_scan(source, file, *a, **kw)
        if file == str(target) and not edited:
            st = target.stat()
            target.write_text("local d = ngx.shared.oops\nreturn d\n")  # same size
            os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
            edited.append(True)
        return facts

    monkeypatch.setattr("restybuild.lint.luascan.scan", scan_then_edit)  # Lua files' scan
    first = run("lint", True, capsys, monkeypatch)
    assert "oops" not in first[1] and edited
    monkeypatch.setattr("restybuild.lint.luascan.scan", real_scan)
    again = run("lint", True, capsys, monkeypatch)
    assert again == run("lint", False, capsys, monkeypatch)
    assert "shared dict `oops` is used but never declared" in again[1]


def test_the_identity_holds_restybuilds_files_and_its_libraries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A recipe (or any code or data file of restybuild) that changes invalidates."""
    recipe = tmp_path / "recipe.toml"
    recipe.write_text("schema = 1\n")
    monkeypatch.setattr(fastpath, "_package_files", lambda: [str(recipe)])
    before = fastpath.identity()
    recipe.write_text("schema = 2\n")
    assert fastpath.identity() != before
    stamps = fastpath._dependency_stamps()
    assert [s[0] for s in stamps] == list(fastpath.DEPENDENCIES)
    assert all(s[1] for s in stamps if s[0] != "tomli")  # versions of what is installed
    assert fastpath._dependencies_hold(stamps)
    moved = [[n, v, m + ".gone" if m else m, st] for n, v, m, st in stamps]
    assert not fastpath._dependencies_hold(moved)
