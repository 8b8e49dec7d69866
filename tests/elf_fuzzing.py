"""Mutants of real ELF files, shared by tests/test_elf_fuzz.py and bench/bench_elf_fuzz.py.

:func:`seeds` reads a few libraries of this machine and of a folder of test
fixtures (where each one's headers, dynamic section and version tables are,
found with pyelftools); :func:`mutate` changes a copy: random bytes, a
truncation, huge or small values in the ELF header, a program header, a
dynamic entry, a version table, a relocation or a data word (where nginx's
command arrays are), or a crafted version table that loops or runs for
megabytes. :func:`check` runs one mutant through the reader and the nginx
directive reader (:mod:`restybuild.elf.ngxcmds`, on bytes; both say NotElf of
the same bytes), then through the reader on a file and the loader model (a
dependency found by RUNPATH, by a path, in an LD_LIBRARY_PATH folder,
``dlopen``'d, loaded as the program, found by musl, and a ``--search`` folder
candidate); every exception but :class:`~restybuild.elf.reader.NotElf` from the
readers, and any from the loader, is an internal error.
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Hashable
from dataclasses import dataclass, replace
from pathlib import Path

from restybuild.elf.bundle import SearchDir, find_in_search
from restybuild.elf.facts import ElfObject
from restybuild.elf.fs import HostFS
from restybuild.elf.loader import Loader, LoaderEnv
from restybuild.elf.ngxcmds import commands
from restybuild.elf.reader import NotElf, parse_elf

HOST_LIBS = ("libz.so.1", "libgcc_s.so.1", "libresolv.so.2", "libdl.so.2", "libffi.so.8",
             "libexpat.so.1")
HOST_DIR = Path("/usr/lib/x86_64-linux-gnu")
TAGS = (0, 1, 5, 10, 14, 15, 29, 0x6FFFFFFB, 0x6FFFFFFC, 0x6FFFFFFD, 0x6FFFFFFE, 0x6FFFFFFF)
CRAFTED_SIZE = 3 << 20


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes
    end: str  # struct byte order
    wide: bool
    phoff: int
    phnum: int
    dynamic: tuple[int, int] | None  # offset, size
    versions: tuple[tuple[int, int], ...]  # offset, size of .gnu.version_r and _d
    words: tuple[tuple[int, int], ...] = ()  # offset, size of .rela.dyn, .rel.dyn, .data*


def seed(path: Path) -> Seed:
    from elftools.elf.elffile import ELFFile

    data = path.read_bytes()
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        dyn = next(((s["p_offset"], s["p_filesz"]) for s in elf.iter_segments()
                    if s["p_type"] == "PT_DYNAMIC"), None)
        versions = tuple((s["sh_offset"], s["sh_size"]) for s in elf.iter_sections()
                         if s.name in (".gnu.version_r", ".gnu.version_d"))
        words = tuple((s["sh_offset"], s["sh_size"]) for s in elf.iter_sections()
                      if s.name in (".rela.dyn", ".rel.dyn", ".data", ".data.rel.ro")
                      and s["sh_size"] and s["sh_type"] != "SHT_NOBITS")
        return Seed(path.name, data, "<" if elf.little_endian else ">", elf.elfclass == 64,
                    elf["e_phoff"], elf["e_phnum"], dyn, versions, words)


def seeds(fixtures: Path | None = None) -> list[Seed]:
    """This machine's libraries of HOST_LIBS, then every ``*.so*`` file of `fixtures`."""
    paths = [HOST_DIR / n for n in HOST_LIBS if (HOST_DIR / n).is_file()]
    if fixtures is not None:
        paths += sorted(p for p in fixtures.rglob("*.so*") if p.is_file() and not p.is_symlink())
    return [seed(p) for p in paths]


def build_fixtures(folder: Path) -> Path:
    """Versioned, RPATH, RUNPATH+NODEFLIB, 32-bit and musl libraries (gcc, musl-gcc), and
    nginx-module-shaped ones (64- and 32-bit)."""
    from tests.test_elf_fixtures import LIBC_USER, cc, lib
    from tests.test_elf_ngxcmds import SOURCE

    script = folder / "v.map"
    folder.mkdir(parents=True, exist_ok=True)
    script.write_text("V_1 { global: a; local: *; };\nV_2 { global: b; } V_1;\n")
    dep = cc(folder / "d" / "libv.so.1", "int a(void){return 1;}\nint b(void){return 2;}\n",
             soname="libv.so.1", flags=[f"-Wl,--version-script={script}"])
    cc(folder / "u" / "libuser.so.1", "int b(void);\nint u(void){return b();}\n" + LIBC_USER,
       needs=[dep], soname="libuser.so.1", rpath=["/opt/a", "$ORIGIN/x"])
    lib(folder / "r", "librun.so.1", needs=[dep], runpath=["/opt/b"],
        flags=["-Wl,-z,nodefaultlib"])
    lib(folder / "32", "lib32.so.1", flags=["-m32"])
    cc(folder / "m" / "libm.so", LIBC_USER, compiler="musl-gcc")
    cc(folder / "n" / "libngx.so", SOURCE)
    cc(folder / "n" / "lib32ngx.so", SOURCE, flags=["-m32"])
    script.unlink()
    return folder


