"""This machine's loader for each ABI: a 32-bit file gets the 32-bit ld.so's folders, as ldd."""

from __future__ import annotations

from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.elf.fs import HostFS
from restybuild.elf.host import host_env, rtld_for
from restybuild.elf.loader import Loader
from restybuild.elf.reader import NotElf, read_elf
from tests.test_elf_fixtures import cc, ldd, lib
from tests.test_elf_loader import resolved

I386 = (32, True, 3)


def only_in_trusted_dirs() -> Path:
    """A 32-bit library the 32-bit ld.so finds in its trusted folders but not in
    ld.so.cache under its file name (gcc-multilib's libatomic.so.1.2.0, say)."""
    env = host_env("", abi=I386)
    cached = {e.name for e in env.cache}
    for d in env.trusted_dirs:
        for p in sorted(Path(d).glob("lib*.so.*")) if Path(d).is_dir() else ():
            if p.name in cached or p.is_symlink() or not p.is_file():
                continue
            try:
                obj = read_elf(p)
            except (NotElf, OSError):
                continue
            if (obj.elf_class, obj.machine, obj.e_type) == (32, 3, 3) and not obj.defect:
                return p
    raise AssertionError("no 32-bit library only in the 32-bit loader's trusted folders: "
                         "scripts/setup-host installs gcc-multilib, which has some")


def test_the_loader_of_the_file_s_abi_is_chosen() -> None:
    rtld, abi = rtld_for(I386)
    assert rtld is not None and abi == I386
    env = host_env("", abi=I386)
    assert env.rtld == rtld and not any("x86_64" in d for d in env.trusted_dirs)
    assert env.dst_lib != host_env("").dst_lib and env.platform in ("i386", "i686")


def test_a_32_bit_library_resolves_with_the_32_bit_loader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trusted = only_in_trusted_dirs()
    env = host_env("", abi=I386)
    # a name found in the 32-bit trusted folders only, and $LIB / $PLATFORM of that loader
    stub = cc(tmp_path / "stub" / trusted.name, "int stub(void){return 0;}\n",
              soname=trusted.name, flags=["-m32"])
    lib(tmp_path / env.dst_lib, "libl.so.1", flags=["-m32"])
    assert env.platform is not None
    lib(tmp_path / env.platform, "libp.so.1", flags=["-m32"])
    top = lib(tmp_path / "top", "libtop.so", flags=["-m32"],
              needs=[stub, tmp_path / env.dst_lib / "libl.so.1",
                     tmp_path / env.platform / "libp.so.1"],
              runpath=[f"{tmp_path}/$LIB", f"{tmp_path}/$PLATFORM"])
    mine = resolved(Loader(env, HostFS()).session().load_main(str(top)))
    theirs = {k: v for k, v in ldd(top).items() if not k.startswith("linux-")}
    assert theirs.pop(str(env.rtld)) == str(env.rtld)  # ld.so itself, always loaded
    assert mine == theirs
    assert mine[trusted.name] == str(trusted)
    assert mine["libl.so.1"] == f"{tmp_path}/{env.dst_lib}/libl.so.1"
    # restybuild deps picks that loader for that file, and the 64-bit one for the other
    mod = cc(tmp_path / "m.so", "int f(void){return 0;}\n", needs=["-lz"])
    assert main(["deps", str(top), str(mod)]) == 0
    out = capsys.readouterr().out
    assert f"    {trusted.name} => {trusted}  [base]" in out
    assert "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1  [base]" in out
