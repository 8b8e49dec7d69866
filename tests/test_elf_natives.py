"""Planning natives from their closure against the base (the shipped library index)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.elf.bundle import BUNDLE_DIR
from restybuild.elf.libindex import LibraryIndex
from restybuild.errors import ConfigError
from restybuild.lock import shipped_index
from restybuild.natives import check_natives, plan_natives
from restybuild.resolve import load_project
from tests.conftest import planned
from tests.test_elf_fixtures import LIBC_USER, cc, lib, lua_module, set_machine

HEAD = "name app\nbase debian-bookworm\n"


def shipped(restyfile: Path) -> LibraryIndex | None:
    return shipped_index(load_project(restyfile))


def project(root: Path, natives: str, head: str = HEAD) -> Path:
    (root / "Restyfile").write_text(head + natives)
    return root / "Restyfile"


def kinds(restyfile: Path) -> list[tuple[str, str]]:
    p = load_project(restyfile)
    return [(f.kind, f.severity) for f in check_natives(p, shipped_index(p))]


def test_a_missing_library_in_a_search_folder_is_bundled(tmp_path: Path) -> None:
    dep = lib(tmp_path / "vendor", "libdep.so.1")
    lua_module(tmp_path / "lib", "proto", needs=[dep], calls=["libdep_fn"])
    rf = project(tmp_path, "native lib/proto.so -> lua { search vendor }\n")
    bp = planned(rf)
    arcs = {e.arcname: e.source for e in bp.context}
    assert arcs[f"layers/natives{BUNDLE_DIR}/libdep.so.1"] == str(dep)
    assert "layers/natives/usr/share/nginx/lua/proto.so" in arcs
    assert bp.ld_library_path == BUNDLE_DIR
    # libc, found by nginx first, is not bundled
    assert [a for a in arcs if a.startswith(f"layers/natives{BUNDLE_DIR}")] == [
        f"layers/natives{BUNDLE_DIR}/libdep.so.1"]


def test_a_library_found_nowhere_is_an_error_at_the_native_statement(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tolua = lib(tmp_path / "elsewhere", "libtolua++.so")
    lua_module(tmp_path / "lib", "binary_protocol", needs=[tolua], calls=["libtolua___fn"])
    (tmp_path / "vendor/lib").mkdir(parents=True)
    head = HEAD + "".join(f"# line {i}\n" for i in range(3, 12))
    rf = project(tmp_path, "native lib/binary_protocol.so -> lua {\n    search vendor/lib\n}\n",
                 head)
    assert main(["plan", str(rf)]) == 4
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"{rf}:12:1: error: lib/binary_protocol.so needs libtolua++.so, which the "
                      "base image debian-bookworm:12-runtime lacks and no search folder has")
    assert "  note: searched in the base image: ld.so.cache, /lib/x86_64-linux-gnu, " \
           "/usr/lib/x86_64-linux-gnu, /lib, /usr/lib" in err
    assert "  note: search folders: vendor/lib" in err


def test_a_chain_three_deep_is_followed(tmp_path: Path) -> None:
    c = lib(tmp_path / "vendor/c", "libc3.so.1")
    b = lib(tmp_path / "vendor/b", "libb3.so.1", needs=[c], calls=["libc3_fn"])
    a = lib(tmp_path / "vendor/a", "liba3.so.1", needs=[b], calls=["libb3_fn"])
    lua_module(tmp_path / "lib", "deep", needs=[a], calls=["liba3_fn"])
    rf = project(tmp_path, "native lib/deep.so -> lua {\n    search vendor/a vendor/b\n"
                           "    search vendor/c\n}\n")
    np = plan_natives(load_project(rf), shipped(rf))
    assert [(b.name, b.label) for b in np.bundles] == [
        ("liba3.so.1", "vendor/a/liba3.so.1"), ("libb3.so.1", "vendor/b/libb3.so.1"),
        ("libc3.so.1", "vendor/c/libc3.so.1")]
    closure = np.resolved[0].closure
    assert closure is not None
    new = [(lk.name, lk.path, lk.via) for lk in closure.lookups if lk.new]
    assert new == [(n, f"{BUNDLE_DIR}/{n}", "LD_LIBRARY_PATH")
                   for n in ("liba3.so.1", "libb3.so.1", "libc3.so.1")]


def test_a_third_level_library_found_nowhere_names_its_requester(tmp_path: Path) -> None:
    c = lib(tmp_path / "lost", "libc3.so.1")
    b = lib(tmp_path / "vendor", "libb3.so.1", needs=[c], calls=["libc3_fn"])
    lua_module(tmp_path / "lib", "deep", needs=[b], calls=["libb3_fn"])
    rf = project(tmp_path, "native lib/deep.so -> lua { search vendor }\n")
    with pytest.raises(ConfigError) as exc:
        planned(rf)
    assert exc.value.message.startswith("lib/deep.so needs libc3.so.1, which the base image")
    assert "libc3.so.1 is needed by vendor/libb3.so.1" in exc.value.notes


def test_origin_of_a_native_is_its_folder_in_the_image(tmp_path: Path) -> None:
    dep = lib(tmp_path / "vendor", "libo.so.1")
    lua_module(tmp_path / "lib", "orig", needs=[dep], calls=["libo_fn"], runpath=["$ORIGIN/deps"])
    rf = project(tmp_path, "native lib/orig.so -> lua { search vendor }\n")
    np = plan_natives(load_project(rf), shipped(rf))
    assert [b.name for b in np.bundles] == ["libo.so.1"]
    closure = np.resolved[0].closure
    assert closure is not None
    lk = next(lk for lk in closure.lookups if lk.name == "libo.so.1")
    assert lk.via == "LD_LIBRARY_PATH"  # before the RUNPATH, which was not reached
    # without the bundle, $ORIGIN/deps is where the native itself would have looked
    rf.write_text(HEAD + "native lib/orig.so -> lua\n")
    with pytest.raises(ConfigError) as exc:
        planned(rf)
    assert any("/usr/share/nginx/lua/deps" in n for n in exc.value.notes)


def test_a_32_bit_library_among_the_candidates_is_skipped(tmp_path: Path) -> None:
    lib(tmp_path / "vendor/lib32", "libdep.so.1", flags=["-m32"])
    dep = lib(tmp_path / "vendor/lib64", "libdep.so.1")
    lua_module(tmp_path / "lib", "mix", needs=[dep], calls=["libdep_fn"])
    rf = project(tmp_path, "native lib/mix.so -> lua { search vendor/lib32 vendor/lib64 }\n")
    np = plan_natives(load_project(rf), shipped(rf))
    assert [b.label for b in np.bundles] == ["vendor/lib64/libdep.so.1"]
    assert np.resolved[0].skipped == (("libdep.so.1", (
        "vendor/lib32/libdep.so.1 skipped: it is 32-bit i386, as ld.so would skip it",)),)
    # a 32-bit native is refused outright
    lua_module(tmp_path / "lib", "m32", flags=["-m32"])
    rf.write_text(HEAD + "native lib/m32.so -> lua\n")
    with pytest.raises(ConfigError, match=r"lib/m32.so is built for i386, but the base image "
                                          r"debian-bookworm:12-runtime runs x86_64"):
        planned(rf)


def test_musl_native_on_glibc_base_and_the_reverse(tmp_path: Path) -> None:
    cc(tmp_path / "lib/m.so", LIBC_USER, compiler="musl-gcc")
    rf = project(tmp_path, "native lib/m.so -> lua\n")
    with pytest.raises(ConfigError) as exc:
        planned(rf)
    assert exc.value.message == ("lib/m.so is linked against musl, but the base image "
                                 "debian-bookworm:12-runtime uses glibc")
    cc(tmp_path / "lib/g.so", LIBC_USER)
    rf.write_text("name app\nbase openresty 1.21.4.3 alpine\nnative lib/g.so -> lua\n")
    with pytest.raises(ConfigError) as exc:
        planned(rf)
    assert exc.value.message == ("lib/g.so is linked against glibc, but the base image "
                                 "openresty:1.21.4.3-alpine uses musl")
    assert exc.value.span is not None and exc.value.span.line == 3


def test_a_glibc_version_newer_than_the_base(tmp_path: Path) -> None:
    # pthread_create moved into libc in glibc 2.34: linking here needs GLIBC_2.34
    cc(tmp_path / "lib/t.so", "#include <pthread.h>\nstatic void *r(void *a){return a;}\n"
       "int t(void){pthread_t x; return pthread_create(&x, 0, r, 0);}\n")
    rf = project(tmp_path, "native lib/t.so -> lua\n",
                 "name app\nbase openresty 1.21.4.3 centos\n")
    with pytest.raises(ConfigError) as exc:
        planned(rf)
    assert exc.value.message == ("lib/t.so needs GLIBC_2.34, but the base image "
                                 "openresty:1.21.4.3-centos has glibc 2.28")


def test_a_library_version_the_provider_lacks(tmp_path: Path) -> None:
    script = tmp_path / "v.map"
    script.write_text("VER_1 { global: old_fn; local: *; };\nVER_2 { global: new_fn; } VER_1;\n")
    new = cc(tmp_path / "build/libv.so.1", "int old_fn(void){return 1;}\n"
             "int new_fn(void){return 2;}\n", soname="libv.so.1",
             flags=[f"-Wl,--version-script={script}"])
    cc(tmp_path / "lib/u.so", "int new_fn(void);\nint u(void){return new_fn();}\n", needs=[new])
    script.write_text("VER_1 { global: old_fn; local: *; };\n")
    cc(tmp_path / "vendor/libv.so.1", "int old_fn(void){return 1;}\n", soname="libv.so.1",
       flags=[f"-Wl,--version-script={script}"])
    rf = project(tmp_path, "native lib/u.so -> lua { search vendor }\n")
    with pytest.raises(ConfigError) as exc:
        planned(rf)
    assert exc.value.message == ("lib/u.so needs VER_2 from libv.so.1, which "
                                 "vendor/libv.so.1 does not define")


def test_glibc_version_check_against_the_index_itself(tmp_path: Path) -> None:
    cc(tmp_path / "lib/t.so", "#include <pthread.h>\nstatic void *r(void *a){return a;}\n"
       "int t(void){pthread_t x; return pthread_create(&x, 0, r, 0);}\n")
    rf = project(tmp_path, "native lib/t.so -> lua\n")
    p = load_project(rf)
    index = shipped_index(p)
    assert index is not None and index.libc_version == "2.36"
    assert check_natives(p, index) == ()
    # an index whose libc stops at 2.33: the closure's version check says so
    objects = tuple((path, dataclasses.replace(o, version_defs=tuple(
        v for v in o.version_defs if v not in ("GLIBC_2.34", "GLIBC_2.35", "GLIBC_2.36"))))
        if o is not None and o.soname == "libc.so.6" else (path, o) for path, o in index.objects)
    old = dataclasses.replace(index, objects=objects, libc_version="")
    f = check_natives(p, old)
    assert [(x.kind, x.message) for x in f] == [("glibc-too-old", (
        "lib/t.so needs GLIBC_2.34, but the base image debian-bookworm:12-runtime has glibc "
        "without that version"))]


def test_an_aarch64_native_on_x86_64(tmp_path: Path) -> None:
    set_machine(lua_module(tmp_path / "lib", "arm"), 183)
    rf = project(tmp_path, "native lib/arm.so -> lua\n")
    with pytest.raises(ConfigError) as exc:
        planned(rf)
    assert exc.value.message == ("lib/arm.so is built for aarch64, but the base image "
                                 "debian-bookworm:12-runtime runs x86_64")


def test_libraries_nginx_already_loaded_are_reused(tmp_path: Path) -> None:
    lua_module(tmp_path / "lib", "jit", needs=["-lluajit-5.1"])
    rf = project(tmp_path, "native lib/jit.so -> lua\n")
    np = plan_natives(load_project(rf), shipped(rf))
    closure = np.resolved[0].closure
    assert closure is not None and np.bundles == () and np.findings == ()
    lk = next(lk for lk in closure.lookups if lk.name == "libluajit-5.1.so.2")
    assert lk.via == "loaded"  # ngx_http_lua_module.so loaded it before any require


def test_lint_gets_every_finding_with_its_span(tmp_path: Path) -> None:
    lua_module(tmp_path / "lib", "a", needs=[lib(tmp_path / "x", "libx.so.1")], calls=["libx_fn"])
    cc(tmp_path / "lib/m.so", LIBC_USER, compiler="musl-gcc")
    (tmp_path / "lib/notelf.so").write_text("not an ELF file at all, just some text here\n" * 2)
    rf = project(tmp_path, "native lib/a.so -> lua\nnative lib/m.so -> lua\n"
                           "native lib/notelf.so -> lua\n")
    found = check_natives(load_project(rf), shipped(rf))
    assert [(f.kind, f.severity, f.span.line) for f in found] == [
        ("libc-mismatch", "error", 4), ("not-elf", "error", 5), ("missing-library", "error", 3)]
    assert kinds(rf)[0] == ("libc-mismatch", "error")


def test_without_an_index_search_folders_are_bundled_unchecked(tmp_path: Path) -> None:
    dep = lib(tmp_path / "vendor", "libdep.so.1")
    lua_module(tmp_path / "lib", "p", needs=[dep, "-lz"], calls=["libdep_fn"])
    rf = project(tmp_path, "native lib/p.so -> lua { search vendor }\n",
                 "name app\nbase openresty 1.21.4.3 bookworm\n")
    np = plan_natives(load_project(rf), shipped(rf))
    assert [b.name for b in np.bundles] == ["libdep.so.1"]
    assert np.resolved[0].assumed == ("libz.so.1", "libc.so.6")
    assert [(f.kind, f.severity) for f in np.findings] == [("no-index", "warning")]


def test_runtime_packages_make_a_missing_library_a_warning(tmp_path: Path) -> None:
    lua_module(tmp_path / "lib", "p", needs=[lib(tmp_path / "x", "libmaxminddb.so.0")],
               calls=["libmaxminddb_fn"])
    (tmp_path / "rocks").mkdir()
    rf = project(tmp_path, "native lib/p.so -> lua\nrocks -> luarocks {\n    server rocks\n"
                           "    system libmaxminddb-dev -> libmaxminddb0\n}\n")
    assert kinds(rf) == [("missing-library", "warning")]


def test_a_search_folder_symlink_leaving_the_project_is_refused(tmp_path: Path) -> None:
    outside = lib(tmp_path / "outside", "libdep.so.1")
    proj = tmp_path / "proj"
    lua_module(proj / "lib", "p", needs=[outside], calls=["libdep_fn"])
    (proj / "vendor").mkdir()
    (proj / "vendor/libdep.so.1").symlink_to(outside)
    rf = project(proj, "native lib/p.so -> lua { search vendor }\n")
    assert kinds(rf) == [("outside-project", "error"), ("missing-library", "error")]


def test_a_platform_runpath_is_reported_as_cpu_dependent(tmp_path: Path) -> None:
    """The image's CPU is unknown before it runs: `$PLATFORM` is never guessed."""
    dep = lib(tmp_path / "vendor", "libplat.so.1")
    # an RPATH comes before LD_LIBRARY_PATH (the bundle folder); a RUNPATH would not
    lua_module(tmp_path / "lib", "plat", needs=[dep], calls=["libplat_fn"],
               rpath=["/opt/plat/$PLATFORM"])
    rf = project(tmp_path, "native lib/plat.so -> lua { search vendor }\n")
    findings = check_natives(load_project(rf), shipped(rf))
    cpu = [f for f in findings if f.kind == "cpu-dependent"]
    assert len(cpu) == 1 and cpu[0].severity == "warning"
    assert cpu[0].message == ("which libplat.so.1 lib/plat.so loads depends on the CPU the "
                              "image runs on: the loader looks in /opt/plat/$PLATFORM first")
    assert any("haswell" in n for n in cpu[0].notes)
    # bundled from the search folder all the same
    assert [b.name for b in plan_natives(load_project(rf), shipped(rf)).bundles] == ["libplat.so.1"]
