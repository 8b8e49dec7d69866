"""Search-order details against ldd: RPATH with RUNPATH up the loader chain, the working folder,
$ORIGIN through a symlink."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from restybuild.elf.reader import read_elf
from tests.test_elf_fixtures import cc, lib, needed_to_runpath
from tests.test_elf_loader import closure, same_as_ldd


def both_paths(folder: Path, name: str, rpath: Path, runpath: Path, *,
               needs: Sequence[Path] = (), calls: Sequence[str] = ()) -> Path:
    """A library with DT_RPATH `rpath` and DT_RUNPATH `runpath` (GNU ld writes only one: a
    placeholder DT_NEEDED named `runpath` is turned into the DT_RUNPATH)."""
    holder = cc(folder / "holder" / "libholder.so", "int h(void){return 0;}\n",
                soname=str(runpath))
    out = lib(folder, name, needs=[*needs, holder], calls=calls, rpath=[str(rpath)])
    needed_to_runpath(out, str(runpath))
    obj = read_elf(out)
    assert (obj.rpath, obj.runpath) == ((str(rpath),), (str(runpath),))
    return out


def test_rpath_of_a_loader_with_runpath_is_not_searched_for_its_dependencies(
        tmp_path: Path) -> None:
    """glibc drops the DT_RPATH of an object that has DT_RUNPATH (``elf/get-dynamic-info.h``),
    so the walk up ``l_loader`` in ``_dl_map_new_object`` finds none there either."""
    a = tmp_path / "a"
    lib(a, "libx.so.1")
    mid = lib(tmp_path / "mid", "libmid.so.1", needs=[a / "libx.so.1"], calls=["libx_fn"])
    top = both_paths(tmp_path / "top", "libtop.so", rpath=a, runpath=mid.parent,
                     needs=[mid], calls=["libmid_fn"])
    got = same_as_ldd(top)
    assert got["libmid.so.1"] == str(mid) and got["libx.so.1"] is None
    miss = closure(top).missing[0]
    assert (miss.requester, miss.name) == (str(mid), "libx.so.1")
    assert str(a) not in miss.tried
    # the same chain whose top has only the RPATH: it is searched for libmid's need
    rp = lib(tmp_path / "rp", "libtop.so", needs=[mid], calls=["libmid_fn"],
             rpath=[str(a), str(mid.parent)])
    assert same_as_ldd(rp)["libx.so.1"] == f"{a}/libx.so.1"
