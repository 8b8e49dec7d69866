"""A project's natives against its base: what to bundle, and findings with Restyfile spans.

:func:`plan_natives` is what ``plan`` uses (it raises the first error);
:func:`check_natives` gives ``lint`` every finding. The command layer
chooses the base's library index (:func:`restybuild.lock.choose_index`: an
``--index`` file, the lock file, the recipe's snapshot); without one the base
is known only from the recipe's ``libc``, ``libc_version`` and ``arch`` (then
libraries are bundled from the search folders unchecked, and verification
proves the image).
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from restybuild.elf.bundle import (
    BUNDLE_DIR,
    BaseSpec,
    Candidate,
    NativeInput,
    Resolved,
    SearchDir,
    resolve,
)
from restybuild.elf.libindex import LibraryIndex
from restybuild.elf.loader import Lookup
from restybuild.elf.problems import abi_problem, version_message
from restybuild.elf.reader import (
    ElfObject,
    NotElf,
    machine_number,
    read_elf,
)
from restybuild.errors import ConfigError, Span
from restybuild.model import Native, Project
from restybuild.records import dataclass
from restybuild.source import SourceTree

PLATFORM_NOTE = ("$PLATFORM is what the loader calls the CPU: glibc on x86-64 says `haswell` "
                 "on Intel CPUs with AVX2, `x86_64` on others, so it is not known before the "
                 "image runs")


@dataclass(frozen=True)
class Finding:
    """One problem with the natives, at the `native` statement that causes it."""

    message: str
    span: Span
    hint: str | None = None
    severity: str = "error"  # error | warning | info
    notes: tuple[str, ...] = ()
    kind: str = ""  # missing-library, libc-mismatch, machine-mismatch, glibc-too-old,...

    def error(self) -> ConfigError:
        return ConfigError(self.message, span=self.span, hint=self.hint, notes=self.notes)

    def warning(self) -> ConfigError:
        """The finding as a message to show (`file:line:col: warning: ...`)."""
        e = self.error()
        e.kind = "warning"
        return e


@dataclass(frozen=True)
class NativesPlan:
    bundles: tuple[Candidate, ...]  # to copy into BUNDLE_DIR under their names
    findings: tuple[Finding, ...]
    resolved: tuple[Resolved, ...]
    base: BaseSpec

    @property
    def ld_library_path(self) -> tuple[str, ...]:
        """The base's own LD_LIBRARY_PATH (recipe, else image), to keep after BUNDLE_DIR."""
        return self.base.env.ld_library_path if self.base.env is not None else ()


def image_path(n: Native) -> str:
    return posixpath.join(n.dst, posixpath.basename(n.src))


def base_label(p: Project) -> str:
    return p.runtime_image if p.base.image else p.flavor.label


def base_spec(p: Project, index: LibraryIndex | None) -> BaseSpec:
    """What `p`'s natives resolve against: the base image `index` describes, or (None) a
    base known only by its recipe's libc, glibc version and architecture."""
    fl = p.flavor
    label = base_label(p)
    if index is None:
        return BaseSpec(label, fl.libc, fl.libc_version, machine_number(fl.arch) or 62, 64,
                        True, source=f"recipe {fl.recipe} (no library index)",
                        env=None)
    return spec_from_index(index, label, fl.nginx, fl.load_modules,
                           (*fl.ld_library_path,) or index.ld_library_path)


def spec_from_index(index: LibraryIndex, label: str, nginx: str | None,
                    modules: tuple[str, ...], ld_library_path: tuple[str, ...]) -> BaseSpec:
    """Resolve natives in `index`'s image, dlopen'd by `nginx` after its `modules`."""
    return BaseSpec(
        label, index.libc, index.libc_version, index.machine, index.elf_class,
        index.little_endian, env=index.env(ld_library_path), fs=index.fs, nginx=nginx,
        modules=modules, conf_dirs=index.conf_dirs,
        source=f"library index of {index.image} ({index.image_id[:19]})")


def check_natives(project: Project, index: LibraryIndex | None,
                  tree: SourceTree | None = None) -> tuple[Finding, ...]:
    """Every finding about `project`'s natives, for lint; reads files, never Docker."""
    return plan_natives(project, index, tree).findings


def record_inputs(project: Project, tree: SourceTree) -> None:
    """Record in `tree` what the resolver reads behind its back (the ELF reader opens files
    itself): each native, and every file of every search folder."""
    root = Path(project.root)
    for n in project.natives:
        for path in (str(root / n.src), *(
                str(root / s / name) for s in n.search for name in tree.listdir(str(root / s)))):
            try:
                if tree.is_file(path):
                    tree.read_bytes(path)
            except OSError:
                pass


