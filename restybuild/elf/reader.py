"""The dynamic facts of one ELF file, read the way ld.so reads them.

ld.so never looks at section headers: it maps the program headers, walks the
``PT_DYNAMIC`` segment and follows its tags (``DT_STRTAB``, ``DT_VERNEED``,
``DT_VERDEF``...) through the ``PT_LOAD`` segments' address-to-offset mapping.
This reader does the same, so a stripped library (no section headers) reads
as the loader sees it.

It parses with :mod:`struct` rather than through pyelftools' ``ELFFile``:
building an ``ELFFile`` costs about 3.4 ms per file (its construct structs are
rebuilt for each file; measured on 443 libraries of a Debian 12 machine), which
alone is a third of what ``ldd`` needs per file. pyelftools remains the
reference: its tables name machines, and the tests check this reader against
``ELFFile`` field by field on every fixture and on the host's libraries.
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from typing import Any, Union

ELFCLASS32, ELFCLASS64 = 1, 2
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SONAME, DT_RPATH, DT_RUNPATH = 0, 1, 5, 10, 14, 15, 29
DT_FLAGS_1, DT_VERDEF, DT_VERDEFNUM = 0x6FFFFFFB, 0x6FFFFFFC, 0x6FFFFFFD
DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
DF_1_NODEFLIB = 0x800
VER_FLG_BASE, VER_FLG_WEAK = 0x1, 0x2

#: e_machine -> the name distributions and `uname -m` use.
MACHINES = {
    2: "sparc", 3: "i386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm",
    43: "sparc64", 62: "x86_64", 183: "aarch64", 243: "riscv64", 258: "loongarch64",
}
MACHINE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64", "i686": "i386", "x86": "i386",
                   "armhf": "arm", "armv7": "arm", "ppc64le": "ppc64"}

#: sonames only glibc ships: a needer of one of them is a glibc object.
GLIBC_SONAMES = frozenset({
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
    "libresolv.so.2", "libanl.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
    "ld-linux.so.2", "ld-linux-armhf.so.3", "ld64.so.1", "ld64.so.2", "ld-linux-riscv64-lp64d.so.1",
})

Data = Union[bytes, mmap.mmap]


class NotElf(Exception):
    """The file is not an ELF object (or is truncated); the message says why."""


@dataclass(frozen=True)
class VersionNeed:
    """Versions an object needs from the object it loads under DT_NEEDED name `file`."""

    file: str
    versions: tuple[str, ...]
    weak: tuple[str, ...] = ()  # VER_FLG_WEAK: a missing one is only a warning


@dataclass(frozen=True)
class ElfObject:
    """What the dynamic loader reads from one ELF file."""

    path: str
    elf_class: int  # 32 or 64
    little_endian: bool
    machine: int  # e_machine
    e_type: int  # 2 ET_EXEC, 3 ET_DYN
    interp: str | None  # PT_INTERP
    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]  # DT_RPATH entries, tokens ($ORIGIN...) not expanded
    runpath: tuple[str, ...]  # DT_RUNPATH entries, idem
    nodeflib: bool  # DF_1_NODEFLIB
    version_needs: tuple[VersionNeed, ...]
    version_defs: tuple[str, ...]  # .gnu.version_d names, without the base entry
    dynamic: bool = True  # has a PT_DYNAMIC segment

    @property
    def has_runpath(self) -> bool:
        return bool(self.runpath)

    @property
    def machine_name(self) -> str:
        return machine_name(self.machine)

    @property
    def kind(self) -> str:
        """``64-bit x86_64`` and the like."""
        return f"{self.elf_class}-bit{'' if self.little_endian else ' big-endian'} " \
               f"{self.machine_name}"

    @property
    def libc(self) -> str | None:
        """``glibc``, ``musl``, or None when the object names no libc."""
        if self.interp and "ld-musl-" in self.interp:
            return "musl"
        if "libc.so" in self.needed:
            return "musl"
        if self.interp and "ld-linux" in self.interp:
            return "glibc"
        if any(n in GLIBC_SONAMES for n in self.needed):
            return "glibc"
        if any(v.startswith("GLIBC_") for need in self.version_needs for v in need.versions):
            return "glibc"
        return None

    def glibc_needs(self) -> tuple[str, ...]:
        """The ``GLIBC_x.y`` versions this object needs, newest last."""
        found = {v for need in self.version_needs for v in need.versions
                 if v.startswith("GLIBC_") and v[6:7].isdigit()}
        return tuple(sorted(found, key=version_key))

    def same_abi(self, other: ElfObject) -> bool:
        return (self.elf_class, self.little_endian, self.machine) == (
            other.elf_class, other.little_endian, other.machine)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "class": self.elf_class, "le": self.little_endian, "machine": self.machine,
            "type": self.e_type,
        }
        for key, value in (("interp", self.interp), ("soname", self.soname)):
            if value:
                out[key] = value
        for key, seq in (("needed", self.needed), ("rpath", self.rpath),
                         ("runpath", self.runpath), ("defs", self.version_defs)):
            if seq:
                out[key] = list(seq)
        if self.nodeflib:
            out["nodeflib"] = True
        if self.version_needs:
            out["needs"] = [[n.file, list(n.versions), list(n.weak)] for n in self.version_needs]
        if not self.dynamic:
            out["static"] = True
        return out

    @classmethod
    def from_json(cls, path: str, d: dict[str, Any]) -> ElfObject:
        return cls(
            path=path, elf_class=d["class"], little_endian=d["le"], machine=d["machine"],
            e_type=d.get("type", 3), interp=d.get("interp"), soname=d.get("soname"),
            needed=tuple(d.get("needed", ())), rpath=tuple(d.get("rpath", ())),
            runpath=tuple(d.get("runpath", ())), nodeflib=bool(d.get("nodeflib")),
            version_needs=tuple(VersionNeed(f, tuple(v), tuple(w))
                                for f, v, w in d.get("needs", ())),
            version_defs=tuple(d.get("defs", ())), dynamic=not d.get("static"),
        )


def machine_name(machine: int) -> str:
    if machine in MACHINES:
        return MACHINES[machine]
    from elftools.elf.enums import ENUM_E_MACHINE

    for name, value in ENUM_E_MACHINE.items():
        if value == machine and name.startswith("EM_"):
            return name[3:].lower()
    return f"machine {machine}"


def machine_number(name: str) -> int | None:
    """The e_machine of an architecture name (``x86_64``, ``amd64``, ``aarch64``...)."""
    name = MACHINE_ALIASES.get(name.lower(), name.lower())
    for number, known in MACHINES.items():
        if known == name:
            return number
    return None


def version_key(version: str) -> tuple[int, ...]:
    """``GLIBC_2.34`` -> (2, 34): numeric parts of a version name, for ordering."""
    digits = version.split("_", 1)[-1]
    out = []
    for part in digits.split("."):
        num = "".join(ch for ch in part if ch.isdigit())
        out.append(int(num) if num else 0)
    return tuple(out)


def read_elf(path: str | os.PathLike[str], name: str | None = None) -> ElfObject:
    """Read the file at `path`; `name` is the path to record (default: `path`).

    Raises :class:`NotElf` for anything that is not an ELF object, and
    :class:`OSError` when the file cannot be read.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < 16:
            raise NotElf("file too short")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return parse_elf(mm, name or os.fspath(path))


