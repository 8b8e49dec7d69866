"""Step 4: self-compiled natives, the `.so` files on the conf's Lua C path that no rock owns.

Each one's closure is resolved on the old host's own files (:mod:`restybuild.elf`: the
loader model on a :class:`~restybuild.elf.fs.HostFS` rooted at ROOT, never the files
run): dlopen'd into the host's nginx (its RPATH applies) with the host's ld.so.cache,
trusted folders and the LD_LIBRARY_PATH its unit gives nginx. The folders of
``/etc/ld.so.conf`` count as trusted when the copy has no ld.so.cache. Each library
found is kept when the base has it (its library index, or the libc family), else it is
to be copied beside the native (a `search` folder); a name the loader finds nowhere is
looked for by name under ROOT, and reported when it is not there either.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from restybuild.discover.launch import Launch
from restybuild.discover.model import Finding, NativeFacts, NginxFacts, RocksFacts
from restybuild.elf.bundle import BaseSpec, NativeInput, resolve
from restybuild.elf.fs import HostFS
from restybuild.elf.ldcache import FALLBACK_TRUSTED, parse_ld_cache
from restybuild.elf.libindex import LibraryIndex
from restybuild.elf.loader import LoaderEnv
from restybuild.elf.problems import LIBC_SONAMES
from restybuild.elf.reader import ElfObject, NotElf, read_elf

SYSTEM_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")
NGINX_BINS = ("/usr/local/openresty/nginx/sbin/nginx", "/usr/sbin/nginx",
              "/usr/local/nginx/sbin/nginx", "/usr/bin/openresty")
MAX_WALK = 50000


def bundle_lualib(root: Path, nginx: NginxFacts, prefix: str) -> str:
    """The old host's OpenResty bundle lualib, or "": OpenResty installs it beside its
    nginx prefix (`PREFIX/nginx` has `PREFIX/lualib`), holding resty.core."""
    folder = posixpath.join(posixpath.dirname(prefix.rstrip("/") or "/"), "lualib")
    here = root / folder.lstrip("/")
    if not here.is_dir():
        return ""
    if nginx.version.startswith("openresty/") or (here / "resty/core.lua").is_file():
        return folder
    return ""


def native_files(root: Path, cpath: tuple[str, ...], rocks: tuple[RocksFacts, ...],
                 bundle: str = "") -> list[tuple[str, str]]:
    """(host path, cpath folder) of every `.so` on `cpath` that no rock installed and the
    OpenResty `bundle` (its lualib folder) does not bring (the openresty recipe's modules)."""
    owned = set().union(*(r.owned for r in rocks)) if rocks else set()
    trees = [r.tree for r in rocks]
    out: list[tuple[str, str]] = []
    for entry in cpath:
        if "?" not in entry:
            continue
        folder = posixpath.dirname(entry.split("?", 1)[0] + "x")
        base = root / folder.lstrip("/")
        if not base.is_dir() or any(folder == t or folder.startswith(t + "/") for t in trees):
            continue
        for dirpath, dirs, names in os.walk(base):
            dirs.sort()
            for name in sorted(names):
                host = posixpath.join("/", os.path.relpath(os.path.join(dirpath, name), root))
                if name.endswith(".so") and host not in owned and not _bundled(host, bundle):
                    out.append((host, posixpath.dirname(host)))
    return list(dict.fromkeys(out))


def _bundled(host: str, bundle: str) -> bool:
    from restybuild.lint.modules import bundles

    if not bundle or not host.startswith(bundle.rstrip("/") + "/"):
        return False
    module = host[len(bundle.rstrip("/")) + 1:].removesuffix(".so").replace("/", ".")
    return bundles("openresty", module)


def host_env(root: Path, machine: int, launch: Launch) -> LoaderEnv:
    """The old host's loader: its cache, trusted folders and nginx's LD_LIBRARY_PATH."""
    trusted = FALLBACK_TRUSTED.get(machine, ("/lib", "/usr/lib"))
    cache_file = root / "etc/ld.so.cache"
    cache = parse_ld_cache(cache_file.read_bytes()) if cache_file.is_file() else ()
    if not cache:
        trusted = (*trusted, *_ld_so_conf(root))
    return LoaderEnv(libc="glibc", trusted_dirs=trusted, cache=cache,
                     ld_library_path=launch.ld_library_path, cwd="/")


def _ld_so_conf(root: Path) -> tuple[str, ...]:
    files = [root / "etc/ld.so.conf"]
    conf_d = root / "etc/ld.so.conf.d"
    files += sorted(conf_d.glob("*.conf")) if conf_d.is_dir() else []
    out: list[str] = []
    for f in files:
        try:
            lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        out += [ln.split("#")[0].strip() for ln in lines if ln.strip().startswith("/")]
    return tuple(dict.fromkeys(out))


def resolve_native(root: Path, host: str, dst: str, launch: Launch, index: LibraryIndex | None,
                   host_mode: bool) -> tuple[NativeFacts | None, list[Finding]]:
    """The libraries `host` (a `.so` under ROOT) needs that the base lacks, from the host."""
    try:
        obj = read_elf(root / host.lstrip("/"), name=host)
    except (NotElf, OSError) as e:
        return None, [Finding("natives", "error", f"{host} is on lua_package_cpath but is not "
                              f"an ELF shared object ({e}): it is left out", host,
                              "remove it from the folder, or replace it with the real module")]
    spec = _spec(root, obj, launch)
    resolved, _ = resolve(spec, [NativeInput(str(root / host.lstrip("/")), host, obj)])
    closure = resolved[0].closure
    deps: list[tuple[str, str]] = []
    missing: list[str] = []
    findings: list[Finding] = []
    base_names = index.sonames() if index is not None else frozenset()
    for lk in closure.lookups if closure is not None else ():
        if lk.name in LIBC_SONAMES or lk.name in base_names or lk.name.startswith("ld-linux"):
            continue
        if lk.path is None:
            found = _by_name(root, lk.name)
            if found is None:
                missing.append(lk.name)
                findings.append(Finding("natives", "error", f"{host} needs {lk.name}, which is "
                                        "found nowhere under ROOT", host, f"find {lk.name} on "
                                        "the old host and put it into the native's search folder"))
                continue
            deps.append((lk.name, found))
        elif index is None and _system(lk.path) and host_mode:
            findings.append(Finding("natives", "info", f"{host} needs {lk.name} (the old host's "
                                    f"{lk.path}): assumed to be in the base's system libraries",
                                    host, "lint checks it when the base has a library index"))
        elif not _system(lk.path) or index is not None:
            deps.append((lk.name, lk.path))
    return NativeFacts(host, dst, tuple(dict.fromkeys(deps)), tuple(missing)), findings


def _system(path: str) -> bool:
    return any(path.startswith(d + "/") for d in SYSTEM_DIRS)


def _spec(root: Path, obj: ElfObject, launch: Launch) -> BaseSpec:
    fs = HostFS(str(root))
    nginx = next((n for n in NGINX_BINS if _elf(fs, n)), None)
    return BaseSpec("the old host", "glibc", "", obj.machine, obj.elf_class, obj.little_endian,
                    env=host_env(root, obj.machine, launch), fs=fs, nginx=nginx,
                    source="the old host's files")


def _elf(fs: HostFS, path: str) -> bool:
    try:
        fs.read(path)
    except (NotElf, OSError):
        return False
    return True


def _by_name(root: Path, name: str) -> str | None:
    """The first regular file called `name` under ROOT (a bounded walk), as a host path."""
    seen = 0
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("proc", "sys", "dev", ".git"))
        seen += len(names)
        if name in names and os.path.isfile(os.path.join(dirpath, name)):
            return posixpath.join("/", os.path.relpath(os.path.join(dirpath, name), root))
        if seen > MAX_WALK:
            return None
    return None
