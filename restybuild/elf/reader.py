"""The dynamic facts of one ELF file, read the way ld.so reads them, from any bytes.

ld.so never looks at section headers: it maps the program headers, walks the
``PT_DYNAMIC`` segment and follows its tags (``DT_STRTAB``, ``DT_VERNEED``,
``DT_VERDEF``...) through the ``PT_LOAD`` segments' address-to-offset mapping.
This reader does the same, so a stripped library (no section headers) reads
as the loader sees it. Where glibc keeps one value of a tag, the last entry
wins (``elf/get-dynamic-info.h``: ``info[tag] = dyn``), DT_RPATH and DT_RUNPATH
included; the version tables are followed through their ``vn_next``,
``vna_next`` and ``vd_next`` links until a zero one, as ``elf/dl-version.c``
does (the counts DT_VERNEEDNUM and ``vn_cnt`` are not what it reads).

It parses with :mod:`struct` rather than through pyelftools' ``ELFFile``:
building an ``ELFFile`` costs about 3.4 ms per file (its construct structs are
rebuilt for each file; measured on 443 libraries of a Debian 12 machine), which
alone is a third of what ``ldd`` needs per file. pyelftools remains the
reference: the tests check this reader against ``ELFFile`` field by field on
every fixture and on the host's libraries.

Any bytes give :class:`NotElf` (no ELF header: "file too short", "invalid ELF
header", glibc's words) or an :class:`ElfObject`, in time linear in the file's
size: every offset, size and count is checked against the file, a link that
loops is found, and a few limits no loadable library comes near (1,024
DT_NEEDED entries, 4,096 version records, 64 KiB per string, 1 MiB of strings)
end the reading. What cannot be read is the object's ``defect``, at the stage
glibc would meet it (:data:`~restybuild.elf.facts.DEFECT_STAGES`), so an
object of another machine is still skipped where glibc skips it.
"""

from __future__ import annotations

import mmap
import os
import struct

from restybuild.elf.facts import (
    DF_1_NODEFLIB,
    GLIBC_SONAMES,
    MACHINE_ALIASES,
    MACHINES,
    ElfObject,
    NotElf,
    VersionNeed,
    machine_name,
    machine_number,
    version_key,
)

__all__ = ["GLIBC_SONAMES", "MACHINES", "MACHINE_ALIASES", "ElfObject", "NotElf", "VersionNeed",
           "machine_name", "machine_number", "parse_elf", "read_elf", "version_key"]

ELFCLASS32, ELFCLASS64 = 1, 2
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
ET_EXEC, ET_DYN = 2, 3
DT_NULL, DT_NEEDED, DT_STRTAB, DT_SONAME, DT_RPATH, DT_RUNPATH = 0, 1, 5, 14, 15, 29
DT_FLAGS_1, DT_VERDEF, DT_VERNEED = 0x6FFFFFFB, 0x6FFFFFFC, 0x6FFFFFFE
VER_FLG_BASE, VER_FLG_WEAK = 0x1, 0x2
EHDR_SIZE = {ELFCLASS32: 52, ELFCLASS64: 64}
PHDR_SIZE = {ELFCLASS32: 32, ELFCLASS64: 56}
PAGE_SIZE = 4096  # the smallest page: an offset misaligned to it is misaligned to any
MAX_NEEDED = 1024
MAX_VERSION_RECORDS = 4096
MAX_STRING = 1 << 16
STRING_BUDGET = 1 << 20
PATH_MAX = 4096

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `restybuild deps` pays for every import
if TYPE_CHECKING:
    from typing import Any, Union

    Data = Union[bytes, bytearray, mmap.mmap]


class _Corrupt(Exception):
    """The dynamic section cannot be read; the message says why."""


def read_elf(path: str | os.PathLike[str], name: str | None = None) -> ElfObject:
    """Read the file at `path`; `name` is the path to record (default: `path`).

    Raises :class:`NotElf` for anything without an ELF header, and
    :class:`OSError` when the file cannot be read.
    """
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size < 4:
            raise NotElf("file too short")
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return parse_elf(mm, name or os.fspath(path))


