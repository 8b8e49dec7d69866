"""Search-order details against ldd: RPATH with RUNPATH up the loader chain, the working folder,
$ORIGIN through a symlink."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.elf.fs import HostFS, IndexFS
from restybuild.elf.loader import Loader, LoaderEnv
from restybuild.elf.reader import ElfObject, read_elf
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


def cwd_case(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(working folder with libx.so.1 and sub/libx.so.1, libuser needing libx, elsewhere)."""
    here = tmp_path / "here"
    x = lib(here, "libx.so.1")
    lib(here / "sub", "libx.so.1")
    user = lib(tmp_path / "u", "libuser.so", needs=[x], calls=["libx_fn"])
    (tmp_path / "elsewhere").mkdir()
    return here, user, tmp_path / "elsewhere"


@pytest.mark.parametrize("llp", ["/nonexistent::/nonexistent2", ":/nonexistent",
                                 "/nonexistent:", "/nonexistent;", "sub", ""])
def test_empty_and_relative_ld_library_path_elements_are_the_working_folder(
        tmp_path: Path, llp: str) -> None:
    here, user, elsewhere = cwd_case(tmp_path)
    got = same_as_ldd(user, llp, cwd=here)
    want = {"": None, "sub": f"{here}/sub/libx.so.1"}.get(llp, f"{here}/libx.so.1")
    assert got["libx.so.1"] == want
    assert same_as_ldd(user, llp, cwd=elsewhere)["libx.so.1"] is None


@pytest.mark.parametrize(("runpath", "found"), [
    ("sub", "sub/libx.so.1"), ("/nonexistent:", "libx.so.1"), ("./sub/", "./sub/libx.so.1")])
def test_relative_and_empty_runpath_entries_are_in_the_working_folder(
        tmp_path: Path, runpath: str, found: str) -> None:
    here, _user, elsewhere = cwd_case(tmp_path)
    top = lib(tmp_path / "t", "libtop.so", needs=[here / "libx.so.1"], calls=["libx_fn"],
              runpath=[runpath])
    assert read_elf(top).runpath == tuple(runpath.split(":"))
    assert same_as_ldd(top, cwd=here)["libx.so.1"] == f"{here}/{found}"
    assert same_as_ldd(top, cwd=elsewhere)["libx.so.1"] is None
    lk = closure(top, cwd=here).lookups[0]
    assert lk.via == "runpath" and f"{lk.tried[-1]}/libx.so.1" == f"{here}/{found}"


def test_a_relative_needed_path_is_opened_from_the_working_folder(tmp_path: Path) -> None:
    here = tmp_path / "here"
    ns = cc(here / "sub" / "libns.so", "int ns(void){return 0;}\n", soname="sub/libns.so")
    top = cc(tmp_path / "libtop.so", "int ns(void);\nint f(void){return ns();}\n",
             needs=[ns])
    assert "sub/libns.so" in read_elf(top).needed
    assert same_as_ldd(top, cwd=here)["sub/libns.so"] == f"{here}/sub/libns.so"
    assert same_as_ldd(top, cwd=tmp_path)["sub/libns.so"] is None


def test_an_image_searches_its_workdir_for_an_empty_element() -> None:
    """``ENV LD_LIBRARY_PATH=/opt/lib:$LD_LIBRARY_PATH`` with no LD_LIBRARY_PATH before
    leaves "/opt/lib:": nginx, started in the image's WORKDIR, searches it too."""
    objects = {"/top/libtop.so": _obj("/top/libtop.so", needed=("libw.so.1",)),
               "/srv/app/libw.so.1": _obj("/srv/app/libw.so.1")}
    env = LoaderEnv(libc="glibc", ld_library_path=("/opt/lib", ""), cwd="/srv/app")
    lk = Loader(env, IndexFS(objects, {})).session().load_main("/top/libtop.so").lookups[0]
    assert (lk.path, lk.via, lk.tried) == ("/srv/app/libw.so.1", "LD_LIBRARY_PATH",
                                           ("/opt/lib", "/srv/app"))
    musl = LoaderEnv(libc="musl", ld_library_path=("/opt/lib", ""), cwd="/srv/app")
    lk = Loader(musl, IndexFS(objects, {})).session().load_main("/top/libtop.so").lookups[0]
    assert lk.path is None and "/srv/app" not in lk.tried  # musl skips empty elements


def _obj(path: str, needed: tuple[str, ...] = (), runpath: tuple[str, ...] = ()) -> ElfObject:
    return ElfObject(path=path, elf_class=64, little_endian=True, machine=62, e_type=3,
                     interp=None, soname=None, needed=needed, rpath=(), runpath=runpath,
                     nodeflib=False, version_needs=(), version_defs=())


MUSL_LDSO = Path("/lib/ld-musl-x86_64.so.1")


@pytest.mark.parametrize(("llp", "found"), [("sub", "sub/libmx.so.1"), ("/nonexistent:", None),
                                            (":sub", "sub/libmx.so.1")])