def plan_natives(project: Project, index: LibraryIndex | None,
                 tree: SourceTree | None = None) -> NativesPlan:
    """The libraries to bundle for `project`'s natives, and the findings about them."""
    p = project
    if tree is not None:
        record_inputs(p, tree)
    spec = base_spec(p, index)
    root = Path(p.root)
    findings: list[Finding] = []
    inputs: list[tuple[Native, NativeInput]] = []
    for n in p.natives:
        try:
            obj = read_elf(root / n.src, name=image_path(n))
        except (NotElf, OSError) as e:
            findings.append(Finding(f"{n.src} is not an ELF shared object ({e})", n.span,
                                    kind="not-elf"))
            continue
        problem = _abi_finding(n.src, obj, spec, n.span)
        if problem is not None:
            findings.append(problem)
            continue
        search = tuple(SearchDir(s, str(root / s)) for s in n.search)
        inputs.append((n, NativeInput(str(root / n.src), image_path(n), obj, search)))
    resolved, bundles = resolve(spec, [i for _n, i in inputs], confine=str(root))
    by_input = {i.host_path: n for n, i in inputs}
    packages = tuple(s.runtime for s in (p.rocks.system if p.rocks else ()) if s.runtime)
    for r in resolved:
        findings += _findings(by_input[r.native.host_path], r, spec, packages)
    if spec.env is None and p.natives:
        findings.append(Finding(
            f"the natives cannot be checked against the base image {spec.label}: restybuild "
            "has no library index of it", p.natives[0].span, severity="warning",
            notes=("libraries the search folders hold are bundled; any other is assumed to be "
                   "in the base, and verification checks the built image",),
            hint="pin the base and its library index once, on a machine whose Docker engine "
                 "has the image: `restybuild lock` (writes Restyfile.lock; commit it)",
            kind="no-index"))
    return NativesPlan(bundles, tuple(findings), resolved, spec)


def _abi_finding(what: str, obj: ElfObject, spec: BaseSpec, span: Span) -> Finding | None:
    problem = abi_problem(what, obj, spec)
    if problem is None:
        return None
    kind, message, hint = problem
    return Finding(message, span, hint=hint, kind=kind)


def _findings(n: Native, r: Resolved, spec: BaseSpec, packages: tuple[str, ...]) -> list[Finding]:
    out: list[Finding] = []
    for esc in r.escaping:
        out.append(Finding(esc, n.span, kind="outside-project",
                           hint="copy the library into the project instead of linking to it"))
    for cand in r.bundled:
        problem = _abi_finding(f"{cand.label} (bundled for {n.src})", cand.obj, spec, n.span)
        if problem is not None:
            out.append(problem)
    if r.closure is None:
        return out
    skipped = dict(r.skipped)
    bundled = {f"{BUNDLE_DIR}/{c.name}": c.label for c in r.bundled}
    for lk in r.closure.missing:
        out.append(_missing(n, lk, spec, skipped.get(lk.name, ()), bundled, packages))
    for lk in r.closure.lookups:
        if lk.cpu_dependent and lk.path is not None:
            out.append(Finding(
                f"which {lk.name} {n.src} loads depends on the CPU the image runs on: the "
                f"loader looks in {', '.join(lk.cpu_dependent)} first", n.span,
                severity="warning", kind="cpu-dependent", notes=(PLATFORM_NOTE,),
                hint="name the folder without $PLATFORM, or make sure no CPU's folder holds "
                     "another copy"))
    names = {o.path: o.path for o in r.closure.objects if o.path != r.native.image_path}
    names.update(bundled)
    seen: set[str] = set()
    for vp in r.closure.version_problems:
        kind, msg = version_message(n.src, vp, spec, names)
        if kind == "glibc-too-old" and kind in seen:
            continue
        seen.add(kind)
        out.append(Finding(msg, n.span, severity="warning" if vp.weak else "error",
                           kind=kind, notes=(f"checked against the {spec.source}",)))
    return out


def _missing(n: Native, lk: Lookup, spec: BaseSpec, skipped: tuple[str, ...],
             bundled: dict[str, str], packages: tuple[str, ...]) -> Finding:
    notes: list[str] = []
    requester = lk.requester
    if requester != image_path(n):
        notes.append(f"{lk.name} is needed by {bundled.get(requester, requester)}")
    if lk.error:
        return Finding(f"{n.src} needs {lk.name}, which the loader cannot load: {lk.error}",
                       n.span, notes=tuple(notes), kind="unloadable-library")
    image_dirs = [t for t in lk.tried if t != BUNDLE_DIR]
    notes.append("searched in the base image: " + (", ".join(image_dirs) or "nothing"))
    notes.append("search folders: " + (", ".join(n.search) if n.search else
                                       "none declared for this native"))
    notes += skipped
    if lk.cpu_dependent:
        notes.append("not searched, as it depends on the CPU: " + ", ".join(lk.cpu_dependent))
        notes.append(PLATFORM_NOTE)
    for d in spec.conf_dirs:
        if spec.fs is not None and spec.fs.identity(f"{d}/{lk.name}") is not None and \
                not any(t.startswith("ld.so.cache (") for t in lk.tried):
            notes.append(f"{d}/{lk.name} exists and ld.so.conf lists {d}, but ld.so.cache "
                         "lacks it (ldconfig was not run) and ld.so never reads ld.so.conf")
    hint = (f"put {lk.name} into one of the search folders" if n.search else
            f"put {lk.name} into a folder of the project and name that folder in the "
            "native's block: `search DIR`")
    hint += ", or install the package that provides it (rocks `system BUILD -> RUNTIME`)"
    severity = "error"
    if packages:
        # the runtime packages the Restyfile installs may provide it: only the image can say
        severity = "warning"
        notes.append("the runtime packages the Restyfile installs (" + ", ".join(packages)
                     + ") may provide it; verification checks the built image")
    return Finding(f"{n.src} needs {lk.name}, which the base image {spec.label} lacks and "
                   "no search folder has", n.span, hint=hint, notes=tuple(notes),
                   severity=severity, kind="missing-library")
