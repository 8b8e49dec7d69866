"""The struct-based reader against pyelftools, and the cache, trusted-folder and index formats."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from restybuild import recipes
from restybuild.elf.host import host_env
from restybuild.elf.ldcache import (
    CacheEntry,
    cache_flags,
    musl_path,
    parse_ld_cache,
    trusted_dirs_from_ldso,
)
from restybuild.elf.libindex import LibraryIndex, glibc_version, load_snapshot
from restybuild.elf.reader import NotElf, parse_elf, read_elf, version_key
from restybuild.errors import ConfigError
from tests.test_elf_fixtures import LIBC_USER, cc, lib, lua_module


def pyelftools_facts(path: Path) -> dict[str, Any]:
    """The same facts, read through pyelftools' sections (the reference)."""
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerDefSection, GNUVerNeedSection

    with path.open("rb") as fh:
        elf = ELFFile(fh)
        out: dict[str, Any] = {"class": elf.elfclass, "le": elf.little_endian,
                               "needed": [], "soname": None, "rpath": [], "runpath": [],
                               "nodeflib": False, "needs": {}, "defs": [], "interp": None}
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_INTERP":
                out["interp"] = seg.get_interp_name()  # type: ignore[attr-defined]
        for sec in elf.iter_sections():
            if isinstance(sec, DynamicSection):
                for tag in sec.iter_tags():
                    t = tag.entry.d_tag
                    if t == "DT_NEEDED":
                        out["needed"].append(tag.needed)  # type: ignore[attr-defined]
                    elif t == "DT_SONAME":
                        out["soname"] = tag.soname  # type: ignore[attr-defined]
                    elif t == "DT_RPATH":
                        out["rpath"] += tag.rpath.split(":")  # type: ignore[attr-defined]
                    elif t == "DT_RUNPATH":
                        out["runpath"] += tag.runpath.split(":")  # type: ignore[attr-defined]
                    elif t == "DT_FLAGS_1":
                        out["nodeflib"] = bool(tag.entry.d_val & 0x800)
            elif isinstance(sec, GNUVerNeedSection):
                for verneed, auxes in sec.iter_versions():
                    out["needs"][verneed.name] = sorted(a.name for a in auxes)
            elif isinstance(sec, GNUVerDefSection):
                for verdef, auxes in sec.iter_versions():
                    if not verdef["vd_flags"] & 1:
                        out["defs"].append(next(iter(auxes)).name)
        out["machine"] = elf["e_machine"]
    return out


def mine(path: Path) -> dict[str, Any]:
    from elftools.elf.enums import ENUM_E_MACHINE

    o = read_elf(path)
    names = {v: k for k, v in ENUM_E_MACHINE.items()}
    return {"class": o.elf_class, "le": o.little_endian, "needed": list(o.needed),
            "soname": o.soname, "rpath": list(o.rpath), "runpath": list(o.runpath),
            "nodeflib": o.nodeflib, "interp": o.interp, "defs": list(o.version_defs),
            "needs": {n.file: sorted(n.versions + n.weak) for n in o.version_needs},
            "machine": names.get(o.machine)}


def fixtures(tmp: Path) -> list[Path]:
    dep = lib(tmp / "d", "libdep.so.1")
    return [
        dep,
        lib(tmp / "r", "libr.so.1", needs=[dep], rpath=["/opt/a", "$ORIGIN/x"]),
        lib(tmp / "u", "libu.so.1", needs=[dep], runpath=["/opt/b"], flags=["-Wl,-z,nodefaultlib"]),
        lib(tmp / "32", "lib32.so.1", flags=["-m32"]),
        cc(tmp / "m.so", LIBC_USER, compiler="musl-gcc"),
        lua_module(tmp, "mod", needs=[dep], calls=["libdep_fn"]),
        cc(tmp / "s.so", "int f(void){return 0;}\n", flags=["-Wl,--strip-all"]),
    ]


def test_reader_agrees_with_pyelftools_on_fixtures(tmp_path: Path) -> None:
    for path in fixtures(tmp_path):
        assert mine(path) == pyelftools_facts(path), path


def test_reader_agrees_with_pyelftools_on_host_libraries() -> None:
    env = host_env("")
    seen: set[str] = set()
    paths = [Path(env.rtld or "/lib64/ld-linux-x86-64.so.2")]
    for e in env.cache:
        if e.flags in cache_flags(62, 64) and e.name not in seen and len(paths) < 60:
            seen.add(e.name)
            paths.append(Path(e.path))
    for path in paths:
        assert mine(path) == pyelftools_facts(path), path


