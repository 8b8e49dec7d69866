"""Plan the build: stages, layers and their order. Pure and deterministic.

The final stage starts from the runtime base and receives, in this order (most
stable first, so an edit to Lua code rebuilds only the last layer):

1. runtime system packages (one RUN, caches removed in the same step);
2. the rocks tree, installed in the builder stage at its final path and copied;
3. the natives and the libraries bundled for them;
4. the effective nginx configuration;
5. the Lua code.

The natives are planned from their exact closure against the base image
(:mod:`restybuild.natives`): a library the base provides is not copied,
one the base lacks is taken from the native's ``search`` folders (and its own
needs followed), one found nowhere is an error at the ``native`` statement.

Bundled libraries go into one folder, :data:`BUNDLE_DIR`, that the loader
searches through ``LD_LIBRARY_PATH``: an ENV costs no layer, needs no
``ldconfig`` run (which would rewrite ``/etc/ld.so.cache`` into a layer and
needs a shell in the image) and no patching of the user's binaries (a
``DT_RUNPATH`` would have to be added to each native, and RUNPATH is not
inherited: a bundled library's own needs would not see it). The loader reads
``LD_LIBRARY_PATH`` once, at start: nginx workers are forked, so they keep it
even though nginx clears its environment for them. ``LD_LIBRARY_PATH`` is
searched before RUNPATH and ``ld.so.cache``, so only names the base lacks are
bundled, and nothing of the base is shadowed; the base's own
``LD_LIBRARY_PATH`` (the recipe's, else the one its library index read from
the image) follows ``BUNDLE_DIR``; the planner's final pass
resolves every native in the image as it will be (bundle folder included) and
reports where each library comes from.
"""

from __future__ import annotations

import hashlib
import posixpath
import shlex
from pathlib import Path

from restybuild.basefacts import BaseFacts
from restybuild.conf.effective import RUN_DIR, RUN_USER, EffectiveConf, effective_conf
from restybuild.context import MTIME, ContextEntry, walk_folder
from restybuild.elf.bundle import BUNDLE_DIR
from restybuild.elf.libindex import LibraryIndex
from restybuild.errors import ConfigError
from restybuild.lock import lock_path
from restybuild.model import Project
from restybuild.natives import NativesPlan, plan_natives
from restybuild.records import dataclass, replace
from restybuild.source import SourceTree

__all__ = ["BUNDLE_DIR", "ROCKS_STAGE", "BuildPlan", "Layer", "plan"]
ROCKS_STAGE = "/tmp/restybuild/rocks"
ROCKS_OUT = "/tmp/restybuild/out"  # the rocks tree as the final stage copies it, onto /

INSTALL = {
    "apt": "apt-get update && apt-get install -y --no-install-recommends {pkgs} "
           "&& rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb",
    "apk": "apk add --no-cache {pkgs}",
    "yum": "yum install -y {pkgs} && yum clean all && rm -rf /var/cache/yum",
    "dnf": "dnf install -y {pkgs} && dnf clean all && rm -rf /var/cache/dnf",
    "microdnf": "microdnf install -y {pkgs} && microdnf clean all",
}


@dataclass(frozen=True)
class Layer:
    """A folder of the build context copied onto the image's root in one COPY."""

    name: str
    comment: str


