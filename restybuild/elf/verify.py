"""Whether a loader takes a file it opened: glibc's ``open_verify`` and ``_dl_map_object_from_fd``.

glibc (``elf/dl-load.c``) checks a candidate twice. ``open_verify``, while it
searches: a file of the other ELF class or of another machine is skipped ("not a
fatal error"; the search goes on), anything else wrong ends the search with an
error naming the file. Then ``_dl_map_object_from_fd``, once the file is taken
(and only if no loaded object is the same file): the segments must be usable
and there must be a dynamic section, or the load fails with an error naming
the requested name.

musl (``ldso/dynlink.c``: ``map_library``) takes the first file that opens and
fails with ENOEXEC ("Exec format error") on anything it cannot map: a file of
another class or machine included.
"""

from __future__ import annotations

from dataclasses import dataclass

from restybuild.elf.facts import ElfObject

Abi = tuple[int, bool, int]  # class, little-endian, machine
OPEN_STAGES = ("phdrs",)  # defects open_verify meets; the others are met while mapping


@dataclass(frozen=True)
class Verdict:
    """``take``, ``skip`` (look further) or ``error`` (the search ends), and why."""

    action: str
    why: str = ""


def open_verify(obj: ElfObject, abi: Abi, libc: str = "glibc") -> Verdict:
    """What the loader does with `obj` found while searching for a process of `abi`."""
    if libc == "musl":
        if (obj.elf_class, obj.little_endian, obj.machine) != abi or obj.e_type not in (2, 3) \
                or obj.defect or not obj.phentsize_ok:
            return Verdict("error", f"Exec format error ({obj.kind})")
        return Verdict("take")
    if obj.elf_class != abi[0] or obj.machine != abi[2] or obj.elf_class not in (32, 64):
        return Verdict("skip", obj.kind)
    if obj.little_endian != abi[1]:
        return Verdict("error", "ELF file data encoding not "
                                f"{'little' if abi[1] else 'big'}-endian")
    if obj.e_type not in (2, 3):
        return Verdict("error", "only ET_DYN and ET_EXEC can be loaded")
    if not obj.phentsize_ok:
        return Verdict("error", "ELF file's phentsize not the expected size")
    if obj.defect and obj.defect[0] in OPEN_STAGES:
        return Verdict("error", obj.defect[1])
    return Verdict("take")


def map_error(obj: ElfObject, libc: str = "glibc") -> str | None:
    """What mapping `obj`, once taken, fails with (None: it loads)."""
    if libc == "musl":
        return None  # open_verify above already refused what map_library cannot map
    if obj.defect and obj.defect[0] not in OPEN_STAGES:
        return obj.defect[1]
    return None


def refusal(obj: ElfObject, abi: Abi, libc: str = "glibc") -> str | None:
    """Why a loader of `abi` cannot load `obj` given by path (``dlopen``), or None."""
    verdict = open_verify(obj, abi, libc)
    if verdict.action == "skip":
        return f"wrong ELF class: ELFCLASS{64 if abi[0] == 32 else 32}" \
            if obj.elf_class != abi[0] or abi[0] not in (32, 64) \
            else "cannot open shared object file: No such file or directory"
    if verdict.action == "error":
        return verdict.why
    return map_error(obj, libc)


def load_problem(obj: ElfObject, abi: Abi, libc: str = "glibc") -> str | None:
    """:func:`refusal` of a file with the loader's class, machine and byte order (or a
    header that cannot be read); None for a file of another ABI, which callers name in
    their own words ("built for aarch64")."""
    if obj.header_ok and (obj.elf_class, obj.little_endian, obj.machine) != abi:
        return None
    return refusal(obj, abi, libc)