def test_musl_skips_empty_elements_and_opens_relative_ones_in_the_working_folder(
        tmp_path: Path, llp: str, found: str | None) -> None:
    assert MUSL_LDSO.exists(), "musl's loader is missing: scripts/setup-host installs musl-tools"
    here = tmp_path / "here"
    mx = cc(here / "sub" / "libmx.so.1", "int mx(void){return 1;}\n", soname="libmx.so.1",
            compiler="musl-gcc")
    cc(here / "libmx.so.1", "int mx(void){return 1;}\n", soname="libmx.so.1",
       compiler="musl-gcc")
    user = cc(tmp_path / "libmu.so", "int mx(void);\nint u(void){return mx();}\n",
              needs=[mx], compiler="musl-gcc")
    out = subprocess.run([str(MUSL_LDSO), "--list", str(user)], capture_output=True,
                         text=True, cwd=here, env={"LD_LIBRARY_PATH": llp}).stdout
    real = re.search(r"libmx\.so\.1 => (\S+)", out)
    assert (real.group(1) if real else None) == found
    env = LoaderEnv(libc="musl", musl_path=("/nonexistent",), ld_library_path=tuple(
        llp.split(":")), cwd=str(here))
    lk = next(lk for lk in Loader(env, HostFS()).session().load_main(str(user)).lookups
              if lk.name == "libmx.so.1")
    assert lk.path == (f"{here}/{found}" if found else None)


def test_origin_is_the_folder_of_the_path_used_not_of_the_real_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """glibc's ``l_origin`` (``elf/dl-object.c``) is the folder of the name it opened: a
    library reached through a symlink finds $ORIGIN/deps beside the symlink. (Only a program
    the kernel started takes its origin from /proc/self/exe, the real file.)"""
    real, link = tmp_path / "real", tmp_path / "link"
    lib(real / "deps", "libx.so.1")
    lib(link / "deps", "liby.so.1")
    top = cc(real / "libo.so", "int libx_fn(void);\nint o(void){return libx_fn();}\n",
             needs=[real / "deps/libx.so.1"], runpath=["$ORIGIN/deps"])
    (link / "deps/libx.so.1").symlink_to(link / "deps/liby.so.1")
    (link / "libo.so").symlink_to(top)
    got = same_as_ldd(link / "libo.so")
    assert got["libx.so.1"] == f"{link}/deps/libx.so.1"
    assert same_as_ldd(top)["libx.so.1"] == f"{real}/deps/libx.so.1"
    # restybuild deps, given the symlink (relative to the working folder too)
    monkeypatch.chdir(tmp_path)
    assert main(["deps", "link/libo.so"]) == 0
    assert f"libx.so.1 => {link}/deps/libx.so.1  [base]" in capsys.readouterr().out


def test_a_started_program_s_origin_is_its_real_file_s_folder(tmp_path: Path) -> None:
    """nginx, started by the kernel, takes $ORIGIN from /proc/self/exe: a symlink to it
    (``/usr/bin/openresty``) does not move it; ``ld.so PATH`` (ldd) takes the path's."""
    objects = {
        "/opt/or/sbin/nginx": _obj("/opt/or/sbin/nginx", needed=("libo.so.1",),
                                   runpath=("$ORIGIN/../lib",)),
        "/opt/or/lib/libo.so.1": _obj("/opt/or/lib/libo.so.1"),
        "/usr/lib/libo.so.1": _obj("/usr/lib/libo.so.1")}
    fs = IndexFS(objects, {"/usr/bin/openresty": "/opt/or/sbin/nginx"})
    loader = Loader(LoaderEnv(libc="glibc"), fs)
    started = loader.session().load_main("/usr/bin/openresty", executed=True)
    assert started.lookups[0].path == "/opt/or/sbin/../lib/libo.so.1"
    assert loader.session().load_main("/usr/bin/openresty").lookups[0].path == \
        "/usr/bin/../lib/libo.so.1"


def test_tokens_follow_is_dst_and_ld_library_path_s_are_the_program_s(tmp_path: Path) -> None:
    """``$ORIGIN-deps`` is a token and "-deps" (``is_dst``: a token ends at anything but a
    letter, digit or "_"); $ORIGIN in LD_LIBRARY_PATH is the main program's folder."""
    lib(tmp_path / "pkg-deps", "libx.so.1")
    top = lib(tmp_path / "pkg", "libtop.so", needs=[tmp_path / "pkg-deps/libx.so.1"],
              calls=["libx_fn"], runpath=["$ORIGIN-deps"])
    assert same_as_ldd(top)["libx.so.1"] == f"{tmp_path}/pkg-deps/libx.so.1"
    lib(tmp_path / "pkg" / "llp", "liby.so.1")
    user = lib(tmp_path / "pkg", "libuser.so", needs=[tmp_path / "pkg/llp/liby.so.1"],
               calls=["liby_fn"])
    assert same_as_ldd(user, "$ORIGIN/llp")["liby.so.1"] == f"{tmp_path}/pkg/llp/liby.so.1"
