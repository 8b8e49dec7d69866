"""Whether a loader takes a file it opened: glibc's ``open_verify`` and ``_dl_map_object_from_fd``.

glibc (``elf/dl-load.c``) checks a candidate twice, in this order.

``open_verify``, while it searches, on the ELF header:

1. ``e_ident`` must be the expected one (``VALID_ELF_HEADER``; Linux accepts
   EI_OSABI SYSV or GNU, ``sysdeps/gnu/ldsodefs.h``). If it is not: a file of
   the other EI_CLASS is skipped ("not a fatal error": the search goes on);
   otherwise the first of "ELF file data encoding not little-endian", "ELF
   file version ident does not match current one", "ELF file OS ABI invalid"
   (FreeBSD's, say), "ELF file ABI version invalid" (not 0, or not below
   ``LIBC_ABI_MAX`` with the GNU OS ABI: 4 on glibc 2.36, measured on x86-64)
   and "nonzero padding in e_ident" ends the search;
2. "ELF file version does not match current one" (``e_version``);
3. a file of another machine is skipped (``elf_machine_matches_host``);
4. "only ET_DYN and ET_EXEC can be loaded"; "ELF file's phentsize not the
   expected size"; "cannot read file data" (program headers past the end).

Errors name the file. Then ``_dl_map_object_from_fd``, once the file is
taken and no loaded object is the same file, fails naming the name asked
for: "ELF load command address/offset not page-aligned", "object file has no
loadable segments", "cannot dynamically load executable" (ET_EXEC, unless it
is the program ld.so was asked to run), "object file has no dynamic
section", then "cannot dynamically load position-independent executable"
(DF_1_PIE, same exception) and "shared object cannot be dlopen()ed"
(DF_1_NOOPEN, for ``dlopen`` and what it loads: ``elf/dl-open.c`` passes
``__RTLD_DLOPEN`` down to ``_dl_map_object_deps``).

musl (``ldso/dynlink.c``: ``map_library``) takes the first file that opens and
fails with ENOEXEC ("Exec format error") on anything it cannot map: a file of
another class or machine included; it checks no OS ABI, PIE or NOOPEN flag.
"""

from __future__ import annotations

from restybuild.elf.facts import DF_1_NOOPEN, DF_1_PIE, ElfObject
from restybuild.records import dataclass

Abi = tuple[int, bool, int]  # class, little-endian, machine
ELFOSABI_SYSV, ELFOSABI_GNU = 0, 3
LIBC_ABI_MAX = 4
ET_EXEC, ET_DYN = 2, 3
#: how the file is being loaded: as the program (``ld.so PROGRAM``, ldd; ``__RTLD_OPENEXEC``),
#: as a dependency at start-up, or by ``dlopen`` (itself and what it loads)
MODES = ("main", "needed", "dlopen")


@dataclass(frozen=True)
class Verdict:
    """``take``, ``skip`` (look further) or ``error`` (the search ends), and why."""

    action: str
    why: str = ""


def ident_of(obj: ElfObject) -> bytes:
    """The 16 e_ident bytes of `obj` (the plain ones when it keeps none)."""
    if obj.ident:
        return obj.ident
    return b"\x7fELF" + bytes((1 if obj.elf_class == 32 else 2, 1 if obj.little_endian else 2,
                               1)) + bytes(9)


def open_verify(obj: ElfObject, abi: Abi, libc: str = "glibc") -> Verdict:
    """What the loader does with `obj` found while searching for a process of `abi`."""
    if libc == "musl":
        if (obj.elf_class, obj.little_endian, obj.machine) != abi or obj.e_type not in (2, 3) \
                or obj.defect or not obj.phentsize_ok:
            return Verdict("error", f"Exec format error ({obj.kind})")
        return Verdict("take")
    ident = ident_of(obj)
    cls, data = 1 if abi[0] == 32 else 2, 1 if abi[1] else 2
    osabi, abiversion = ident[7], ident[8]
    good_abiversion = abiversion == 0 or (osabi == ELFOSABI_GNU and abiversion < LIBC_ABI_MAX)
    if ident[:7] != b"\x7fELF" + bytes((cls, data, 1)) or osabi not in (
            ELFOSABI_SYSV, ELFOSABI_GNU) or not good_abiversion or any(ident[9:]):
        if ident[4] != cls:
            return Verdict("skip", obj.kind)
        if ident[5] != data:
            return Verdict("error", "ELF file data encoding not "
                                    f"{'little' if abi[1] else 'big'}-endian")
        if ident[6] != 1:
            return Verdict("error", "ELF file version ident does not match current one")
        if osabi not in (ELFOSABI_SYSV, ELFOSABI_GNU):
            return Verdict("error", "ELF file OS ABI invalid")
        if not good_abiversion:
            return Verdict("error", "ELF file ABI version invalid")
        return Verdict("error", "nonzero padding in e_ident")
    if obj.e_version != 1:
        return Verdict("error", "ELF file version does not match current one")
    if obj.machine != abi[2]:
        return Verdict("skip", obj.kind)
    if obj.e_type not in (ET_EXEC, ET_DYN):
        return Verdict("error", "only ET_DYN and ET_EXEC can be loaded")
    if not obj.phentsize_ok:
        return Verdict("error", "ELF file's phentsize not the expected size")
    if obj.defect and obj.defect[0] == "phdrs":
        return Verdict("error", obj.defect[1])
    return Verdict("take")


def map_error(obj: ElfObject, libc: str = "glibc", mode: str = "needed") -> str | None:
    """What mapping `obj`, once taken, fails with (None: it loads)."""
    if libc == "musl":
        return None  # open_verify above already refused what map_library cannot map
    stage = obj.defect[0] if obj.defect else ""
    if stage == "segments":
        return obj.defect[1] if obj.defect else None
    if obj.e_type != ET_DYN and mode != "main":
        return "cannot dynamically load executable"
    if stage == "nodyn":
        return obj.defect[1] if obj.defect else None
    if obj.flags_1 & DF_1_PIE and mode != "main":
        return "cannot dynamically load position-independent executable"
    if obj.flags_1 & DF_1_NOOPEN and mode == "dlopen":
        return "shared object cannot be dlopen()ed"
    if stage == "dynamic":
        return obj.defect[1] if obj.defect else None
    return None


def refusal(obj: ElfObject, abi: Abi, libc: str = "glibc", mode: str = "dlopen") -> str | None:
    """Why a loader of `abi` cannot load `obj` given by its path, or None."""
    verdict = open_verify(obj, abi, libc)
    if verdict.action == "skip":  # _dl_map_new_object: nothing else was found
        if ident_of(obj)[4] != (1 if abi[0] == 32 else 2):
            return f"wrong ELF class: ELFCLASS{64 if abi[0] == 32 else 32}"
        return "cannot open shared object file: No such file or directory"
    if verdict.action == "error":
        return verdict.why
    return map_error(obj, libc, mode)


def load_problem(obj: ElfObject, abi: Abi, libc: str = "glibc",
                 mode: str = "dlopen") -> str | None:
    """:func:`refusal` of a file with the loader's class, machine and byte order (or a
    header that cannot be read); None for a file of another ABI, which callers name in
    their own words ("built for aarch64")."""
    if obj.header_ok and (obj.elf_class, obj.little_endian, obj.machine) != abi:
        return None
    return refusal(obj, abi, libc, mode)
