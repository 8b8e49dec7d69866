"""The loader environment of the machine restybuild runs on: what ``ldd`` here would use."""

from __future__ import annotations

import os
import platform

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


def host_env(ld_library_path: str | None = None) -> LoaderEnv:
    """The host's loader: its interpreter, trusted folders, ld.so.cache and LD_LIBRARY_PATH.

    `ld_library_path` defaults to this process's ``LD_LIBRARY_PATH``.
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
    llp = tuple(d for d in ld_library_path.replace(";", ":").split(":") if d)
    if rtld and "ld-musl-" in rtld:
        path_file = f"/etc/ld-musl-{musl_arch(machine, elf_class)}.path"
        try:
            with open(path_file, encoding="utf-8") as fh:
                text: str | None = fh.read()
        except OSError:
            text = None
        return LoaderEnv(libc="musl", musl_path=musl_path(text), ld_library_path=llp,
                         rtld=rtld, platform=platform.machine())
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
                     rtld=rtld, dst_lib=dst_lib_of(trusted), platform=platform.machine())
