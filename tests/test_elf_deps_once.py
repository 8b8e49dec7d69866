"""`restybuild deps` in one pass: each file resolved once, the loader's caches built once per
run, compact JSON unless --indent; the results are those of a file resolved alone."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.elf import fs as elf_fs
from restybuild.elf import loader as elf_loader
from restybuild.elf.fs import HostFS
from restybuild.elf.host import host_env
from restybuild.elf.loader import Loader, Session
from tests.test_elf_fixtures import cc, lib, lua_module


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, Counter[str]]:
    """How often each path is loaded (as a program or dlopen'd) and read as ELF."""
    counts: dict[str, Counter[str]] = {"load": Counter(), "read": Counter(), "index": Counter()}
    load, read, index = Session._load, elf_fs.read_elf, elf_loader.cache_index  # type: ignore[attr-defined]

    def counting_load(self: Session, path: str, main: bool, executed: bool = False) -> object:
        counts["load"][path] += 1
        return load(self, path, main, executed)

    def counting_read(path: str, name: str | None = None) -> object:
        counts["read"][str(path)] += 1
        return read(path, name)

    def counting_index(cache: tuple[object, ...]) -> object:
        counts["index"][str(id(cache))] += 1
        return index(cache)  # type: ignore[arg-type]

    monkeypatch.setattr(Session, "_load", counting_load)
    monkeypatch.setattr(elf_fs, "read_elf", counting_read)
    monkeypatch.setattr(elf_loader, "cache_index", counting_index)
    return counts


def _modules(tmp_path: Path, n: int) -> list[Path]:
    return [cc(tmp_path / f"m{i}.so", f"int f{i}(void){{return {i};}}\n", needs=["-lz"])
            for i in range(n)]


def test_each_file_is_resolved_once(tmp_path: Path, counted: dict[str, Counter[str]],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    mods = _modules(tmp_path, 4)
    assert main(["deps", *map(str, mods), str(mods[0])]) == 0  # one named twice, too
    out = capsys.readouterr().out
    assert out.count("libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1  [base]") == 5
    assert {str(m): counted["load"][str(m)] for m in mods} == {str(m): 1 for m in mods}
    # the files given are read once (by the command), never again through the loader
    assert all(counted["read"][str(m)] == 0 for m in mods)
    # every loader of the run shares one index of ld.so.cache
    assert sum(counted["index"].values()) <= 1


def test_a_bundling_pass_resolves_again_only_what_it_changes(
        tmp_path: Path, counted: dict[str, Counter[str]],
        capsys: pytest.CaptureFixture[str]) -> None:
    two = lib(tmp_path / "vendor", "libtwo.so.1")
    mod = lua_module(tmp_path / "lib", "proto", needs=[two], calls=["libtwo_fn"])
    plain = _modules(tmp_path, 2)
    rc = main(["deps", str(mod), *map(str, plain), "--base", "debian-bookworm",
               "--search", str(tmp_path / "vendor")])
    assert rc == 0, capsys.readouterr().out
    # before and after libtwo is bundled: twice; never more
    assert counted["load"][str(mod)] == 2
    assert all(counted["load"][str(p)] <= 2 for p in plain)


def test_results_equal_those_of_each_file_alone(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    two = lib(tmp_path / "vendor/b", "libtwo.so.1")
    one = lib(tmp_path / "vendor/a", "libone.so.1", needs=[two], calls=["libtwo_fn"])
    mods = [lua_module(tmp_path / "lib", "proto", needs=[one, "-lz"], calls=["libone_fn"]),
            *_modules(tmp_path, 2), one, two]
    alone = []
    for m in mods:
        main(["deps", str(m), "--json"])
        alone.append(json.loads(capsys.readouterr().out)["files"][0])
    main(["deps", *map(str, mods), "--json"])
    together = json.loads(capsys.readouterr().out)["files"]
    assert together == alone


def test_compact_json_unless_indent(tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    mods = _modules(tmp_path, 2)
    main(["deps", *map(str, mods), "--json"])
    compact = capsys.readouterr().out
    main(["deps", *map(str, mods), "--json", "--indent", "2"])
    indented = capsys.readouterr().out
    assert compact.count("\n") == 1 and '","libc":"' in compact
    assert indented.count("\n") > 10 and '\n  "files": [' in indented
    assert json.loads(compact) == json.loads(indented)
    with pytest.raises(SystemExit):
        main(["deps", str(mods[0]), "--json", "--indent", "x"])
    assert "not a number of spaces" in capsys.readouterr().err


def test_loaders_share_the_cache_index() -> None:
    env = host_env("")
    a = Loader(env, HostFS())
    b = Loader(env.with_ld_library_path(("/nowhere",)), HostFS())
    assert a._cache is b._cache and a.with_fs(HostFS("/"))._objects is a._objects
