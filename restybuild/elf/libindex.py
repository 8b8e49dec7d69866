"""A base image's library index: its loader, folders, cache and the ELF facts of its libraries.

The index holds what the loader model needs to resolve names as the image's
own ld.so would: the libc (glibc and its version, or musl), the program
interpreter, the trusted folders compiled into it, the image's
``LD_LIBRARY_PATH`` and working folder, ``/etc/ld.so.cache`` (or musl's path file), and, for every
``*.so*`` file directly in a folder the loader searches, its ELF facts
(soname, needs, RPATH/RUNPATH, versions defined and needed) plus the symlinks
that lead to them. nginx and its dynamic modules are indexed too: a Lua module
is ``dlopen``'d into a process that already loaded them.

It is read from the real image through the Docker SDK (:mod:`restybuild.elf.image`)
and cached on disk by image ID (``$XDG_CACHE_HOME/restybuild/libindex/``), so
the second lookup reads one JSON file. Base recipes ship a snapshot of it
(``library_index`` in a flavor) so ``plan`` and ``lint`` work with no daemon.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from restybuild.elf.fs import IndexFS
from restybuild.elf.ldcache import CacheEntry
from restybuild.elf.loader import LoaderEnv
from restybuild.elf.reader import ElfObject, version_key
from restybuild.records import dataclass

FORMAT = 1


@dataclass(frozen=True)
class LibraryIndex:
    image: str  # the reference it was read from
    image_id: str
    libc: str  # glibc | musl
    libc_version: str  # glibc's version, "" for musl
    machine: int
    elf_class: int
    little_endian: bool
    rtld: str | None
    trusted_dirs: tuple[str, ...]
    dst_lib: str
    ld_library_path: tuple[str, ...]  # the image's ENV LD_LIBRARY_PATH
    cache: tuple[CacheEntry, ...]
    musl_path: tuple[str, ...]
    conf_dirs: tuple[str, ...]  # folders ld.so.conf lists (ld.so itself never reads it)
    programs: tuple[str, ...]  # nginx and its dynamic modules
    objects: tuple[tuple[str, ElfObject | None], ...]  # path -> facts; None: not ELF
    links: tuple[tuple[str, str], ...]  # symlink -> target
    texts: tuple[tuple[str, str], ...] = ()  # small files the loader reads (musl's path file)
    workdir: str = "/"  # the image's WORKDIR: nginx's working folder

    @cached_property
    def fs(self) -> IndexFS:
        return IndexFS(dict(self.objects), dict(self.links), dict(self.texts))

    def env(self, ld_library_path: tuple[str, ...] | None = None) -> LoaderEnv:
        return LoaderEnv(
            libc=self.libc, trusted_dirs=self.trusted_dirs, cache=self.cache,
            musl_path=self.musl_path,
            ld_library_path=self.ld_library_path if ld_library_path is None else ld_library_path,
            rtld=self.rtld, dst_lib=self.dst_lib,  # $PLATFORM: the CPU is not known
            cwd=self.workdir)

    @property
    def arch(self) -> str:
        from restybuild.elf.reader import machine_name

        return machine_name(self.machine)

    def sonames(self) -> frozenset[str]:
        return frozenset(o.soname for _p, o in self.objects if o is not None and o.soname)

    def has(self, path: str) -> bool:
        return self.fs.canonical(path) is not None

    def merged(self, other: LibraryIndex) -> LibraryIndex:
        """This index with `other`'s files, links and environment on top (a built candidate)."""
        from restybuild.records import replace

        objects = dict(self.objects)
        objects.update(other.objects)
        links = dict(self.links)
        links.update(other.links)
        return replace(self, image=other.image, image_id=other.image_id,
                       ld_library_path=other.ld_library_path, workdir=other.workdir,
                       programs=tuple(dict.fromkeys(self.programs + other.programs)),
                       objects=tuple(sorted(objects.items())), links=tuple(sorted(links.items())))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "image": self.image, "image_id": self.image_id, "libc": self.libc,
            "libc_version": self.libc_version, "machine": self.machine,
            "class": self.elf_class, "le": self.little_endian, "rtld": self.rtld,
            "trusted_dirs": list(self.trusted_dirs), "dst_lib": self.dst_lib,
            "ld_library_path": list(self.ld_library_path),
            "ld_cache": [[e.name, e.path, e.flags, e.hwcap] for e in self.cache],
            "musl_path": list(self.musl_path), "conf_dirs": list(self.conf_dirs),
            "programs": list(self.programs),
            "objects": {p: (o.to_json() if o is not None else None) for p, o in self.objects},
            "links": dict(self.links), "texts": dict(self.texts),
            **({"workdir": self.workdir} if self.workdir != "/" else {}),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> LibraryIndex:
        if d.get("format") != FORMAT:
            raise ValueError(f"library index format {d.get('format')} (expected {FORMAT})")
        return cls(
            image=d["image"], image_id=d["image_id"], libc=d["libc"],
            libc_version=d["libc_version"], machine=d["machine"], elf_class=d["class"],
            little_endian=d["le"], rtld=d["rtld"], trusted_dirs=tuple(d["trusted_dirs"]),
            dst_lib=d["dst_lib"],
            ld_library_path=tuple(d["ld_library_path"]),
            cache=tuple(CacheEntry(n, p, f, h) for n, p, f, h in d["ld_cache"]),
            musl_path=tuple(d["musl_path"]), conf_dirs=tuple(d["conf_dirs"]),
            programs=tuple(d["programs"]),
            objects=tuple((p, ElfObject.from_json(p, o) if o is not None else None)
                          for p, o in sorted(d["objects"].items())),
            links=tuple(sorted(d["links"].items())), texts=tuple(sorted(d["texts"].items())),
            workdir=d.get("workdir", "/"),
        )

    def dumps(self) -> str:
        """JSON with one line per top-level key, per object and per cache entry (for diffs)."""
        d = self.to_json()
        lines = []
        for key in sorted(d):
            value = d[key]
            if isinstance(value, dict) and value:
                items = [f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}"
                         for k, v in sorted(value.items())]
                lines.append(f"{json.dumps(key)}: {{\n" + ",\n".join(items) + "\n}")
            elif isinstance(value, list) and value and key == "ld_cache":
                items = [f"  {json.dumps(v)}" for v in value]
                lines.append(f"{json.dumps(key)}: [\n" + ",\n".join(items) + "\n]")
            else:
                lines.append(f"{json.dumps(key)}: {json.dumps(value)}")
        return "{\n" + ",\n".join(lines) + "\n}\n"


