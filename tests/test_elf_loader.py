"""The loader model against the real one: each case is built from C and compared with ldd."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from restybuild.elf.fs import HostFS, IndexFS, resolve_links
from restybuild.elf.host import host_env, loader_platform
from restybuild.elf.loader import Closure, Loader, LoaderEnv
from restybuild.elf.reader import read_elf
from tests.test_elf_fixtures import LIBC_USER, cc, ldd, lib, needed_to_runpath


def closure(path: Path, llp: str = "", cwd: Path | None = None) -> Closure:
    env = host_env(llp, cwd=str(cwd) if cwd is not None else None)
    return Loader(env, HostFS()).session().load_main(str(path))


def resolved(c: Closure) -> dict[str, str | None]:
    """Like :func:`ldd`: each name loaded once (first name), plus every name not found."""
    out: dict[str, str | None] = {}
    for lk in c.lookups:
        if lk.path is None:
            out[lk.name] = None
        elif lk.new:
            out[lk.name] = lk.path
    return out


def same_as_ldd(path: Path, llp: str = "", cwd: Path | None = None) -> dict[str, str | None]:
    mine = resolved(closure(path, llp, cwd))
    theirs = ldd(path, llp, cwd)
    theirs = {k: v for k, v in theirs.items() if not k.startswith("linux-vdso")}
    rtld = host_env("").rtld
    theirs.pop(rtld or "", None)  # the interpreter: always loaded, ldd lists it by path
    mine.pop("ld-linux-x86-64.so.2", None)
    assert mine == theirs
    return mine


def test_rpath_of_requester_beats_ld_library_path(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    lib(a, "libx.so.1")
    lib(b, "libx.so.1")
    top = lib(tmp_path, "libtop.so", needs=[a / "libx.so.1"], rpath=[str(a)])
    got = same_as_ldd(top, str(b))
    assert got["libx.so.1"] == f"{a}/libx.so.1"
    assert closure(top, str(b)).lookups[0].via == "rpath"


def test_runpath_comes_after_ld_library_path(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    lib(a, "libx.so.1")
    lib(b, "libx.so.1")
    top = lib(tmp_path, "libtop.so", needs=[a / "libx.so.1"], runpath=[str(a)])
    assert same_as_ldd(top, str(b))["libx.so.1"] == f"{b}/libx.so.1"
    assert same_as_ldd(top)["libx.so.1"] == f"{a}/libx.so.1"


def test_rpath_is_inherited_down_the_chain_runpath_is_not(tmp_path: Path) -> None:
    deps, mid = tmp_path / "deps", tmp_path / "mid"
    leaf = lib(deps, "libleaf.so.1")
    middle = lib(mid, "libmid.so.1", needs=[leaf], calls=["libleaf_fn"])
    # RPATH on the top object reaches libmid's own need
    top = lib(tmp_path / "r", "libtop.so", needs=[middle], calls=["libmid_fn"],
              rpath=[str(deps), str(mid)])
    assert same_as_ldd(top)["libleaf.so.1"] == f"{deps}/libleaf.so.1"
    # RUNPATH on the top object does not: libleaf is not found
    top2 = lib(tmp_path / "u", "libtop.so", needs=[middle], calls=["libmid_fn"],
               runpath=[str(deps), str(mid)])
    got = same_as_ldd(top2)
    assert got["libmid.so.1"] == f"{mid}/libmid.so.1" and got["libleaf.so.1"] is None
    miss = closure(top2).missing[0]
    assert miss.requester == f"{mid}/libmid.so.1"


def test_rpath_is_ignored_when_the_requester_has_runpath(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    lib(a, "libx.so.1")
    lib(b, "libx.so.1")
    # GNU ld writes RPATH or RUNPATH, never both: link a placeholder whose DT_NEEDED
    # name is folder b, then turn that entry into DT_RUNPATH
    holder = cc(tmp_path / "h" / "libholder.so", "int h(void){return 0;}\n", soname=str(b))
    both = lib(tmp_path / "both", "libtop.so", needs=[a / "libx.so.1", holder], rpath=[str(a)])
    needed_to_runpath(both, str(b))
    obj = read_elf(both)
    assert (obj.rpath, obj.runpath) == ((str(a),), (str(b),))
    assert same_as_ldd(both)["libx.so.1"] == f"{b}/libx.so.1"


def test_origin_lib_and_platform_are_expanded(tmp_path: Path) -> None:
    deps = tmp_path / "pkg" / "deps"
    lib(deps, "libo.so.1")
    env = host_env("")
    assert env.platform, "glibc's loader reports dl_platform"
    lib(tmp_path / env.dst_lib, "libl.so.1")
    # a copy in every folder $PLATFORM may name on x86-64: the one ld.so takes depends on
    # this CPU (haswell on Intel with AVX2, x86_64 on others); the model must take the same
    for plat in {"x86_64", "haswell", "xeon_phi", env.platform}:
        lib(tmp_path / plat, "libp.so.1")
    top = lib(tmp_path / "pkg" / "bin", "libtop.so",
              needs=[deps / "libo.so.1", tmp_path / env.dst_lib / "libl.so.1",
                     tmp_path / env.platform / "libp.so.1"],
              runpath=["$ORIGIN/../deps", f"{tmp_path}/$LIB", f"{tmp_path}/${{PLATFORM}}"])
    got = same_as_ldd(top)
    assert got["libo.so.1"] == f"{tmp_path}/pkg/bin/../deps/libo.so.1"
    assert got["libl.so.1"] == f"{tmp_path}/{env.dst_lib}/libl.so.1"
    assert got["libp.so.1"] == f"{tmp_path}/{env.platform}/libp.so.1"


def test_the_platform_is_what_the_loader_reports(tmp_path: Path) -> None:
    """An Intel AVX2 CPU makes glibc say `haswell`: the value comes from ld.so, not uname."""
    fake = tmp_path / "ld.so"
    fake.write_text('#!/bin/sh\n[ "$1" = --list-diagnostics ] && '
                    'printf \'dl_pagesize=0x1000\\ndl_platform="haswell"\\n\'\n')
    fake.chmod(0o755)
    assert loader_platform(str(fake)) == "haswell"
    mute = tmp_path / "old-ld.so"  # glibc before 2.33 has no --list-diagnostics
    mute.write_text("#!/bin/sh\nexit 127\n")
    mute.chmod(0o755)
    assert loader_platform(str(mute)) is None
    assert loader_platform(str(tmp_path / "none")) is None
    real = host_env("")
    out = subprocess.run([str(real.rtld), "--list-diagnostics"], capture_output=True,
                         text=True, check=True).stdout
    assert f'dl_platform="{real.platform}"' in out.splitlines()


def test_platform_in_an_image_is_cpu_dependent_never_guessed(tmp_path: Path) -> None:
    """Against an image the CPU is unknown: a $PLATFORM folder is reported, not searched."""
    libp = lib(tmp_path / "src", "libp.so.1")
    top = lib(tmp_path, "libtop.so", needs=[libp], runpath=["/d/$PLATFORM"])
    objects = {"/top/libtop.so": read_elf(top),
               "/d/x86_64/libp.so.1": read_elf(libp), "/d/haswell/libp.so.1": read_elf(libp)}
    env = LoaderEnv(libc="glibc", trusted_dirs=("/lib",))
    assert env.platform is None
    lk = Loader(env, IndexFS(objects, {})).session().load_main("/top/libtop.so").lookups[0]
    assert (lk.name, lk.path, lk.cpu_dependent) == ("libp.so.1", None, ("/d/$PLATFORM",))
    assert "/d/x86_64" not in lk.tried and "/d/haswell" not in lk.tried
    # the same name found later in the order is still reported as CPU-dependent
    objects["/lib/libp.so.1"] = read_elf(libp)
    lk = Loader(env, IndexFS(objects, {})).session().load_main("/top/libtop.so").lookups[0]
    assert (lk.path, lk.cpu_dependent) == ("/lib/libp.so.1", ("/d/$PLATFORM",))
    # a known platform (this machine's loader) expands it
    known = Loader(LoaderEnv(libc="glibc", platform="haswell"), IndexFS(objects, {}))
    lk = known.session().load_main("/top/libtop.so").lookups[0]
    assert (lk.path, lk.cpu_dependent) == ("/d/haswell/libp.so.1", ())


def test_a_32_bit_candidate_is_skipped_like_ld_so_skips_it(tmp_path: Path) -> None:
    d32, d64 = tmp_path / "d32", tmp_path / "d64"
    lib(d32, "libx.so.1", flags=["-m32"])
    lib(d64, "libx.so.1")
    top = lib(tmp_path, "libtop.so", needs=[d64 / "libx.so.1"])
    assert same_as_ldd(top, f"{d32}:{d64}")["libx.so.1"] == f"{d64}/libx.so.1"
    lk = closure(top, f"{d32}:{d64}").lookups[0]
    assert lk.skipped == (f"{d32}/libx.so.1 (32-bit i386)",)


def test_a_non_elf_candidate_ends_the_search(tmp_path: Path) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    lib(good, "libx.so.1")
    bad.mkdir()
    (bad / "libx.so.1").write_text("/* GNU ld script: what a -dev package puts beside a "
                                   "library */\nINPUT(-lx)\n")
    top = lib(tmp_path, "libtop.so", needs=[good / "libx.so.1"])
    lk = closure(top, f"{bad}:{good}").lookups[0]
    assert lk.path is None and lk.error == f"{bad}/libx.so.1: invalid ELF header"


def test_an_object_already_loaded_under_its_soname_is_reused(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden"
    first = lib(hidden, "libshared.so.1")
    # libuser needs libshared.so.1 but has no path to it; libtop loads it first via RPATH
    user = lib(tmp_path / "u", "libuser.so.1", needs=[first], calls=["libshared_fn"])
    top = lib(tmp_path, "libtop.so", needs=[first, user], rpath=[str(tmp_path / "u")],
              flags=["-Wl,--enable-new-dtags", f"-Wl,-rpath,{hidden}"])
    # RUNPATH finds libshared for libtop; libuser (no paths) reuses it by soname
    got = same_as_ldd(top)
    assert got["libshared.so.1"] == f"{hidden}/libshared.so.1"
    vias = {(lk.requester.rsplit("/", 1)[-1], lk.name): lk.via for lk in closure(top).lookups}
    assert vias[("libuser.so.1", "libshared.so.1")] == "loaded"


def test_nodeflib_skips_cache_and_trusted_folders(tmp_path: Path) -> None:
    top = cc(tmp_path / "libtop.so", "int f(void) { return 0; }\n", needs=["-lz"],
             flags=["-Wl,-z,nodefaultlib"])
    assert read_elf(top).nodeflib
    got = same_as_ldd(top)
    assert got["libz.so.1"] is None


def test_a_name_with_a_slash_is_a_path(tmp_path: Path) -> None:
    dep = lib(tmp_path / "d", "libd.so.1")
    top = cc(tmp_path / "libtop.so", "int f(void) { return 0; }\n", needs=[str(dep)])
    # linking a path without a SONAME-less file keeps the SONAME; force a path DT_NEEDED
    top = cc(tmp_path / "libtop2.so", "int f(void) { return 0; }\n",
             needs=[f"-Wl,--no-as-needed,-l:{dep.name}", f"-L{dep.parent}"])
    assert same_as_ldd(top)["libd.so.1"] is None


def test_symbol_versions_are_checked_against_the_provider(tmp_path: Path) -> None:
    script = tmp_path / "v.map"
    script.write_text("VER_1 { global: old_fn; local: *; };\nVER_2 { global: new_fn; } VER_1;\n")
    new = cc(tmp_path / "new" / "libv.so.1", "int old_fn(void){return 1;}\n"
             "int new_fn(void){return 2;}\n", soname="libv.so.1",
             flags=[f"-Wl,--version-script={script}"])
    user = cc(tmp_path / "libuser.so", "int new_fn(void);\nint u(void){return new_fn();}\n",
              needs=[new])
    assert [n.versions for n in read_elf(user).version_needs if n.file == "libv.so.1"] == [
        ("VER_2",)]
    script.write_text("VER_1 { global: old_fn; local: *; };\n")
    cc(tmp_path / "old" / "libv.so.1", "int old_fn(void){return 1;}\n", soname="libv.so.1",
       flags=[f"-Wl,--version-script={script}"])
    ok = closure(user, str(tmp_path / "new"))
    assert ok.version_problems == ()
    bad = closure(user, str(tmp_path / "old"))
    assert [(v.file, v.version) for v in bad.version_problems] == [("libv.so.1", "VER_2")]


def test_musl_order_first_file_wins_and_libc_is_itself(tmp_path: Path) -> None:
    d32, d64, rp = tmp_path / "d32", tmp_path / "d64", tmp_path / "rp"
    lib(d32, "libx.so.1", flags=["-m32"])
    x = lib(d64, "libx.so.1", compiler="musl-gcc")
    lib(rp, "liby.so.1", compiler="musl-gcc")
    top = cc(tmp_path / "libtop.so", LIBC_USER, needs=[x, rp / "liby.so.1"],
             runpath=[str(rp)], compiler="musl-gcc")
    env = LoaderEnv(libc="musl", musl_path=(str(d64),), ld_library_path=(str(rp),))
    c = Loader(env, HostFS()).session().load_main(str(top))
    got = {lk.name: (lk.path, lk.via) for lk in c.lookups}
    assert got["libc.so"] == ("libc.so", "libc")
    assert got["libx.so.1"] == (f"{d64}/libx.so.1", "default")
    assert got["liby.so.1"] == (f"{rp}/liby.so.1", "LD_LIBRARY_PATH")
    # musl takes the first file that opens: a 32-bit one there is an error, not a skip
    env32 = LoaderEnv(libc="musl", musl_path=(str(d32), str(d64)))
    lk = next(lk for lk in Loader(env32, HostFS()).session().load_main(str(top)).lookups
              if lk.name == "libx.so.1")
    assert lk.path is None and lk.error and "Exec format error" in lk.error


@pytest.mark.parametrize("name", ["libc.so.6", "libssl.so.3", "libgcc_s.so.1"])
def test_host_libraries_resolve_like_ldd(name: str) -> None:
    env = host_env("")
    path = next(e.path for e in env.cache if e.name == name and e.flags == 0x303)
    same_as_ldd(Path(path))


def test_index_fs_follows_symlinks() -> None:
    links = {"/lib": "usr/lib", "/usr/lib/x/libz.so.1": "libz.so.1.2.13",
             "/loop": "/loop"}
    assert resolve_links("/lib/x/libz.so.1", links) == "/usr/lib/x/libz.so.1.2.13"
    assert resolve_links("/loop/a", links) is None
    fs = IndexFS({"/usr/lib/x/libz.so.1.2.13": None}, links)
    assert fs.identity("/lib/x/libz.so.1") == "/usr/lib/x/libz.so.1.2.13"
    assert fs.identity("/lib/x/nope") is None