_VALUES = (0, 1, 2, 7, 8, 16, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF,
           0x80000000, 0xFFFFFFFF, (1 << 63) - 1, 1 << 63, (1 << 64) - 1)


def _value(rng: random.Random, data: bytearray, width: int) -> int:
    pick = rng.random()
    if pick < 0.6:
        v = rng.choice(_VALUES)
    elif pick < 0.8:
        v = len(data) + rng.randint(-64, 64)
    else:
        v = rng.getrandbits(width * 8)
    return v % (1 << (width * 8))


def _put(data: bytearray, end: str, off: int, width: int, value: int) -> None:
    if off >= 0 and off + width <= len(data):
        struct.pack_into(end + {1: "B", 2: "H", 4: "I", 8: "Q"}[width], data, off,
                         value % (1 << (8 * width)))


def _flip(rng: random.Random, data: bytearray, s: Seed) -> bytearray:
    top = len(data) if rng.random() < 0.5 else min(len(data), 4096)
    for _ in range(rng.randint(1, 8)):
        if top:
            data[rng.randrange(top)] = rng.randrange(256)
    return data


def _truncate(rng: random.Random, data: bytearray, s: Seed) -> bytearray:
    return data[:rng.randrange(rng.choice((64, 4096, len(data) or 1)))]


def _header(rng: random.Random, data: bytearray, s: Seed) -> bytearray:
    w = 8 if s.wide else 4
    fields = [(4, 1), (5, 1), (6, 1), (7, 1), (8, 1), (rng.randint(9, 15), 1), (16, 2),
              (18, 2), (20, 4), (24 + w, w), (42 + 3 * (w - 4), 2), (44 + 3 * (w - 4), 2)]
    off, width = rng.choice(fields)
    _put(data, s.end, off, width, _value(rng, data, width))
    return data


def _phdr(rng: random.Random, data: bytearray, s: Seed) -> bytearray:
    if not s.phnum:
        return data
    w = 8 if s.wide else 4
    at = s.phoff + rng.randrange(s.phnum) * (56 if s.wide else 32)
    # p_type, then p_offset, p_vaddr, p_filesz (64-bit: after p_flags)
    fields = [(0, 4)] + [((8 if s.wide else 4) + i * w, w) for i in (0, 1, 3, 4)]
    off, width = rng.choice(fields)
    _put(data, s.end, at + off, width, rng.choice((1, 2, 3)) if off == 0 and
         rng.random() < 0.5 else _value(rng, data, width))
    return data


