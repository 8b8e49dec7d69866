"""Read an image's library index through the Docker SDK, without running anything in it.

A container is created from the image (never started, no network) and its
files are read with the archive API: ``HEAD .../archive`` to follow symlinks
one path component at a time, ``GET .../archive`` (``container.get_archive``)
to stream the tar of each folder the loader searches. The result is cached
on disk by image ID (:func:`restybuild.elf.libindex.store`).
"""

from __future__ import annotations

import base64
import io
import json
import posixpath
import tarfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from restybuild.elf import libindex
from restybuild.elf.ldcache import (
    FALLBACK_TRUSTED,
    CacheEntry,
    dst_lib_of,
    musl_arch,
    musl_path,
    parse_ld_cache,
    trusted_dirs_from_ldso,
)
from restybuild.elf.libindex import LibraryIndex, glibc_version
from restybuild.elf.paths import in_cwd
from restybuild.elf.reader import ElfObject, NotElf, parse_elf
from restybuild.errors import DockerUnavailable

RTLDS = ("/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1", "/lib/ld-musl-x86_64.so.1",
         "/lib/ld-musl-aarch64.so.1", "/lib/ld-linux.so.2", "/lib/ld-linux-armhf.so.3")
#: Where nginx lives in the common images, read when the caller names none.
NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/openresty/nginx/sbin/nginx", "/usr/bin/openresty",
               "/usr/local/nginx/sbin/nginx")


