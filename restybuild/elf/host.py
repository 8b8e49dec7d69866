"""The loader environment of the machine restybuild runs on: what ``ldd`` here would use."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from functools import lru_cache

from restybuild.elf.ldcache import (
    FALLBACK_TRUSTED,
    CacheEntry,
    dst_lib_of,
    musl_arch,
    musl_path,
    parse_ld_cache,
    trusted_dirs_from_ldso,
)
from restybuild.elf.loader import LoaderEnv
from restybuild.elf.reader import NotElf, read_elf

PROGRAMS = ("/bin/sh", "/usr/bin/env", "/bin/ls")
_DL_PLATFORM = re.compile(r'^dl_platform="([^"]*)"$', re.M)


@lru_cache(maxsize=8)
def loader_platform(rtld: str | None) -> str | None:
    """What glibc's loader `rtld` expands ``$PLATFORM`` to on this CPU, as it reports it.

    glibc 2.36 on x86-64 says ``haswell`` on Intel CPUs with AVX2, BMI1/2, LZCNT,
    MOVBE and POPCNT (``sysdeps/x86/cpu-features.c``) and ``x86_64`` elsewhere, so
    ``platform.machine()`` is not the answer; ``ld.so --list-diagnostics`` (glibc
    2.33 and newer) prints ``dl_platform``. None when the loader cannot say: then a
    ``$PLATFORM`` entry is reported as CPU-dependent instead of guessed.
    """
    if not rtld:
        return None
    import subprocess  # only here: importing it costs `restybuild deps` on one file

    try:
        out = subprocess.run([rtld, "--list-diagnostics"], capture_output=True, timeout=10,
                             check=False).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    m = _DL_PLATFORM.search(out)
    return m.group(1) if m and m.group(1) else None


#: where each ABI's program interpreter lives: (class, little-endian, machine) -> paths
RTLDS: dict[tuple[int, bool, int], tuple[str, ...]] = {
    (64, True, 62): ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-musl-x86_64.so.1"),
    (32, True, 62): ("/libx32/ld-linux-x32.so.2",),
    (32, True, 3): ("/lib/ld-linux.so.2", "/lib/ld-musl-i386.so.1"),
    (64, True, 183): ("/lib/ld-linux-aarch64.so.1", "/lib/ld-musl-aarch64.so.1"),
    (32, True, 40): ("/lib/ld-linux-armhf.so.3", "/lib/ld-musl-armhf.so.1"),
    (64, True, 21): ("/lib64/ld64.so.2",), (64, False, 22): ("/lib/ld64.so.1",),
    (64, True, 243): ("/lib/ld-linux-riscv64-lp64d.so.1",),
}


@lru_cache(maxsize=16)
def rtld_for(abi: tuple[int, bool, int] | None = None,
             interp: str | None = None) -> tuple[str | None, tuple[int, bool, int]]:
    """The program interpreter of this machine for `abi` (default: its programs'), and its ABI.

    As ``ldd`` runs the loader that accepts the file (its RTLDLIST, tried in turn), a
    32-bit file gets the 32-bit loader: `interp` (the file's PT_INTERP) when it is of
    that ABI, else the one this machine's programs name, else the usual path for the ABI.
    """
    for path in _rtld_candidates(abi, interp):
        try:
            obj = read_elf(path) if path else None
        except (OSError, NotElf):
            continue
        if obj is None or obj.defect:
            continue
        got = (obj.elf_class, obj.little_endian, obj.machine)
        if abi is None or got == abi:
            return path, got
    return None, abi or (64, True, 62)


def _rtld_candidates(abi: tuple[int, bool, int] | None, interp: str | None) -> Iterator[str]:
    """`interp`, the interpreters of this machine's programs, the usual ones for `abi`: read
    one at a time (the first one that fits ends the search)."""
    if interp:
        yield interp
    for prog in PROGRAMS:
        try:
            yield read_elf(prog).interp or ""
        except (OSError, NotElf):
            continue
    yield from RTLDS.get(abi, ()) if abi is not None else ()


def host_env(ld_library_path: str | None = None, cwd: str | None = None,
             abi: tuple[int, bool, int] | None = None, interp: str | None = None) -> LoaderEnv:
    """The host's loader: its interpreter, trusted folders, ld.so.cache and LD_LIBRARY_PATH.

    `ld_library_path` defaults to this process's ``LD_LIBRARY_PATH`` (its empty
    elements kept: they name the working folder), `cwd` to its working folder; `abi`
    and `interp` choose the loader of a file's ABI (:func:`rtld_for`): its trusted
    folders, ``$LIB`` and ``$PLATFORM`` are that loader's.
    """
    rtld, (elf_class, _le, machine) = rtld_for(abi, interp)
    if ld_library_path is None:
        ld_library_path = os.environ.get("LD_LIBRARY_PATH", "")
    llp = tuple(ld_library_path.split(":")) if ld_library_path else ()
    cwd = cwd if cwd is not None else os.getcwd()
    if rtld and "ld-musl-" in rtld:
        path_file = f"/etc/ld-musl-{musl_arch(machine, elf_class)}.path"
        try:
            with open(path_file, encoding="utf-8") as fh:
                text: str | None = fh.read()
        except OSError:
            text = None
        return LoaderEnv(libc="musl", musl_path=musl_path(text), ld_library_path=llp,
                         rtld=rtld, cwd=cwd)
    trusted, platform = rtld_facts(rtld)
    trusted = trusted or FALLBACK_TRUSTED.get(machine, ("/lib", "/usr/lib"))
    return LoaderEnv(libc="glibc", trusted_dirs=trusted, cache=_ld_cache(), ld_library_path=llp,
                     rtld=rtld, dst_lib=dst_lib_of(trusted), platform=platform, cwd=cwd)


# What the loader reads besides the objects is read once per process: every file of one
# run shares it (and its index by name, restybuild.elf.loader.cache_index).
@lru_cache(maxsize=8)
def rtld_facts(rtld: str | None) -> tuple[tuple[str, ...], str | None]:
    """The trusted folders compiled into `rtld` and its $PLATFORM (:func:`loader_platform`).

    Kept in the private cache folder under the loader file's stamp and this CPU's flags
    (text, one line per loader: nothing there is ever run), so a run on one file neither
    scans ld.so nor starts it.
    """
    if not rtld:
        return (), None
    key = _rtld_key(rtld)
    records = _read_facts()
    if key is not None and key in records:
        return records[key]
    try:
        with open(rtld, "rb") as fh:
            trusted = trusted_dirs_from_ldso(fh.read())
    except OSError:
        trusted = ()
    platform = loader_platform(rtld)
    if key is not None:
        records = dict(list(records.items())[-7:])  # a few loaders (32-bit, musl...)
        records[key] = (trusted, platform)
        _write_facts(records)
    return trusted, platform


FACTS_FORMAT = "restybuild-loaders 1"
_SEP = "\x1f"  # fields of a line: key, $PLATFORM ("" when unknown), trusted folders


def _rtld_key(rtld: str) -> str | None:
    try:
        st = os.stat(rtld)
        with open("/proc/cpuinfo", "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return None
    flags = next((ln for ln in head.split(b"\n") if ln.startswith(b"flags")), b"")
    key = (f"{rtld} {st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} "
           f"{flags.decode('ascii', 'replace')}")
    return None if _SEP in key or "\n" in key else key


def _facts_file() -> str | None:
    from restybuild.cachedir import enabled, private_dir

    folder = private_dir("host") if enabled() else None
    return os.path.join(folder, "loaders.txt") if folder else None


def _read_facts() -> dict[str, tuple[tuple[str, ...], str | None]]:
    path = _facts_file()
    try:
        with open(path or "", encoding="utf-8") as fh:
            lines = fh.read().split("\n")
    except (OSError, ValueError):
        return {}
    out: dict[str, tuple[tuple[str, ...], str | None]] = {}
    if lines[0] != FACTS_FORMAT:
        return out
    for line in lines[1:]:
        fields = line.split(_SEP)
        if len(fields) >= 2 and all(d.startswith("/") for d in fields[2:]):
            out[fields[0]] = (tuple(fields[2:]), fields[1] or None)
    return out


def _write_facts(records: dict[str, tuple[tuple[str, ...], str | None]]) -> None:
    path = _facts_file()
    if path is None:
        return
    lines = [FACTS_FORMAT] + [_SEP.join((key, platform or "", *trusted))
                              for key, (trusted, platform) in records.items()
                              if not any(_SEP in d or "\n" in d for d in trusted)
                              and _SEP not in (platform or "") and "\n" not in (platform or "")]
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, path)
    except OSError:
        pass


@lru_cache(maxsize=1)
def _ld_cache() -> tuple[CacheEntry, ...]:
    try:
        with open("/etc/ld.so.cache", "rb") as fh:
            return parse_ld_cache(fh.read())
    except OSError:
        return ()