def _dynamic(rng: random.Random, data: bytearray, s: Seed) -> bytearray:
    if s.dynamic is None:
        return data
    step = 16 if s.wide else 8
    at = s.dynamic[0] + rng.randrange(max(1, s.dynamic[1] // step)) * step
    if rng.random() < 0.5:
        _put(data, s.end, at, step // 2, rng.choice(TAGS))
    _put(data, s.end, at + step // 2, step // 2, _value(rng, data, step // 2))
    return data


def _versions(rng: random.Random, data: bytearray, s: Seed) -> bytearray:
    if not s.versions:
        return data
    off, size = rng.choice(s.versions)
    for _ in range(rng.randint(1, 4)):
        width = rng.choice((2, 4))
        at = off + rng.randrange(max(1, size // width)) * width
        _put(data, s.end, at, width, rng.choice((0, 1, 4, 8, 16, 20, 0xFFF0, 0xFFFFFFF0,
                                                 0xFFFFFFFF)) if rng.random() < 0.6
             else _value(rng, data, width))
    return data


def crafted(s: Seed, loop: bool = False) -> bytes:
    """`s` with DT_VERNEED pointing at an appended 3 MB table of Verneed records, each
    claiming 65,535 aux records (``vn_cnt``) whose chain runs to the end (glibc walks
    it in quadratic time), and DT_VERNEEDNUM 2**32-1; or whose links loop (a 32-bit
    loader's addition wraps)."""
    data = bytearray(s.data)
    if s.dynamic is None:
        return bytes(data)
    step = 16 if s.wide else 8
    start = len(data)
    rec = struct.pack(s.end + "HHIII", 1, 0xFFFF, 0, 16, 0xFFFFFFF0 if loop else 16)
    data += rec * (CRAFTED_SIZE // 16)
    placed = False
    for at in range(s.dynamic[0], s.dynamic[0] + s.dynamic[1] - step, step):
        (tag,) = struct.unpack_from(s.end + ("q" if s.wide else "i"), data, at)
        if tag == 0x6FFFFFFF:  # DT_VERNEEDNUM
            _put(data, s.end, at + step // 2, step // 2, 0xFFFFFFFF)
        elif tag == 0x6FFFFFFE or (tag == 0 and not placed):  # DT_VERNEED, or a DT_NULL
            _put(data, s.end, at, step // 2, 0x6FFFFFFE)
            _put(data, s.end, at + step // 2, step // 2, start + (16 if loop else 0))
            placed = True
        if tag == 0 and placed:
            break
    return bytes(data)


def _words(rng: random.Random, data: bytearray, s: Seed) -> bytearray:
    if not s.words:
        return data
    off, size = rng.choice(s.words)
    width = 8 if s.wide else 4
    for _ in range(rng.randint(1, 4)):
        at = off + rng.randrange(max(1, size // width)) * width
        _put(data, s.end, at, width, rng.choice((0, 1, 8, 64, 65, 0x50545448, 0xFF000002))
             if rng.random() < 0.4 else _value(rng, data, width))
    return data


MUTATIONS = (_flip, _truncate, _header, _phdr, _dynamic, _versions, _words)


def mutate(rng: random.Random, s: Seed) -> bytes:
    """One mutant of `s`: one to three mutations; now and then a crafted version table."""
    if rng.random() < 0.002:
        return crafted(s, loop=rng.random() < 0.5)
    data = bytearray(s.data)
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(MUTATIONS)(rng, data, s)
    return bytes(data)


class _FuzzFS(HostFS):
    """The folder `root` as the root, with synthetic programs that need the mutant."""

    def __init__(self, root: str, programs: dict[str, ElfObject]) -> None:
        super().__init__(root)
        self.programs = programs

    def identity(self, path: str) -> Hashable | None:
        return ("program", path) if path in self.programs else super().identity(path)

    def read(self, path: str) -> ElfObject:
        return self.programs[path] if path in self.programs else super().read(path)


_APP = ElfObject(path="/app/libapp.so", elf_class=64, little_endian=True, machine=62, e_type=3,
                 interp=None, soname="libapp.so", needed=("libfuzz.so.1", "/fuzz/libfuzz.so.1"),
                 rpath=(), runpath=("/fuzz",), nodeflib=False, version_needs=(),
                 version_defs=())


def check(data: bytes, root: Path, abi: tuple[int, bool, int] = (64, True, 62),
          ) -> tuple[BaseException | None, float, float]:
    """(internal error or None, reader seconds, loader seconds) for one mutant."""
    start = time.perf_counter()
    try:
        parse_elf(data, "/fuzz/libfuzz.so.1")
        elf = True
    except NotElf:
        elf = False
    except Exception as e:  # what a user would see as "internal error"
        return e, time.perf_counter() - start, 0.0
    try:
        commands(data)
        if not elf:
            raise AssertionError("the directive reader read what the reader calls not ELF")
    except NotElf:
        if elf:
            return AssertionError("the directive reader calls ELF bytes not ELF"), 0.0, 0.0
    except Exception as e:
        return e, time.perf_counter() - start, 0.0
    read_s = time.perf_counter() - start
    folder = root / "fuzz"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "libfuzz.so.1").write_bytes(data)
    start = time.perf_counter()
    try:
        _load(root, folder, abi, elf)
    except Exception as e:
        return e, read_s, time.perf_counter() - start
    return None, read_s, time.perf_counter() - start


def _load(root: Path, folder: Path, abi: tuple[int, bool, int], elf: bool) -> None:
    app = replace(_APP, elf_class=abi[0], little_endian=abi[1], machine=abi[2])
    fs = _FuzzFS(str(root), {"/app/libapp.so": app, "/app/libplain.so": replace(
        app, path="/app/libplain.so", needed=("libfuzz.so.1",), runpath=())})
    objects: dict[Hashable, ElfObject | str] = {}  # the file is read once, through mmap
    glibc = Loader(LoaderEnv(libc="glibc", trusted_dirs=("/lib",), ld_library_path=("/fuzz",)),
                   fs, objects)
    _ident, got = glibc.object("/fuzz/libfuzz.so.1")
    if elf and isinstance(got, str):
        raise AssertionError(f"read as bytes, but not from the file: {got}")
    glibc.session().load_main("/app/libapp.so")  # by RUNPATH, then by its path
    glibc.session().load_main("/app/libplain.so")  # in an LD_LIBRARY_PATH folder
    Loader(LoaderEnv(libc="musl", musl_path=("/fuzz",)), fs, objects).session().load_main(
        "/app/libplain.so")
    find_in_search([SearchDir("fuzz", str(folder))], "libfuzz.so.1", abi)
    for load in (glibc.session(abi).dlopen, glibc.session().load_main):
        try:
            load("/fuzz/libfuzz.so.1")
        except FileNotFoundError:  # a root that is not ELF: the Session's contract
            if elf:
                raise