def parse_elf(data: Data, path: str) -> ElfObject:
    """Parse the ELF image `data` (bytes or an mmap) recorded under `path`."""
    size = len(data)
    elf_class = data[4] if size > 4 else 0
    if size < EHDR_SIZE.get(elf_class, 64):  # glibc reads a whole ELF header first
        raise NotElf("file too short")
    if data[:4] != b"\x7fELF":
        raise NotElf("invalid ELF header")
    ident = bytes(data[:16])
    ei_data = ident[5]
    if elf_class not in EHDR_SIZE or ei_data not in (1, 2):
        return _stub(path, {ELFCLASS32: 32, ELFCLASS64: 64}.get(elf_class, 0), ei_data == 1,
                     ident)
    end = "<" if ei_data == 1 else ">"
    wide = elf_class == ELFCLASS64
    head = end + ("HHIQQQIHHH" if wide else "HHIIIIIHHH")
    e_type, machine, e_version, _entry, phoff, _shoff, _flags, _eh, phentsize, phnum = \
        struct.unpack_from(head, data, 16)
    plain = ident == b"\x7fELF" + bytes((elf_class, ei_data, 1)) + bytes(9)
    base: dict[str, Any] = dict(
        path=path, elf_class=32 if not wide else 64, little_endian=ei_data == 1,
        machine=machine, e_type=e_type, ident=b"" if plain else ident, e_version=e_version)
    if phentsize != PHDR_SIZE[elf_class]:
        return _empty(base, phentsize_ok=False)
    if phoff + phnum * phentsize > size:
        return _empty(base, defect=("phdrs", "cannot read file data"))
    ph_fmt = end + ("IIQQQQQQ" if wide else "IIIIIIII")
    loads: list[tuple[int, int, int]] = []  # vaddr, filesz, offset
    dyn: tuple[int, int] | None = None
    empty_dyn = False
    interp = None
    defect: tuple[str, str] | None = None
    for fields in struct.iter_unpack(ph_fmt, bytes(data[phoff:phoff + phnum * phentsize])):
        if wide:
            p_type, _pf, p_offset, p_vaddr, _pa, p_filesz = fields[:6]
        else:
            p_type, p_offset, p_vaddr, _pa, p_filesz = fields[:5]
        if p_type == PT_LOAD:
            if (p_vaddr - p_offset) & (PAGE_SIZE - 1) and defect is None:
                defect = ("segments", "ELF load command address/offset not page-aligned")
            loads.append((p_vaddr, p_filesz, p_offset))
        elif p_type == PT_DYNAMIC:
            if p_filesz == 0:
                empty_dyn = True  # separate debuginfo: glibc refuses it
            else:
                dyn = (p_offset, p_filesz)
        elif p_type == PT_INTERP:
            interp = _cstr(data, p_offset, PATH_MAX)
    base["interp"] = interp
    if not loads and defect is None:
        defect = ("segments", "object file has no loadable segments")
    if defect is None and (empty_dyn or (dyn is None and e_type == ET_DYN)):
        defect = ("nodyn", "object file has no dynamic section")
    if dyn is None or defect is not None:
        return _empty(base, defect=defect)
    try:
        return _dynamic(data, base, end, wide, loads, dyn)
    except _Corrupt as e:
        return _empty(base, defect=("dynamic", f"corrupt dynamic section: {e}"))


def _stub(path: str, elf_class: int, little_endian: bool, ident: bytes) -> ElfObject:
    """An object whose EI_CLASS or EI_DATA is neither of the two: only e_ident is known."""
    return _empty(dict(path=path, elf_class=elf_class, little_endian=little_endian, machine=0,
                       e_type=0, ident=ident, interp=None))


def _empty(base: dict[str, Any], **extra: Any) -> ElfObject:
    fields = dict(base)
    fields.setdefault("interp", None)
    fields.update(extra)
    return ElfObject(**fields, soname=None, needed=(), rpath=(), runpath=(), nodeflib=False,
                     version_needs=(), version_defs=(), dynamic=False)