def parse_elf(data: Data, path: str) -> ElfObject:
    """Parse the ELF image `data` (bytes or an mmap) recorded under `path`."""
    if data[:4] != b"\x7fELF":
        raise NotElf("invalid ELF header")
    elf_class, ei_data = data[4], data[5]
    if elf_class not in (ELFCLASS32, ELFCLASS64) or ei_data not in (1, 2):
        raise NotElf("invalid ELF class or data encoding")
    end = "<" if ei_data == 1 else ">"
    wide = elf_class == ELFCLASS64
    try:
        if wide:
            (e_type, machine, _v, _entry, phoff, _shoff, _flags, _eh, phentsize, phnum,
             ) = struct.unpack_from(end + "HHIQQQIHHH", data, 16)
            ph_fmt = end + "IIQQQQQQ"
        else:
            (e_type, machine, _v, _entry, phoff, _shoff, _flags, _eh, phentsize, phnum,
             ) = struct.unpack_from(end + "HHIIIIIHHH", data, 16)
            ph_fmt = end + "IIIIIIII"
        loads: list[tuple[int, int, int]] = []  # vaddr, filesz, offset
        dyn: tuple[int, int] | None = None
        interp = None
        for i in range(phnum):
            fields = struct.unpack_from(ph_fmt, data, phoff + i * phentsize)
            if wide:
                p_type, _pf, p_offset, p_vaddr, _pa, p_filesz = fields[:6]
            else:
                p_type, p_offset, p_vaddr, _pa, p_filesz = fields[:5]
            if p_type == PT_LOAD:
                loads.append((p_vaddr, p_filesz, p_offset))
            elif p_type == PT_DYNAMIC:
                dyn = (p_offset, p_filesz)
            elif p_type == PT_INTERP:
                interp = _cstr(data, p_offset)
    except struct.error:
        raise NotElf("truncated ELF headers") from None
    base = dict(path=path, elf_class=32 if not wide else 64, little_endian=ei_data == 1,
                machine=machine, e_type=e_type, interp=interp)
    if dyn is None:
        return ElfObject(**base, soname=None, needed=(), rpath=(), runpath=(),
                         nodeflib=False, version_needs=(), version_defs=(), dynamic=False)
    try:
        return _dynamic(data, base, end, wide, loads, dyn)
    except (struct.error, IndexError, ValueError):
        raise NotElf("truncated or corrupt dynamic section") from None