class _Chunks(io.RawIOBase):
    """A file object over an iterator of byte chunks (a streamed HTTP body)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it: Iterator[bytes] = iter(chunks)
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            try:
                self._buf = next(self._it)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


class ImageFiles:
    """The files of one created container, read through the archive API."""

    def __init__(self, client: Any, container: Any) -> None:
        self.client = client
        self.container = container
        self._stats: dict[str, dict[str, Any] | None] = {}
        self.links: dict[str, str] = {}

    def stat(self, path: str) -> dict[str, Any] | None:
        if path not in self._stats:
            api = self.client.api
            res = api.head(api._url("/containers/{0}/archive", self.container.id),
                           params={"path": path})
            header = res.headers.get("X-Docker-Container-Path-Stat") if res.ok else None
            self._stats[path] = json.loads(base64.b64decode(header)) if header else None
        return self._stats[path]

    def real(self, path: str) -> str | None:
        """`path` with every symlink followed, component by component; None if missing."""
        done = "/"
        for part in [p for p in path.split("/") if p]:
            here = posixpath.join(done, part)
            st = self.stat(here)
            if st is None:
                return None
            target = st.get("linkTarget") or ""
            if target:
                self.links[here] = target
                done = posixpath.normpath(target)
            else:
                done = here
        return done

    def read_file(self, path: str) -> bytes | None:
        real = self.real(path)
        if real is None:
            return None
        from docker.errors import NotFound

        try:
            stream, _stat = self.container.get_archive(real)
        except NotFound:
            return None
        with tarfile.open(fileobj=io.BufferedReader(_Chunks(stream)), mode="r|") as tar:
            for member in tar:
                if member.isfile():
                    fh = tar.extractfile(member)
                    return fh.read() if fh else None
        return None

    def walk(self, top: str) -> Iterator[tuple[str, str, str, bytes | None]]:
        """(path, kind, link, data) for every entry of real path `top` and below.

        `kind` is file, symlink, hardlink or other; `link` the symlink's text or
        the hard link's absolute target; `data` the bytes of ``*.so*`` files.
        """
        stream, _stat = self.container.get_archive(top)
        parent = posixpath.dirname(top.rstrip("/")) or "/"
        with tarfile.open(fileobj=io.BufferedReader(_Chunks(stream), 1 << 20), mode="r|") as tar:
            for member in tar:
                path = posixpath.normpath(posixpath.join(parent, member.name))
                if member.issym():
                    yield path, "symlink", member.linkname, None
                elif member.islnk():
                    yield path, "hardlink", posixpath.normpath(
                        posixpath.join(parent, member.linkname)), None
                elif member.isfile():
                    data = None
                    if ".so" in posixpath.basename(path):
                        fh = tar.extractfile(member)
                        data = fh.read() if fh else None
                    yield path, "file", "", data
                else:
                    yield path, "other", "", None


def read_index(client: Any, ref: str, programs: Iterable[str] = (), *,
               only: Iterable[str] | None = None, recursive: Iterable[str] = (),
               use_cache: bool = True) -> LibraryIndex:
    """The library index of local image `ref` (never pulled), cached by image ID.

    `programs` (nginx, its modules) are indexed too. With `only`, just those
    folders and files are read (the rest of the index is left empty): the
    layers a build added on top of an indexed base; folders of `recursive`
    are read with their subfolders (a rocks tree).
    """
    from docker.errors import ImageNotFound

    try:
        image = client.images.get(ref)
    except ImageNotFound:
        raise DockerUnavailable(f"the image {ref} is not on this Docker engine",
                                hint="build or load it first; restybuild never pulls") from None
    programs = tuple(dict.fromkeys(programs))
    if use_cache and only is None:
        cached = libindex.load_cached(image.id)
        if cached is not None and set(programs) <= set(cached.programs):
            libindex.remember_ref(ref, image.id)
            return cached
    config = image.attrs.get("Config") or {}
    env = dict(e.split("=", 1) for e in config.get("Env") or () if "=" in e)
    # `ENV LD_LIBRARY_PATH=/x:$LD_LIBRARY_PATH` leaves an empty element: the working folder
    llp = tuple(env["LD_LIBRARY_PATH"].split(":")) if env.get("LD_LIBRARY_PATH") else ()
    workdir = config.get("WorkingDir") or "/"
    from restybuild.engine import throwaway

    with throwaway(client, image.id, ["/restybuild-index"], entrypoint=[]) as container:
        files = ImageFiles(client, container)
        index = _read(files, ref, image.id, programs, llp, only, tuple(recursive), workdir)
    if only is None:
        libindex.store(index, ref)
    return index


def _read(files: ImageFiles, ref: str, image_id: str, programs: tuple[str, ...],
          llp: tuple[str, ...], only: Iterable[str] | None,
          recursive: tuple[str, ...] = (), workdir: str = "/") -> LibraryIndex:
    objects: dict[str, ElfObject | None] = {}
    texts: dict[str, str] = {}

    def add(path: str, data: bytes) -> ElfObject | None:
        try:
            obj: ElfObject | None = parse_elf(data, path)
        except NotElf:
            obj = None
        objects[path] = obj
        return obj

    candidates = list(dict.fromkeys([*programs, *NGINX_PATHS])) if only is None else []
    for prog in candidates if not programs else list(programs):
        real = files.real(prog) if only is None else None
        data = files.read_file(prog) if real else None
        if real and data is not None:
            add(real, data)
    found_programs = tuple(p for p in candidates if (files.real(p) or "") in objects)
    rtld = next((o.interp for o in objects.values() if o is not None and o.interp), None)
    if rtld is None and only is None:
        rtld = next((r for r in RTLDS if files.real(r)), None)
    ref_obj = next((o for o in objects.values() if o is not None), None)
    machine = ref_obj.machine if ref_obj else 62
    elf_class = ref_obj.elf_class if ref_obj else 64
    libc = "musl" if rtld and "ld-musl-" in rtld else "glibc"
    trusted: tuple[str, ...] = ()
    cache: tuple[Any, ...] = ()
    mpath: tuple[str, ...] = ()
    conf_dirs: tuple[str, ...] = ()
    if only is not None:
        dirs = [*only, *recursive]
    elif libc == "glibc":
        trusted, cache, conf_dirs = _read_glibc(files, rtld, machine, add)
        dirs = [*(in_cwd(d, workdir) for d in llp), *trusted, *conf_dirs,
                *(posixpath.dirname(e.path) for e in cache)]
    else:
        mpath = _read_musl(files, machine, elf_class, texts)
        dirs = [*(in_cwd(d, workdir) for d in llp if d), *mpath]
    _read_dirs(files, dirs, add, recursive)
    links = dict(files.links)
    return LibraryIndex(
        image=ref, image_id=image_id, libc=libc,
        libc_version=glibc_version(objects) if libc == "glibc" else "",
        machine=machine, elf_class=elf_class,
        little_endian=ref_obj.little_endian if ref_obj else True, rtld=rtld,
        trusted_dirs=trusted, dst_lib=dst_lib_of(trusted),
        ld_library_path=llp, cache=cache, musl_path=mpath, conf_dirs=conf_dirs, workdir=workdir,
        programs=found_programs, objects=tuple(sorted(objects.items())),
        links=tuple(sorted(links.items())), texts=tuple(sorted(texts.items())))


def _read_glibc(files: ImageFiles, rtld: str | None, machine: int,
                add: Callable[[str, bytes], ElfObject | None]
                ) -> tuple[tuple[str, ...], tuple[CacheEntry, ...], tuple[str, ...]]:
    """What glibc's ld.so knows: its trusted folders (read from `rtld`, which is indexed),
    ``/etc/ld.so.cache``, and the folders ``/etc/ld.so.conf`` names."""
    trusted: tuple[str, ...] = ()
    rtld_data = files.read_file(rtld) if rtld else None
    if rtld and rtld_data is not None:
        trusted = trusted_dirs_from_ldso(rtld_data)
        add(files.real(rtld) or rtld, rtld_data)
    trusted = trusted or FALLBACK_TRUSTED.get(machine, ("/lib", "/usr/lib"))
    cache = parse_ld_cache(files.read_file("/etc/ld.so.cache") or b"")
    return trusted, cache, _conf_dirs(files)


def _read_musl(files: ImageFiles, machine: int, elf_class: int,
               texts: dict[str, str]) -> tuple[str, ...]:
    """musl's folders: its path file (kept in `texts`) if the image has one, else the
    defaults."""
    pfile = f"/etc/ld-musl-{musl_arch(machine, elf_class)}.path"
    raw = files.read_file(pfile)
    if raw is not None:
        texts[pfile] = raw.decode("utf-8", "replace")
    return musl_path(texts.get(pfile))


def _read_dirs(files: ImageFiles, paths: Iterable[str], add: Any,
               recursive: Iterable[str] = ()) -> None:
    """Index the .so files directly in each folder (or each file) of `paths`, and below
    the folders of `recursive`."""
    deep = tuple(r.rstrip("/") + "/" for r in (files.real(p) for p in recursive) if r)
    wanted: dict[str, bool] = {}  # real path -> is a folder
    for p in dict.fromkeys(paths):
        real = files.real(p)
        st = files.stat(real) if real else None
        if real and st:
            wanted[real] = bool(int(st.get("mode", 0)) & (1 << 31))  # Go's os.ModeDir
    tops = [d for d in sorted(wanted)
            if not any(d != o and d.startswith(o.rstrip("/") + "/") for o in wanted)]
    pending: list[str] = []
    for top in tops:
        for path, kind, link, data in files.walk(top):
            if not (wanted.get(posixpath.dirname(path)) or path in wanted
                    or path.startswith(deep)):
                continue
            if kind == "symlink":
                files.links[path] = link
                pending.append(path)
            elif kind == "hardlink":
                files.links[path] = link
            elif data is not None:
                add(path, data)
    # symlinks that leave the folders read: read their targets one by one
    from restybuild.elf.fs import resolve_links

    for link in pending:
        target = resolve_links(link, files.links)
        if target is None or any(target.startswith(t.rstrip("/") + "/") for t in tops):
            continue
        data = files.read_file(target)
        real = files.real(target)
        if data is not None and real is not None:
            add(real, data)


def _conf_dirs(files: ImageFiles) -> tuple[str, ...]:
    """The folders ``/etc/ld.so.conf`` names (with its ``include`` globs)."""
    import fnmatch

    out: list[str] = []
    text = (files.read_file("/etc/ld.so.conf") or b"").decode("utf-8", "replace")
    included: list[str] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("include "):
            included.append(line.split(None, 1)[1])
        elif line.startswith("/"):
            out.append(line)
    for pattern in included:
        folder = posixpath.dirname(pattern)
        real = files.real(folder)
        if real is None:
            continue
        for path, kind, _link, _data in files.walk(real):
            if kind == "file" and fnmatch.fnmatch(posixpath.basename(path),
                                                    posixpath.basename(pattern)):
                body = (files.read_file(path) or b"").decode("utf-8", "replace")
                out += [ln.split("#", 1)[0].strip() for ln in body.splitlines()
                        if ln.strip().startswith("/")]
    return tuple(dict.fromkeys(out))
