"""Files glibc refuses, in its words: OS ABI and e_ident checks, executables, PIE, NOOPEN.

Each case is checked against the real loader: ``ldd`` for what a program
loads at start-up, a small C program calling ``dlopen`` for the rest.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.elf.fs import HostFS
from restybuild.elf.host import host_env
from restybuild.elf.loader import Closure, Loader
from restybuild.elf.reader import read_elf
from restybuild.lock import shipped_index
from restybuild.natives import check_natives
from restybuild.resolve import load_project
from tests.test_elf_fixtures import cc, lib
from tests.test_elf_loader import closure
from tests.test_elf_natives import project

DLOPEN = ("#include <dlfcn.h>\n#include <stdio.h>\nint main(int c, char **v) {\n"
          "  if (!dlopen(v[1], RTLD_NOW)) { printf(\"%s\\n\", dlerror()); return 1; }\n"
          "  printf(\"ok\\n\"); return 0;\n}\n")
EXE = "int libx_fn(void) { return 1; }\nint main(void) { return libx_fn(); }\n"


@pytest.fixture(scope="module")
def dlopen_prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dl") / "dl"
    subprocess.run(["gcc", "-o", str(out), "-x", "c", "-", "-ldl"], input=DLOPEN.encode(),
                   check=True, capture_output=True)
    return out


def real_dlopen(prog: Path, path: Path) -> str:
    """"ok", or dlerror()'s text."""
    return subprocess.run([str(prog), str(path)], capture_output=True, text=True,
                          env={"PATH": os.environ.get("PATH", "")}).stdout.strip()


def ldd_error(path: Path, llp: str = "") -> str:
    """The error ld.so stops with under ldd ("" when there is none)."""
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True,
                         env={"PATH": os.environ.get("PATH", ""), "LD_LIBRARY_PATH": llp})
    m = re.search(r"error while loading shared libraries: (.+)$", out.stdout + out.stderr, re.M)
    return m.group(1) if m else ""


def patch(path: Path, offset: int, data: bytes) -> Path:
    raw = bytearray(path.read_bytes())
    raw[offset:offset + len(data)] = data
    path.write_bytes(bytes(raw))
    return path


def dlopened(path: Path) -> Closure:
    return Loader(host_env(""), HostFS()).session((64, True, 62)).dlopen(str(path))


@pytest.mark.parametrize(("ident", "error"), [
    (b"\x09\x00", "ELF file OS ABI invalid"),  # FreeBSD
    (b"\x03\x03", ""),  # GNU, ABI version 3: below LIBC_ABI_MAX
    (b"\x03\x04", "ELF file ABI version invalid"),
    (b"\x00\x01", "ELF file ABI version invalid"),
    (b"\x00\x00\x01", "nonzero padding in e_ident"),
])
def test_e_ident_is_checked_like_open_verify(tmp_path: Path, ident: bytes, error: str) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    x = lib(good, "libx.so.1")
    patch(lib(bad, "libx.so.1"), 7, ident)
    top = lib(tmp_path, "libtop.so", needs=[x], calls=["libx_fn"])
    llp = f"{bad}:{good}"
    lk = closure(top, llp).lookups[0]
    want = f"{bad}/libx.so.1: {error}" if error else ""
    assert ldd_error(top, llp) == want
    assert (lk.error or "") == want
    assert lk.path == (None if error else f"{bad}/libx.so.1")


def test_the_byte_order_is_checked_before_the_machine(tmp_path: Path) -> None:
    """A file that claims the other byte order ends the search (its e_machine, read the
    other way round, is not x86_64: a model that checked the machine first skipped it)."""
    bad, good = tmp_path / "bad", tmp_path / "good"
    x = lib(good, "libx.so.1")
    patch(lib(bad, "libx.so.1"), 5, b"\x02")
    top = lib(tmp_path, "libtop.so", needs=[x], calls=["libx_fn"])
    want = f"{bad}/libx.so.1: ELF file data encoding not little-endian"
    assert ldd_error(top, f"{bad}:{good}") == want
    assert closure(top, f"{bad}:{good}").lookups[0].error == want


