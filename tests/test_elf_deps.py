"""`restybuild deps`: the tree, its marks, JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restybuild.cli import main
from tests.test_elf_fixtures import cc, lib, lua_module


@pytest.fixture()
def module(tmp_path: Path) -> Path:
    two = lib(tmp_path / "vendor/b", "libtwo.so.1")
    one = lib(tmp_path / "vendor/a", "libone.so.1", needs=[two], calls=["libtwo_fn"])
    lost = lib(tmp_path / "lost", "liblost.so.2")
    return lua_module(tmp_path / "lib", "proto", needs=[one, lost, "-lz"],
                      calls=["libone_fn", "liblost_fn"])


def test_tree_marks_base_bundled_and_missing(module: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["deps", str(module), "--base", "debian-bookworm",
               "--search", str(tmp_path / "vendor/a"), "--search", str(tmp_path / "vendor/b")])
    out = capsys.readouterr().out.splitlines()
    assert rc == 1
    assert out[0].startswith("against debian-bookworm:12-runtime (library index of "
                             "restybuild/debian-bookworm:runtime")
    assert out[1] == f"{module} (64-bit x86_64, glibc)"
    assert out[2] == f"    libone.so.1 => {tmp_path}/vendor/a/libone.so.1  [bundled]"
    assert out[3] == f"        libtwo.so.1 => {tmp_path}/vendor/b/libtwo.so.1  [bundled]"
    assert "    liblost.so.2 => not found  [MISSING]" in out
    assert "    libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1  [base]  (already loaded)" in out


def test_json_and_a_clean_exit(module: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    lib(tmp_path / "vendor/a", "liblost.so.2")
    rc = main(["deps", str(module), "--base", "debian-bookworm:12-runtime", "--json",
               "--search", str(tmp_path / "vendor/a"), "--search", str(tmp_path / "vendor/b")])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert data["base"] == "debian-bookworm:12-runtime" and data["libc_version"] == "2.36"
    libs = {(x["name"], x["status"]) for x in data["files"][0]["libraries"]}
    assert {("libone.so.1", "bundled"), ("libtwo.so.1", "bundled"),
            ("liblost.so.2", "bundled"), ("libz.so.1", "base"), ("libc.so.6", "base")} <= libs
    assert [b["name"] for b in data["files"][0]["bundle"]] == [
        "liblost.so.2", "libone.so.1", "libtwo.so.1"]


def test_host_is_the_default_base(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    mod = cc(tmp_path / "m.so", "int f(void){return 0;}\n", needs=["-lz"])
    assert main(["deps", str(mod)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("against this machine")
    assert "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1  [base]" in out
    # a path with "./" in it, dlopen'd into a base image's nginx
    monkeypatch.chdir(tmp_path)
    assert main(["deps", "./m.so", "--base", "debian-bookworm"]) == 0
    assert "./m.so (64-bit x86_64, glibc)" in capsys.readouterr().out


def test_problems_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mod = cc(tmp_path / "m.so", "int f(void){return 0;}\n", compiler="musl-gcc", needs=["-lc"])
    assert main(["deps", str(mod), "--base", "debian-bookworm"]) == 1
    assert "error: " in capsys.readouterr().out
    (tmp_path / "text.so").write_text("hello\n")
    assert main(["deps", str(tmp_path / "text.so")]) == 1
    assert "error: not a dynamic executable (file too short)" in capsys.readouterr().out


def test_a_file_that_is_not_elf_does_not_stop_the_others(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Like ldd: the linker script libc.so is "not a dynamic executable", the rest resolve."""
    script = Path("/usr/lib/x86_64-linux-gnu/libc.so")
    assert script.read_bytes().startswith(b"/* GNU ld script")
    mod = cc(tmp_path / "m.so", "int f(void){return 0;}\n", needs=["-lz"])
    assert main(["deps", str(script), str(mod), str(tmp_path / "none.so")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1:3] == [f"{script} (not ELF)",
                        "    error: not a dynamic executable (invalid ELF header)"]
    assert out[3] == f"{mod} (64-bit x86_64, glibc)"
    assert "    libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1  [base]" in out
    assert out[-2:] == [f"{tmp_path}/none.so (unreadable)",
                        "    error: No such file or directory"]
    assert main(["deps", str(mod)]) == 0


def test_an_image_base_needs_the_daemon(tmp_path: Path, no_daemon: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    mod = cc(tmp_path / "m.so", "int f(void){return 0;}\n")
    assert main(["deps", str(mod), "--base", "openresty:1.21.4.3-bookworm"]) == 5
    assert "no Docker daemon answers" in capsys.readouterr().err


def _corrupt(good: Path, out: Path) -> Path:
    """`good` with DT_STRTAB far outside the file (the reader once raised OverflowError)."""
    import struct

    from tests.elf_fuzzing import seed

    s = seed(good)
    assert s.dynamic is not None
    data = bytearray(s.data)
    for at in range(s.dynamic[0], s.dynamic[0] + s.dynamic[1], 16):
        if struct.unpack_from("<q", data, at)[0] == 5:  # DT_STRTAB
            struct.pack_into("<Q", data, at + 8, 1 << 63)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(bytes(data))
    return out


def test_a_corrupt_library_is_reported_not_a_crash(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    good = lib(tmp_path / "src", "libone.so.1")
    bad = _corrupt(good, tmp_path / "vendor" / "libone.so.1")
    mod = lua_module(tmp_path / "lib", "proto", needs=[good], calls=["libone_fn"])
    # in a --search folder: not bundled, and a note says why
    rc = main(["deps", str(mod), "--base", "debian-bookworm", "--search", str(bad.parent)])
    out = capsys.readouterr().out
    assert rc == 1 and "    libone.so.1 => not found  [MISSING]" in out
    assert "the loader cannot load it (corrupt dynamic section: DT_STRTAB" in out
    # found by this machine's loader: its error, the search ends there
    monkeypatch.setenv("LD_LIBRARY_PATH", str(bad.parent))
    assert main(["deps", str(mod)]) == 1
    out = capsys.readouterr().out
    assert "libone.so.1 => not found  [ERROR]  (libone.so.1: corrupt dynamic section" in out
    # the corrupt file itself, as an input
    assert main(["deps", str(bad)]) == 1
    assert f"error: {bad}: corrupt dynamic section" in capsys.readouterr().out