@dataclass(frozen=True)
class BuildPlan:
    name: str
    restyfile: str
    runtime_image: str
    builder_image: str | None
    prefix: str
    nginx: str
    conf_main: str
    workers: int | None
    rocks_tree: str | None
    rocks_context: bool  # the context has a rocks/ folder to copy into the build stage
    build_packages_cmd: str | None
    runtime_packages_cmd: str | None
    rock_installs: tuple[str, ...]
    #: copies the installed rocks tree under ROCKS_OUT (its parent folders too), every file
    #: at the context's fixed time (MTIME): the final stage copies ROCKS_OUT onto its root
    rocks_times_cmd: str | None
    layers: tuple[Layer, ...]
    ld_library_path: str | None
    env: tuple[tuple[str, str], ...]
    expose: tuple[int, ...]
    stop_signal: str
    labels: tuple[tuple[str, str], ...]
    cmd: tuple[str, ...]
    natives: tuple[str, ...]  # image paths of the natives, for verification
    probes: tuple[tuple[str, str, int], ...]  # (kind, path, port), checked in the boot check
    context: tuple[ContextEntry, ...]
    effective: EffectiveConf
    warnings: tuple[str, ...] = ()  # rendered `file:line:col: warning: ...` messages
    user: str = RUN_USER  # the image's USER: non-root, group 0
    data: tuple[str, ...] = ()  # folders written at run time (a tmpfs, an emptyDir)
    modules_image: str | None = None  # where the files of `module` lines come from
    module_files: tuple[str, ...] = ()  # their .so files, at the same path in the image

    @property
    def rocks_out(self) -> str:
        return ROCKS_OUT

    @property
    def module_copies(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(folder, files) of the module files, one COPY per folder."""
        folders: dict[str, list[str]] = {}
        for f in self.module_files:
            folders.setdefault(posixpath.dirname(f), []).append(f)
        return tuple((d, tuple(fs)) for d, fs in sorted(folders.items()))


def _install_cmd(manager: str, pkgs: list[str]) -> str | None:
    if not pkgs:
        return None
    return INSTALL[manager].format(pkgs=" ".join(shlex.quote(p) for p in sorted(set(pkgs))))


def plan(project: Project, index: LibraryIndex | None,
         tree: SourceTree | None = None, facts: BaseFacts | None = None) -> BuildPlan:
    """Turn a resolved project into a build plan. Pure: what it reads of the project goes
    through `tree`, what it knows of the base comes from `index` and `facts` (the command
    layer chose them, :mod:`restybuild.lock`); no Docker, no machine-local cache. A runtime
    package the base facts say the base has gets no package step."""
    p = project
    tree = tree if tree is not None else SourceTree()
    effective = effective_conf(p, tree)
    ctx: list[ContextEntry] = []
    rocks = _rocks_stage(p, tree, ctx)
    if facts is not None:
        rocks = replace(rocks, runtime_packages=tuple(
            pkg for pkg in rocks.runtime_packages if pkg not in facts.packages))
    layers: list[Layer] = []
    natives = _natives_layer(p, index, ctx, tree)
    if p.natives:
        layers.append(Layer("natives", "Lua C modules and the libraries bundled for them"))
    root = Path(p.root)
    skip = {str(Path(p.restyfile).absolute()), str(lock_path(Path(p.restyfile).absolute()))}
    # assets (`files`), then the whole conf folder, then the Lua code: it changes most often
    for name, copies, comment in (("files", p.files, "files shipped as they are"),
                                  ("conf", (p.conf,) if p.conf else (),
                                   "the conf folder, with the effective nginx configuration"),
                                  ("app", p.lua, "the Lua code")):
        for c in copies:
            entries = walk_folder(tree, root, c.src, f"layers/{name}{c.dst}", c.span, skip)
            # an empty folder (a Lua folder to be filled later) still gives its destination,
            # and the layer its folder: `COPY layers/NAME/ /` fails on a missing source
            ctx += entries or [ContextEntry(f"layers/{name}{c.dst}", is_dir=True)]
        if copies or name == "conf":
            layers.append(Layer(name, comment))
    _effective_files(ctx, effective)
    # what nginx expects and writes: the prefix's logs folder, the run folder, data folders
    ctx.append(ContextEntry(f"layers/conf{p.prefix}/logs", is_dir=True))
    for d in (RUN_DIR, *(d.path for d in p.data)):
        ctx.append(ContextEntry(f"layers/conf{d}", is_dir=True, group_writable=True))
    _no_twice(ctx)
    return _assemble(p, tree, effective, rocks, natives, tuple(layers), ctx)


def _effective_files(ctx: list[ContextEntry], effective: EffectiveConf) -> None:
    """The edited conf files in place of the user's (the layer their folder is in)."""
    by_image = {e.arcname.split("/", 2)[2]: i for i, e in enumerate(ctx)
                if e.arcname.startswith("layers/")}
    for f in effective.files:
        if not f.generated:
            continue
        at = by_image.get(f.image_path.lstrip("/"))
        entry = ContextEntry(ctx[at].arcname if at is not None else
                             f"layers/conf{f.image_path}", data=f.text.encode())
        if at is not None:
            ctx[at] = entry
        else:
            ctx.append(entry)


def _no_twice(ctx: list[ContextEntry]) -> None:
    """A path of the image comes from one place only."""
    seen: dict[str, ContextEntry] = {}
    for e in ctx:
        if e.is_dir or not e.arcname.startswith("layers/"):
            continue
        image = "/" + e.arcname.split("/", 2)[2]
        if image in seen:
            other = seen[image]
            raise ConfigError(f"{image} would come from two places: {other.source or 'restybuild'}"
                              f" and {e.source or 'restybuild'}",
                              hint="rename one of them, or give its folder another destination")
        seen[image] = e


@dataclass(frozen=True)
class _Rocks:
    installs: tuple[str, ...]
    build_packages: tuple[str, ...]
    runtime_packages: tuple[str, ...]


def _rocks_stage(p: Project, tree: SourceTree, ctx: list[ContextEntry]) -> _Rocks:
    """The builder stage's `luarocks install` lines (rocks at their final path)."""
    if p.rocks is None:
        return _Rocks((), (), ())
    r, fl, root = p.rocks, p.flavor, Path(p.root)
    server_args: list[str] = []
    if r.server and r.server_is_url:
        server_args = [f"--server={r.server}"]
    elif r.server:
        ctx += walk_folder(tree, root, r.server, "rocks/server", r.span)
        server_args = [f"--only-server={ROCKS_STAGE}/server"]
    variables = [f"{k}={v}" for k, v in fl.luarocks_vars]
    installs = []
    for index, rock in enumerate(r.rocks):
        if rock.path is not None:
            # one folder per rock: two rocks may have the same file name
            arc = f"rocks/files/{index}/{posixpath.basename(rock.path)}"
            ctx.append(ContextEntry(arc, source=str(root / rock.path)))
            what = [f"{ROCKS_STAGE}/{arc.removeprefix('rocks/')}"]
        else:
            assert rock.name is not None and rock.version is not None
            what = [rock.name, rock.version]
        args = [*fl.luarocks.split(), f"--tree={r.tree}", "install", *server_args,
                *what, *variables]
        installs.append(" ".join(shlex.quote(a) for a in args))
    return _Rocks(tuple(installs), tuple(s.build for s in r.system),
                  tuple(s.runtime for s in r.system if s.runtime))


def _rocks_out_cmd(tree: str) -> str:
    """The rocks tree and its parents under ROCKS_OUT, root-owned, 0755 folders and one
    time (the context's): the layer the final stage copies is the same whenever and
    wherever it is built (``COPY`` of a folder's contents would give the folder itself
    the time of the build)."""
    parent = posixpath.dirname(tree.rstrip("/"))
    chain = [ROCKS_OUT + "/".join(parent.split("/")[:i]) for i in range(1, parent.count("/") + 2)]
    return (f"mkdir -p {shlex.quote(ROCKS_OUT + parent)} && "
            f"cp -a {shlex.quote(tree.rstrip('/'))} {shlex.quote(ROCKS_OUT + parent)}/ && "
            f"chmod 755 {' '.join(map(shlex.quote, chain))} && "
            f"find {ROCKS_OUT} -exec touch -h -d @{MTIME} {{}} +")


def _natives_layer(p: Project, index: LibraryIndex | None, ctx: list[ContextEntry],
                   tree: SourceTree) -> NativesPlan | None:
    """The natives and the libraries bundled for them (their closure against the base)."""
    if not p.natives:
        return None
    natives = plan_natives(p, index, tree)
    errors = [f for f in natives.findings if f.severity == "error"]
    if errors:
        raise errors[0].error()
    root = Path(p.root)
    for n in p.natives:
        target = posixpath.join(n.dst, posixpath.basename(n.src))
        ctx.append(ContextEntry(f"layers/natives{target}", source=str(root / n.src)))
    for lib in natives.bundles:
        ctx.append(ContextEntry(f"layers/natives{BUNDLE_DIR}/{lib.name}", source=lib.path))
    return natives


def _assemble(p: Project, tree: SourceTree, effective: EffectiveConf, rocks: _Rocks,
              natives: NativesPlan | None, layers: tuple[Layer, ...],
              ctx: list[ContextEntry]) -> BuildPlan:
    fl = p.flavor
    ld_path = None
    if natives is not None and natives.bundles:
        ld_path = ":".join((BUNDLE_DIR, *(fl.ld_library_path or natives.ld_library_path)))
    digest = hashlib.sha256(tree.read_bytes(p.restyfile)).hexdigest()
    labels = (
        ("io.restybuild.base", fl.label if not p.base.image else p.runtime_image),
        ("io.restybuild.restyfile.sha256", digest),
        ("org.opencontainers.image.title", p.name),
    )
    needs_builder = p.rocks is not None and bool(p.rocks.rocks)
    return BuildPlan(
        name=p.name,
        restyfile=p.restyfile,
        runtime_image=p.runtime_image,
        builder_image=fl.builder_image if needs_builder else None,
        prefix=p.prefix,
        nginx=fl.nginx,
        conf_main=effective.main,
        workers=p.workers.count if p.workers else None,
        rocks_tree=p.rocks.tree if needs_builder and p.rocks else None,
        rocks_context=any(e.arcname.startswith("rocks/") for e in ctx),
        build_packages_cmd=_install_cmd(fl.package_manager, list(rocks.build_packages)),
        runtime_packages_cmd=_install_cmd(fl.package_manager, list(rocks.runtime_packages)),
        rock_installs=rocks.installs,
        rocks_times_cmd=_rocks_out_cmd(p.rocks.tree) if needs_builder and p.rocks else None,
        layers=layers,
        ld_library_path=ld_path,
        env=tuple((e.key, e.value) for e in p.env),
        expose=tuple(sorted(set(p.expose) | ({p.metrics.port} if p.metrics else set()))),
        stop_signal=fl.stop_signal,
        labels=labels,
        cmd=(fl.nginx, "-p", p.prefix.rstrip("/") + "/", "-c", effective.main),
        natives=tuple(posixpath.join(n.dst, posixpath.basename(n.src)) for n in p.natives),
        probes=tuple((pr.kind, pr.path, pr.port) for pr in p.probes),
        context=tuple(sorted(ctx, key=lambda e: e.arcname)),
        effective=effective,
        data=tuple(d.path for d in p.data),
        modules_image=fl.modules_image if any(m.file for m in p.modules) else None,
        module_files=tuple(m.file for m in p.modules if m.file),
        warnings=tuple(f.warning().render() for f in natives.findings
                       if f.severity == "warning") if natives else (),
    )
