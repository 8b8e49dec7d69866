"""What glibc's and musl's loaders read besides the objects: the cache, trusted folders, path file.

``/etc/ld.so.cache`` is read in glibc's format (``elf/dl-cache.c``,
``sysdeps/generic/dl-cache.h``): the ``glibc-ld.so.cache1.1`` layout that
glibc 2.32 and later write, and the old ``ld.so-1.7.0`` layout (alone, or
followed by the new one as the "compat" format of older ldconfigs).

The trusted ("system") folders are compiled into ld.so (``SYSTEM_DIRS`` from
``elf/gen-trusted-dirs.awk``) as consecutive NUL-terminated absolute paths that
end in ``/``; they are read from the ld.so binary itself, so a distribution's
choice (Debian's multiarch folders, Fedora's ``/lib64``) is what we use.
"""

from __future__ import annotations

import re
import struct

from restybuild.records import dataclass

NEW_MAGIC = b"glibc-ld.so.cache1.1"
OLD_MAGIC = b"ld.so-1.7.0"
FLAG_ELF, FLAG_ELF_LIBC6 = 0x0001, 0x0003
HWCAP_EXTENSION = 1 << 62

#: e_machine, ELF class -> the "required" flag bits glibc's ldconfig gives that ABI.
_ABI_FLAGS = {
    (62, 64): 0x0300,  # FLAG_X8664_LIB64
    (62, 32): 0x0800,  # FLAG_X8664_LIBX32
    (183, 64): 0x0A00,  # FLAG_AARCH64_LIB64
    (21, 64): 0x0500,  # FLAG_POWERPC_LIB64
    (22, 64): 0x0400,  # FLAG_S390_LIB64
    (2, 64): 0x0100, (43, 64): 0x0100,  # FLAG_SPARC_LIB64
    (243, 64): 0x1000,  # FLAG_RISCV_FLOAT_ABI_DOUBLE (the common lp64d)
}


@dataclass(frozen=True)
class CacheEntry:
    name: str
    path: str
    flags: int
    hwcap: int = 0


def cache_flags(machine: int, elf_class: int) -> frozenset[int]:
    """The entry flags glibc's `_dl_cache_check_flags` accepts for this ABI."""
    return frozenset({FLAG_ELF, FLAG_ELF_LIBC6 | _ABI_FLAGS.get((machine, elf_class), 0)})


def parse_ld_cache(data: bytes) -> tuple[CacheEntry, ...]:
    """Entries of an ``ld.so.cache``, in file order (the order glibc prefers them in)."""
    if data.startswith(OLD_MAGIC):
        (nlibs,) = struct.unpack_from("<I", data, 12)
        old_end = 16 + nlibs * 12
        new_at = data.find(NEW_MAGIC, old_end, old_end + 16 + len(NEW_MAGIC))
        if new_at >= 0:
            return _parse_new(data, new_at)
        out = []
        for i in range(nlibs):
            flags, key, value = struct.unpack_from("<iII", data, 16 + i * 12)
            out.append(CacheEntry(_cstr(data, old_end + key), _cstr(data, old_end + value),
                                  flags))
        return tuple(out)
    if data.startswith(NEW_MAGIC):
        return _parse_new(data, 0)
    return ()


def _parse_new(data: bytes, start: int) -> tuple[CacheEntry, ...]:
    # struct cache_file_new: magic[17] version[3] nlibs len_strings flags[1] pad[3]
    # extension_offset unused[3]; then nlibs of file_entry_new (flags key value osversion hwcap)
    endian = "<" if data[start + 28] in (0, 2) else ">"
    (nlibs,) = struct.unpack_from(endian + "I", data, start + 20)
    table = data[start + 48:start + 48 + nlibs * 24]
    if len(table) < nlibs * 24:
        raise struct.error("ld.so.cache: truncated entry table")
    strings = _strings(data, start + 48 + nlibs * 24, start)

    def cstr(offset: int) -> str:
        got = strings.get(offset)  # else an offset into another string (ldconfig merges tails)
        return got if got is not None else _cstr(data, start + offset)

    return tuple(CacheEntry(cstr(key), cstr(value), flags, hwcap) for flags, key, value, _osv,
                 hwcap in struct.iter_unpack(endian + "iIIIQ", table))


def _strings(data: bytes, at: int, base: int) -> dict[int, str]:
    """The NUL-terminated strings from `at` to the end, by offset from `base`: split once,
    not searched for one by one."""
    out: dict[int, str] = {}
    pos = at - base
    for raw in data[at:].split(b"\0"):
        out[pos] = raw.decode("utf-8", "surrogateescape")
        pos += len(raw) + 1
    return out


def _cstr(data: bytes, offset: int) -> str:
    return data[offset:data.index(b"\0", offset)].decode("utf-8", "surrogateescape")


_DIRS = re.compile(rb"(?:/[\x21-\x7e]*/\0){2,}")


def trusted_dirs_from_ldso(data: bytes) -> tuple[str, ...]:
    """The trusted folders compiled into an ld.so binary, without trailing slashes.

    The first run of two or more NUL-separated absolute paths ending in ``/``
    that contains a ``lib`` folder; empty when none is found.
    """
    for m in _DIRS.finditer(data):
        dirs = [d.decode() for d in m.group(0).split(b"\0") if d]
        if any("lib" in d for d in dirs) and all(d.startswith("/") for d in dirs):
            return tuple(d.rstrip("/") or "/" for d in dirs)
    return ()


def dst_lib_of(trusted_dirs: tuple[str, ...]) -> str:
    """What ``$LIB`` expands to: the first trusted folder without its leading slash.

    Debian's glibc gives ``lib/x86_64-linux-gnu`` (its first trusted folder is
    ``/lib/x86_64-linux-gnu``), Fedora's ``lib64``, upstream's ``lib``.
    """
    return trusted_dirs[0].strip("/") if trusted_dirs else "lib"


#: The trusted folders when no ld.so could be read.
FALLBACK_TRUSTED = {
    62: ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib",
         "/usr/lib"),
    3: ("/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib"),
    183: ("/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib",
          "/usr/lib"),
}
MUSL_DEFAULT_PATH = ("/lib", "/usr/local/lib", "/usr/lib")


def musl_path(text: str | None) -> tuple[str, ...]:
    """Folders of musl's ``/etc/ld-musl-ARCH.path`` (colon or newline separated)."""
    if text is None:
        return MUSL_DEFAULT_PATH
    return tuple(p for p in re.split(r"[:\n]", text) if p)


def musl_arch(machine: int, elf_class: int) -> str:
    """The ARCH of musl's ``ld-musl-ARCH.so.1`` and ``ld-musl-ARCH.path``."""
    return {(62, 64): "x86_64", (3, 32): "i386", (183, 64): "aarch64", (40, 32): "armhf",
            (21, 64): "powerpc64le", (22, 64): "s390x", (243, 64): "riscv64"}.get(
        (machine, elf_class), "x86_64")