@pytest.mark.parametrize(("flags", "error"), [
    (["-fPIE", "-pie"], "cannot dynamically load position-independent executable"),
    (["-no-pie"], "cannot dynamically load executable"),
])
def test_an_executable_is_not_loaded_as_a_library(tmp_path: Path, dlopen_prog: Path,
                                                  flags: list[str], error: str) -> None:
    exe = tmp_path / "exe" / "libx.so.1"
    exe.parent.mkdir()
    subprocess.run(["gcc", *flags, "-o", str(exe), "-x", "c", "-", "-Wl,-soname,libx.so.1"],
                   input=EXE.encode(), check=True, capture_output=True)
    x = lib(tmp_path / "x", "libx.so.1")
    top = lib(tmp_path, "libtop.so", needs=[x], calls=["libx_fn"])
    # as a dependency: the name asked for, in _dl_map_object_from_fd's words
    assert ldd_error(top, str(exe.parent)) == f"libx.so.1: {error}"
    lk = closure(top, str(exe.parent)).lookups[0]
    assert (lk.path, lk.error) == (None, f"libx.so.1: {error}")
    # dlopen'd itself: its path
    assert real_dlopen(dlopen_prog, exe) == f"{exe}: {error}"
    assert dlopened(exe).error == f"{exe}: {error}"
    # as the program ldd runs, it loads
    assert ldd_error(exe) == "" and closure(exe).error is None


def test_a_nodlopen_library_refuses_dlopen_and_what_dlopen_loads(
        tmp_path: Path, dlopen_prog: Path) -> None:
    x = lib(tmp_path / "nd", "libx.so.1", flags=["-Wl,-z,nodlopen"])
    top = lib(tmp_path, "libtop.so", needs=[x], calls=["libx_fn"], rpath=[str(x.parent)])
    assert real_dlopen(dlopen_prog, top) == "libx.so.1: shared object cannot be dlopen()ed"
    assert dlopened(top).lookups[0].error == "libx.so.1: shared object cannot be dlopen()ed"
    assert real_dlopen(dlopen_prog, x) == f"{x}: shared object cannot be dlopen()ed"
    assert ldd_error(top) == "" and closure(top).lookups[0].path == str(x)  # at start-up


def test_a_pie_native_and_a_freebsd_dependency_are_findings(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str],
                                                            ) -> None:
    (tmp_path / "lib").mkdir()
    subprocess.run(["gcc", "-fPIE", "-pie", "-o", str(tmp_path / "lib/tool.so"), "-x", "c", "-"],
                   input=EXE.encode(), check=True, capture_output=True)
    assert read_elf(tmp_path / "lib/tool.so").pie
    dep = patch(lib(tmp_path / "vendor", "libbsd1.so.1"), 7, b"\x09")
    cc(tmp_path / "lib/user.so", "int libbsd1_fn(void);\nint u(void){return libbsd1_fn();}\n",
       needs=[dep])
    rf = project(tmp_path, "native lib/tool.so -> lua\n"
                           "native lib/user.so -> lua { search vendor }\n")
    p = load_project(rf)
    found = {(f.kind, f.message) for f in check_natives(p, shipped_index(p))}
    assert ("unloadable", "lib/tool.so cannot be loaded: cannot dynamically load "
                          "position-independent executable") in found
    assert ("missing-library", "lib/user.so needs libbsd1.so.1, which the base image "
            "debian-bookworm:12-runtime lacks and no search folder has") in found
    # restybuild deps says why the search-folder file is not taken
    assert main(["deps", str(tmp_path / "lib/user.so"), "--base", "debian-bookworm",
                 "--search", str(tmp_path / "vendor")]) == 1
    assert "the loader cannot load it (ELF file OS ABI invalid)" in capsys.readouterr().out