def _dynamic(data: Data, base: dict[str, Any], end: str, wide: bool,
             loads: list[tuple[int, int, int]], dyn: tuple[int, int]) -> ElfObject:
    fmt = end + ("qQ" if wide else "iI")
    step = 16 if wide else 8
    tags: list[tuple[int, int]] = []
    off, stop = dyn[0], dyn[0] + dyn[1]
    while off + step <= stop:
        tag, val = struct.unpack_from(fmt, data, off)
        if tag == DT_NULL:
            break
        tags.append((tag, val))
        off += step

    def to_offset(addr: int) -> int:
        for vaddr, filesz, offset in loads:
            if vaddr <= addr < vaddr + filesz:
                return addr - vaddr + offset
        return addr  # not in a segment: a file offset already (some odd linkers)

    single = {t: v for t, v in tags}
    strtab = to_offset(single[DT_STRTAB]) if DT_STRTAB in single else 0

    def string(index: int) -> str:
        return _cstr(data, strtab + index)

    needed = tuple(string(v) for t, v in tags if t == DT_NEEDED)
    rpath = tuple(p for t, v in tags if t == DT_RPATH for p in string(v).split(":"))
    runpath = tuple(p for t, v in tags if t == DT_RUNPATH for p in string(v).split(":"))
    soname = string(single[DT_SONAME]) if DT_SONAME in single else None
    needs: list[VersionNeed] = []
    if DT_VERNEED in single:
        pos = to_offset(single[DT_VERNEED])
        for _ in range(single.get(DT_VERNEEDNUM, 0)):
            _ver, cnt, file_i, aux, nxt = struct.unpack_from(end + "HHIII", data, pos)
            names: list[str] = []
            weak: list[str] = []
            apos = pos + aux
            for _ in range(cnt):
                _hash, flags, _other, name_i, anext = struct.unpack_from(end + "IHHII", data, apos)
                (weak if flags & VER_FLG_WEAK else names).append(string(name_i))
                apos += anext
            needs.append(VersionNeed(string(file_i), tuple(names), tuple(weak)))
            if not nxt:
                break
            pos += nxt
    defs: list[str] = []
    if DT_VERDEF in single:
        pos = to_offset(single[DT_VERDEF])
        for _ in range(single.get(DT_VERDEFNUM, 0)):
            _ver, flags, _ndx, cnt, _hash, aux, nxt = struct.unpack_from(end + "HHHHIII", data,
                                                                         pos)
            if cnt and not flags & VER_FLG_BASE:
                (name_i,) = struct.unpack_from(end + "I", data, pos + aux)
                defs.append(string(name_i))
            if not nxt:
                break
            pos += nxt
    return ElfObject(**base, soname=soname, needed=needed, rpath=rpath, runpath=runpath,
                     nodeflib=bool(single.get(DT_FLAGS_1, 0) & DF_1_NODEFLIB),
                     version_needs=tuple(needs), version_defs=tuple(defs))


def _cstr(data: Data, offset: int) -> str:
    stop = data.find(b"\0", offset)
    if stop < 0:
        raise ValueError("unterminated string")
    return bytes(data[offset:stop]).decode("utf-8", "surrogateescape")
