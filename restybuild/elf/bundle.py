"""Decide what to bundle: resolve natives against a base, take what it lacks from search folders.

The algorithm, for every native at once (they share one bundle folder):

1. Simulate the final image: the base's files, each native at its image
   path, and every library chosen so far at ``BUNDLE_DIR/NAME``, with
   ``BUNDLE_DIR`` first on ``LD_LIBRARY_PATH``. In it, start nginx (the main
   program, whose RPATH every ``dlopen`` chain ends with), ``dlopen`` its
   dynamic modules, then ``dlopen`` the native, as lua-nginx-module's
   ``require`` does; that gives the native's closure (:mod:`restybuild.elf.loader`).
2. Each name still not found is looked for in that native's ``search``
   folders, in order; the first file of the right class and machine is
   chosen (one of another class or machine would be skipped by ld.so in the
   bundle folder, so it is skipped here too).
3. Repeat until nothing is added, so a bundled library's own needs are
   followed, and so is any change a bundled library makes to another
   native's resolution. Then the closures are computed once more: they are
   exactly what the image will load, and say where each library comes from.

A base whose libraries are unknown (no index) gets the first-cut behaviour:
what the search folders hold is bundled, its needs followed, and every other
name is assumed to come from the base.
"""

from __future__ import annotations

import posixpath
from collections.abc import Hashable, Sequence

from restybuild.elf.fs import FileSystem, OverlayFS
from restybuild.elf.loader import Closure, Loader, LoaderEnv, Session
from restybuild.elf.reader import ElfObject, NotElf, read_elf
from restybuild.elf.verify import refusal
from restybuild.records import dataclass, field, replace

BUNDLE_DIR = "/usr/local/lib/restybuild"


@dataclass(frozen=True)
class BaseSpec:
    """What natives are resolved against: a base image (indexed or not), or the host."""

    label: str  # "the base image X" says X
    libc: str
    libc_version: str
    machine: int
    elf_class: int
    little_endian: bool
    env: LoaderEnv | None = None  # None: the base's libraries are unknown
    fs: FileSystem | None = None
    nginx: str | None = None  # the main program natives are dlopen'd into
    modules: tuple[str, ...] = ()  # nginx dynamic modules, loaded before any native
    conf_dirs: tuple[str, ...] = ()
    as_main: bool = False  # load each native as the program (ldd's view), not dlopen'd
    source: str = ""  # where the facts come from, for notes

    @property
    def abi(self) -> tuple[int, bool, int]:
        return (self.elf_class, self.little_endian, self.machine)


@dataclass(frozen=True)
class SearchDir:
    label: str  # as the Restyfile or the command line spells it
    path: str  # the folder on this machine