def _dynamic(data: Data, base: dict[str, Any], end: str, wide: bool,
             loads: list[tuple[int, int, int]], dyn: tuple[int, int]) -> ElfObject:
    size = len(data)
    step = 16 if wide else 8
    start, length = dyn
    if start >= size:
        raise _Corrupt("PT_DYNAMIC lies outside the file")
    count = (min(start + length, size) - start) // step
    needed: list[int] = []
    single: dict[int, int] = {}
    for tag, val in struct.iter_unpack(end + ("qQ" if wide else "iI"),
                                       bytes(data[start:start + count * step])):
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            needed.append(val)
            if len(needed) > MAX_NEEDED:
                raise _Corrupt(f"more than {MAX_NEEDED} DT_NEEDED entries")
        else:
            single[tag] = val

    def to_offset(addr: int, what: str) -> int:
        for vaddr, filesz, offset in loads:
            if vaddr <= addr < vaddr + filesz:
                return addr - vaddr + offset
        if addr >= size:  # not in a segment: a file offset already (some odd linkers)
            raise _Corrupt(f"{what} {addr:#x} is outside the file")
        return addr

    uses_strings = needed or any(t in single for t in (DT_SONAME, DT_RPATH, DT_RUNPATH,
                                                       DT_VERNEED, DT_VERDEF))
    if uses_strings and DT_STRTAB not in single:
        raise _Corrupt("strings are named but there is no DT_STRTAB")
    strings = _Strings(data, to_offset(single[DT_STRTAB], "DT_STRTAB")
                       if DT_STRTAB in single else 0)
    string = strings.get
    rpath = tuple(string(single[DT_RPATH]).split(":")) if DT_RPATH in single else ()
    runpath = tuple(string(single[DT_RUNPATH]).split(":")) if DT_RUNPATH in single else ()
    records = _Records(data, end, wide)
    needs: list[VersionNeed] = []
    if DT_VERNEED in single:
        for file_i, auxes in records.chain(to_offset(single[DT_VERNEED], "DT_VERNEED"),
                                           "HHIII", 2, 3, 4, "vn_next"):
            names: list[str] = []
            weak: list[str] = []
            for flags, name_i in auxes("IHHII", (1, 3), 4, "vna_next"):
                (weak if flags & VER_FLG_WEAK else names).append(string(name_i))
            needs.append(VersionNeed(string(file_i), tuple(names), tuple(weak)))
    defs: list[str] = []
    if DT_VERDEF in single:
        for flags, auxes in records.chain(to_offset(single[DT_VERDEF], "DT_VERDEF"),
                                          "HHHHIII", 1, 5, 6, "vd_next"):
            first = next(iter(auxes("II", (0,), 1, "vda_next", limit=1)), None)
            if not flags & VER_FLG_BASE and first is not None:
                defs.append(string(first[0]))
    flags_1 = single.get(DT_FLAGS_1, 0)
    return ElfObject(**base, soname=string(single[DT_SONAME]) if DT_SONAME in single else None,
                     needed=tuple(string(v) for v in needed), rpath=rpath, runpath=runpath,
                     nodeflib=bool(flags_1 & DF_1_NODEFLIB), version_needs=tuple(needs),
                     version_defs=tuple(defs), flags_1=flags_1)


class _Strings:
    """NUL-terminated strings of one table, each read once, within a budget."""

    def __init__(self, data: Data, base: int) -> None:
        self.data = data
        self.base = base
        self.memo: dict[int, str] = {}
        self.spent = 0

    def get(self, index: int) -> str:
        off = self.base + index
        got = self.memo.get(off)
        if got is not None:
            return got
        size = len(self.data)
        if off >= size:
            raise _Corrupt(f"a string at {off:#x} is outside the file")
        stop = self.data.find(b"\0", off, min(size, off + MAX_STRING + 1))
        if stop < 0:
            raise _Corrupt(f"the string at {off:#x} is unterminated or longer than 64 KiB")
        self.spent += stop - off
        if self.spent > STRING_BUDGET:
            raise _Corrupt("more than 1 MiB of strings")
        got = bytes(self.data[off:stop]).decode("utf-8", "surrogateescape")
        self.memo[off] = got
        return got


class _Records:
    """Linked version records (Verneed/Vernaux, Verdef/Verdaux), as glibc walks them.

    A link is added to the record's address; a 32-bit loader's addition wraps, so a
    link can point backwards there and loop, which is found rather than followed.
    """

    def __init__(self, data: Data, end: str, wide: bool) -> None:
        self.data = data
        self.end = end
        self.wide = wide
        self.count = 0

    def _walk(self, pos: int, fmt: str, link: int, what: str,
              limit: int = 0) -> Any:
        size = len(self.data)
        rec = struct.calcsize(self.end + fmt)
        seen: set[int] = set()
        while True:
            self.count += 1
            if self.count > MAX_VERSION_RECORDS:
                raise _Corrupt(f"more than {MAX_VERSION_RECORDS} version records")
            if pos in seen:
                raise _Corrupt(f"{what} links loop")
            seen.add(pos)
            if pos < 0 or pos + rec > size:
                raise _Corrupt(f"a version record at {pos:#x} is outside the file")
            fields = struct.unpack_from(self.end + fmt, self.data, pos)
            yield pos, fields
            step = fields[link]
            if not step or len(seen) == limit:
                return
            if not self.wide and step >= 1 << 31:
                step -= 1 << 32
            pos += step

    def chain(self, pos: int, fmt: str, key: int, aux: int, link: int, what: str) -> Any:
        """(field `key`, auxes) of each record from `pos`; auxes(fmt, keys, link, what)
        walks that record's aux records (their offset is field `aux`)."""
        for at, fields in self._walk(pos, fmt, link, what):
            def auxes(afmt: str, keys: tuple[int, ...], alink: int, awhat: str,
                      limit: int = 0, base: int = at + fields[aux]) -> Any:
                for _p, af in self._walk(base, afmt, alink, awhat, limit):
                    yield tuple(af[k] for k in keys)
            yield fields[key], auxes


def _cstr(data: Data, offset: int, limit: int) -> str | None:
    """The NUL-terminated string at `offset`, None when there is none within `limit` bytes."""
    if offset >= len(data):
        return None
    stop = data.find(b"\0", offset, min(len(data), offset + limit))
    if stop < 0:
        return None
    return bytes(data[offset:stop]).decode("utf-8", "surrogateescape")