def test_not_elf_and_truncated_files_say_why(tmp_path: Path) -> None:
    with pytest.raises(NotElf, match="invalid ELF header"):
        parse_elf(b"INPUT(libc.so.6)" + b" " * 64, "x")
    with pytest.raises(NotElf, match="file too short"):
        parse_elf(b"\x7fELF\x02\x01\x01" + bytes(40), "x")
    good = lib(tmp_path / "d", "libdep.so.1").read_bytes()
    # a header without its program headers, or without its dynamic section: the defect,
    # in glibc's words where glibc has them, at the stage glibc meets it
    assert parse_elf(good[:200], "cut").defect == ("phdrs", "cannot read file data")
    cut = parse_elf(good[:4096], "cut")
    assert cut.defect is not None and cut.defect[0] == "dynamic" and cut.needed == ()
    assert (cut.elf_class, cut.machine, cut.e_type) == (64, 62, 3)


def test_version_key_orders_numerically() -> None:
    assert sorted(["GLIBC_2.9", "GLIBC_2.34", "GLIBC_2.2.5"], key=version_key) == [
        "GLIBC_2.2.5", "GLIBC_2.9", "GLIBC_2.34"]


def _new_cache(entries: list[tuple[int, str, str, int]]) -> bytes:
    strings = b""
    offsets = []
    base = 48 + 24 * len(entries)
    for _flags, key, value, _hw in entries:
        offsets.append((base + len(strings), base + len(strings) + len(key) + 1))
        strings += key.encode() + b"\0" + value.encode() + b"\0"
    head = b"glibc-ld.so.cache1.1" + struct.pack("<IIB3xI12x", len(entries), len(strings), 2, 0)
    body = b"".join(struct.pack("<iIIIQ", f, k, v, 0, hw)
                    for (f, _k, _v, hw), (k, v) in zip(entries, offsets))
    return head + body + strings


def test_ld_cache_formats() -> None:
    data = _new_cache([(0x303, "libz.so.1", "/lib/x/libz.so.1", 0),
                       (0x3, "libz.so.1", "/lib/i386/libz.so.1", 0)])
    assert parse_ld_cache(data) == (CacheEntry("libz.so.1", "/lib/x/libz.so.1", 0x303),
                                    CacheEntry("libz.so.1", "/lib/i386/libz.so.1", 0x3))
    # old format alone: offsets count from the end of the entries
    strings = b"libm.so.6\0/lib/libm.so.6\0"
    old = b"ld.so-1.7.0\0" + struct.pack("<I", 1) + struct.pack("<iII", 3, 0, 10) + strings
    assert parse_ld_cache(old) == (CacheEntry("libm.so.6", "/lib/libm.so.6", 3),)
    # the "compat" layout: old entries, then the new format
    compat = b"ld.so-1.7.0\0" + struct.pack("<I", 0) + data
    assert len(parse_ld_cache(compat)) == 2
    assert parse_ld_cache(b"garbage") == ()
    host = parse_ld_cache(Path("/etc/ld.so.cache").read_bytes())
    assert any(e.name == "libc.so.6" for e in host)


def test_trusted_dirs_are_read_from_ld_so() -> None:
    env = host_env("")
    assert env.rtld is not None
    dirs = trusted_dirs_from_ldso(Path(env.rtld).read_bytes())
    assert dirs == ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib")
    assert trusted_dirs_from_ldso(b"nothing here") == ()
    assert musl_path(None) == ("/lib", "/usr/local/lib", "/usr/lib")
    assert musl_path("/a:/b\n/c\n") == ("/a", "/b", "/c")


def test_every_shipped_snapshot_loads_and_knows_its_nginx() -> None:
    found = 0
    for name in recipes.available():
        recipe = recipes.load(name)
        for fl_name in recipe.flavors:
            fl = recipe.flavor(fl_name, None if recipe.default_version else
                               (recipe.versions[0] if recipe.versions else "1.21.4.3"))
            if not fl.library_index:
                continue
            found += 1
            index = load_snapshot(fl.library_index)
            assert index.libc == fl.libc and index.libc_version == fl.libc_version
            assert index.arch == fl.arch
            assert index.has(fl.nginx) and all(index.has(m) for m in fl.load_modules)
            assert "libc.so.6" in index.sonames()
            again = LibraryIndex.from_json(json.loads(index.dumps()))
            assert again == index
            assert glibc_version(dict(index.objects)) == fl.libc_version
    assert found >= 1


def test_library_index_key_is_checked(tmp_path: Path) -> None:
    bases = tmp_path / "bases"
    bases.mkdir()
    text = (Path(recipes.recipe_path("debian-bookworm"))).read_text()
    (bases / "debian-bookworm.toml").write_text(text)
    with pytest.raises(ConfigError, match="`library_index` must name a file below"):
        recipes.load_recipe_file(bases / "debian-bookworm.toml")
    (bases / "debian-bookworm.toml").write_text(
        text.replace('library_index = "indexes/', 'library_index = "../../etc/'))
    with pytest.raises(ConfigError, match="`library_index` must name a file below"):
        recipes.load_recipe_file(bases / "debian-bookworm.toml")