@dataclass(frozen=True)
class NativeInput:
    host_path: str
    image_path: str
    obj: ElfObject
    search: tuple[SearchDir, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """A file of a search folder chosen to provide one name."""

    name: str
    label: str  # search folder label + name
    path: str  # the real file on this machine
    digest: str
    obj: ElfObject


@dataclass(frozen=True)
class Resolved:
    native: NativeInput
    closure: Closure | None  # in the simulated image; None when the base is unknown
    bundled: tuple[Candidate, ...]  # the bundled libraries this native loads
    skipped: tuple[tuple[str, tuple[str, ...]], ...]  # name -> search-folder files passed over
    escaping: tuple[str, ...]  # search-folder files that lead outside the project
    assumed: tuple[str, ...] = ()  # unknown base: names left to the base


@dataclass
class _State:
    bundles: dict[str, Candidate] = field(default_factory=dict)
    skipped: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    escaping: dict[str, list[str]] = field(default_factory=dict)
    objects: dict[Hashable, ElfObject | str] = field(default_factory=dict)


def resolve(spec: BaseSpec, natives: Sequence[NativeInput], *, confine: str | None = None,
            bundle_dir: str = BUNDLE_DIR) -> tuple[tuple[Resolved, ...], tuple[Candidate, ...]]:
    """Closures of `natives` and the libraries to bundle, in name order.

    `confine`: a folder no search-folder file may lead out of (the project). Each native is
    resolved once for each set of bundled libraries it is resolved against: once when
    nothing is bundled, or when the last pass bundled nothing new.
    """
    st = _State()
    if spec.env is None or spec.fs is None:
        return _unknown_base(spec, natives, st, confine), tuple(
            st.bundles[k] for k in sorted(st.bundles))
    world = _World(spec, natives, st, bundle_dir)
    done: dict[int, tuple[int, Closure]] = {}  # native -> (bundles count, its closure)
    changed = True
    while changed:
        changed = False
        for i, nat in enumerate(natives):
            if i in done and done[i][0] == len(st.bundles):
                continue  # resolved against these very bundles already
            closure = world.closure(nat)
            done[i] = (len(st.bundles), closure)
            for lk in closure.missing:
                if lk.error or lk.name in st.bundles or "/" in lk.name:
                    continue
                if _bundle(spec, nat, lk.name, st, confine):
                    changed = True
    out = []
    for i, nat in enumerate(natives):
        closure = done[i][1] if done[i][0] == len(st.bundles) else world.closure(nat)
        used = {posixpath.basename(o.path) for o in closure.objects
                if posixpath.dirname(o.path) == bundle_dir}
        out.append(Resolved(nat, closure, tuple(st.bundles[n] for n in sorted(used)),
                            tuple(sorted(st.skipped.get(nat.host_path, {}).items())),
                            tuple(st.escaping.get(nat.host_path, ()))))
    return tuple(out), tuple(st.bundles[k] for k in sorted(st.bundles))


def session_for(spec: BaseSpec, fs: FileSystem, env: LoaderEnv,
                objects: dict[Hashable, ElfObject | str] | None = None,
                loader: Loader | None = None) -> Session:
    """A process of the base: nginx started and its dynamic modules loaded, when known.
    `loader`: one already made for `fs` and `env` (its caches are reused)."""
    loader = loader if loader is not None else Loader(env, fs, objects)
    if spec.nginx and not spec.as_main and fs.identity(spec.nginx) is not None:
        s = loader.session()
        s.load_main(spec.nginx, executed=True)
        for module in spec.modules:
            if fs.identity(module) is not None:
                s.dlopen(module)
        return s
    return loader.session(None if spec.as_main else spec.abi)


class _World:
    """The simulated image of one :func:`resolve`: its loader, made again only when the
    bundled libraries change (the ld.so.cache index and the facts read are kept)."""

    def __init__(self, spec: BaseSpec, natives: Sequence[NativeInput], st: _State,
                 bundle_dir: str) -> None:
        assert spec.env is not None and spec.fs is not None
        self.spec, self.st, self.bundle_dir = spec, st, bundle_dir
        self.natives = {n.image_path: n.host_path for n in natives}
        self.env = spec.env.with_ld_library_path((bundle_dir, *spec.env.ld_library_path))
        for n in natives:  # their facts are known: never read them again
            norm = posixpath.normpath(n.image_path)
            st.objects.setdefault(OverlayFS.key(norm), n.obj if n.obj.path == norm
                                  else replace(n.obj, path=norm))
        self.loader: Loader | None = None
        self.bundles = -1

    def closure(self, nat: NativeInput) -> Closure:
        """`nat` dlopen'd into nginx (or loaded as the program) in the image as it is now."""
        assert self.spec.fs is not None
        if self.loader is None or self.bundles != len(self.st.bundles):
            overlay = dict(self.natives)
            overlay.update({f"{self.bundle_dir}/{name}": c.path
                            for name, c in self.st.bundles.items()})
            fs = OverlayFS(self.spec.fs, overlay)
            self.loader = (self.loader.with_fs(fs) if self.loader is not None
                           else Loader(self.env, fs, self.st.objects))
            self.bundles = len(self.st.bundles)
        s = session_for(self.spec, self.loader.fs, self.env, loader=self.loader)
        return s.load_main(nat.image_path) if self.spec.as_main else s.dlopen(nat.image_path)


def _bundle(spec: BaseSpec, nat: NativeInput, name: str, st: _State,
            confine: str | None) -> bool:
    cand, notes, escaping = find_in_search(nat.search, name, spec.abi, confine, spec.libc)
    if notes:
        st.skipped.setdefault(nat.host_path, {})[name] = notes
    if escaping:
        st.escaping.setdefault(nat.host_path, []).extend(escaping)
    if cand is None:
        return False
    st.bundles[name] = cand
    return True


def find_in_search(search: Sequence[SearchDir], name: str, abi: tuple[int, bool, int],
                   confine: str | None = None, libc: str = "glibc",
                   ) -> tuple[Candidate | None, tuple[str, ...], tuple[str, ...]]:
    """The first usable `name` in the `search` folders; notes on files passed over."""
    import hashlib  # not at the top: `restybuild deps` without --search needs neither
    from pathlib import Path

    notes: list[str] = []
    escaping: list[str] = []
    for d in search:
        path = Path(d.path) / name
        label = f"{d.label.rstrip('/')}/{name}"
        if not path.is_file():
            continue
        real = path.resolve()
        if confine is not None:
            top = Path(confine).resolve()
            if real != top and top not in real.parents:
                escaping.append(f"{label} points outside the project (to {real})")
                continue
        try:
            obj = read_elf(real, name=str(real))
        except (NotElf, OSError) as e:
            notes.append(f"{label}: not a loadable ELF file ({e})")
            continue
        if (obj.elf_class, obj.little_endian, obj.machine) != abi:
            notes.append(f"{label} skipped: it is {obj.kind}, as ld.so would skip it")
            continue
        refused = refusal(obj, abi, libc)
        if refused is not None:  # in the bundle folder, it would end the loader's search
            notes.append(f"{label}: the loader cannot load it ({refused})")
            continue
        digest = hashlib.sha256(real.read_bytes()).hexdigest()
        return Candidate(name, label, str(real), digest, obj), tuple(notes), tuple(escaping)
    return None, tuple(notes), tuple(escaping)


def _unknown_base(spec: BaseSpec, natives: Sequence[NativeInput], st: _State,
                  confine: str | None) -> tuple[Resolved, ...]:
    out = []
    for nat in natives:
        assumed: list[str] = []
        used: list[str] = []
        queue = [nat.obj]
        seen: set[str] = set()
        while queue:
            obj = queue.pop(0)
            for name in obj.needed:
                if name in seen:
                    continue
                seen.add(name)
                if name not in st.bundles and ("/" in name or not _bundle(
                        spec, nat, name, st, confine)):
                    assumed.append(name)
                    continue
                used.append(name)
                queue.append(st.bundles[name].obj)
        out.append(Resolved(nat, None, tuple(st.bundles[n] for n in sorted(used)),
                            tuple(sorted(st.skipped.get(nat.host_path, {}).items())),
                            tuple(st.escaping.get(nat.host_path, ())), tuple(assumed)))
    return tuple(out)