def glibc_version(objects: dict[str, ElfObject | None]) -> str:
    """The glibc version of a set of objects: the newest ``GLIBC_x.y`` libc.so.6 defines."""
    for obj in objects.values():
        if obj is not None and obj.soname == "libc.so.6":
            versions = [v for v in obj.version_defs if v.startswith("GLIBC_") and v[6:7].isdigit()]
            if versions:
                return max(versions, key=version_key)[len("GLIBC_"):]
    return ""


# -- the disk cache -----------------------------------------------------------------------
def cache_dir() -> Path | None:
    """Where indexes read from images are kept (a private folder), or None: no cache."""
    from restybuild.cachedir import private_dir

    folder = private_dir("libindex")
    return Path(folder) if folder else None


def _id_file(image_id: str) -> Path | None:
    folder = cache_dir()
    return folder / f"{image_id.replace('sha256:', '')}.json" if folder else None


def _ref_file(ref: str) -> Path | None:
    folder = cache_dir()
    return folder / f"ref-{hashlib.sha256(ref.encode()).hexdigest()[:32]}.json" if folder \
        else None


def load_cached(image_id: str) -> LibraryIndex | None:
    """The cached index of `image_id`, or None (missing, unreadable or of another format)."""
    path = _id_file(image_id)
    if path is None:
        return None
    try:
        return LibraryIndex.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(index: LibraryIndex, ref: str | None = None) -> None:
    """Cache `index` by image ID, and remember that `ref` named that image."""
    path = _id_file(index.image_id)
    if path is None:
        return
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(index.dumps())
    tmp.replace(path)
    if ref:
        remember_ref(ref, index.image_id)


def remember_ref(ref: str, image_id: str) -> None:
    rf = _ref_file(ref)
    if rf is not None:
        rf.write_text(json.dumps({"ref": ref, "image_id": image_id}) + "\n")


def cached_for_ref(ref: str) -> LibraryIndex | None:
    """The cached index of the image `ref` named when it was last read, or None."""
    rf = _ref_file(ref)
    if rf is None:
        return None
    try:
        data = json.loads(rf.read_text())
    except (OSError, ValueError):
        return None
    if data.get("ref") != ref:
        return None
    return load_cached(str(data.get("image_id", "")))


@lru_cache(maxsize=8)
def load_snapshot(path: str) -> LibraryIndex:
    """A snapshot a base recipe ships (``library_index``)."""
    return LibraryIndex.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
