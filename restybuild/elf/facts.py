"""The dynamic facts of one ELF file (:class:`ElfObject`) and the names of machines and versions.

:mod:`restybuild.elf.reader` builds them from a file; the library index keeps
them as JSON. Besides what the search needs (DT_NEEDED, DT_SONAME, DT_RPATH,
DT_RUNPATH, symbol versions), an object keeps what glibc's ``open_verify`` and
``_dl_map_object_from_fd`` (``elf/dl-load.c``) check before they accept a file:
the ``e_ident`` bytes when they are not the plain ones, ``e_version``,
``e_phentsize``, ``DT_FLAGS_1``, and the first defect found while reading
(:mod:`restybuild.elf.verify` decides, in glibc's order, what they mean).
"""

from __future__ import annotations

from restybuild.records import dataclass

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `restybuild deps` pays for every import
if TYPE_CHECKING:
    from typing import Any

DF_1_NODEFLIB, DF_1_NOOPEN, DF_1_PIE = 0x800, 0x40, 0x08000000

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

#: where a defect was found, in the order glibc would meet it: the program headers cannot
#: be read (``open_verify``), the segments are unusable (``_dl_map_object_from_fd``, before
#: it looks at e_type), there is no dynamic section (after it), the dynamic section is
#: corrupt (read after mapping; glibc would read garbage or crash, the model stops there)
DEFECT_STAGES = ("phdrs", "segments", "nodyn", "dynamic")


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
    elf_class: int  # 32 or 64; 0 when EI_CLASS is neither (nothing else could be read)
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
    dynamic: bool = True  # has a PT_DYNAMIC segment (with contents)
    #: the 16 e_ident bytes when they are not the plain ones of the class and byte order
    #: (EI_VERSION 1, EI_OSABI SYSV, EI_ABIVERSION 0, zero padding); b"" when they are
    ident: bytes = b""
    e_version: int = 1
    phentsize_ok: bool = True  # e_phentsize is the size of a program header of the class
    flags_1: int = 0  # DT_FLAGS_1
    #: the first defect met while reading: (stage, glibc's words or the model's), see
    #: DEFECT_STAGES; the facts after that stage are left empty
    defect: tuple[str, str] | None = None

    @property
    def has_runpath(self) -> bool:
        return bool(self.runpath)

    @property
    def machine_name(self) -> str:
        return machine_name(self.machine)

    @property
    def kind(self) -> str:
        """``64-bit x86_64`` and the like."""
        if self.elf_class not in (32, 64):
            return f"ELF class {self.ident[4] if len(self.ident) > 4 else 0}"
        return f"{self.elf_class}-bit{'' if self.little_endian else ' big-endian'} " \
               f"{self.machine_name}"

    @property
    def header_ok(self) -> bool:
        """EI_CLASS and EI_DATA are valid, so the header could be read."""
        return self.elf_class in (32, 64) and (not self.ident or self.ident[5] in (1, 2))

    @property
    def osabi(self) -> int:
        return self.ident[7] if self.ident else 0

    @property
    def pie(self) -> bool:
        return bool(self.flags_1 & DF_1_PIE)

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
        if self.ident:
            out["ident"] = self.ident.hex()
        if self.e_version != 1:
            out["version"] = self.e_version
        if not self.phentsize_ok:
            out["phentsize_ok"] = False
        if self.flags_1:
            out["flags_1"] = self.flags_1
        if self.defect:
            out["defect"] = list(self.defect)
        return out

    @classmethod
    def from_json(cls, path: str, d: dict[str, Any]) -> ElfObject:
        defect = d.get("defect")
        return cls(
            path=path, elf_class=d["class"], little_endian=d["le"], machine=d["machine"],
            e_type=d.get("type", 3), interp=d.get("interp"), soname=d.get("soname"),
            needed=tuple(d.get("needed", ())), rpath=tuple(d.get("rpath", ())),
            runpath=tuple(d.get("runpath", ())), nodeflib=bool(d.get("nodeflib")),
            version_needs=tuple(VersionNeed(f, tuple(v), tuple(w))
                                for f, v, w in d.get("needs", ())),
            version_defs=tuple(d.get("defs", ())), dynamic=not d.get("static"),
            ident=bytes.fromhex(d.get("ident", "")), e_version=d.get("version", 1),
            phentsize_ok=d.get("phentsize_ok", True), flags_1=d.get("flags_1", 0),
            defect=(defect[0], defect[1]) if defect else None,
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
