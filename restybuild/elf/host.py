"""The loader environment of the machine restybuild runs on: what ``ldd`` here would use."""

from __future__ import annotations

import os
import re
import subprocess
from functools import lru_cache

from restybuild.elf.ldcache import (
    FALLBACK_TRUSTED,
    musl_arch,
    musl_path,
    parse_ld_cache,
    trusted_dirs_from_ldso,
)
from restybuild.elf.libindex import dst_lib_of
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
    try:
        out = subprocess.run([rtld, "--list-diagnostics"], capture_output=True, timeout=10,
                             check=False).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    m = _DL_PLATFORM.search(out)
    return m.group(1) if m and m.group(1) else None


def host_env(ld_library_path: str | None = None, cwd: str | None = None) -> LoaderEnv:
    """The host's loader: its interpreter, trusted folders, ld.so.cache and LD_LIBRARY_PATH.

    `ld_library_path` defaults to this process's ``LD_LIBRARY_PATH`` (its empty
    elements kept: they name the working folder), `cwd` to its working folder.
    """
    rtld = None
    machine, elf_class = 62, 64
    for prog in PROGRAMS:
        try:
            obj = read_elf(prog)
        except (OSError, NotElf):
            continue
        rtld, machine, elf_class = obj.interp, obj.machine, obj.elf_class
        if rtld:
            break
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
    trusted: tuple[str, ...] = ()
    if rtld:
        try:
            with open(rtld, "rb") as fh:
                trusted = trusted_dirs_from_ldso(fh.read())
        except OSError:
            pass
    trusted = trusted or FALLBACK_TRUSTED.get(machine, ("/lib", "/usr/lib"))
    try:
        with open("/etc/ld.so.cache", "rb") as fh:
            cache = parse_ld_cache(fh.read())
    except OSError:
        cache = ()
    return LoaderEnv(libc="glibc", trusted_dirs=trusted, cache=cache, ld_library_path=llp,
                     rtld=rtld, dst_lib=dst_lib_of(trusted), platform=loader_platform(rtld),
                     cwd=cwd)
