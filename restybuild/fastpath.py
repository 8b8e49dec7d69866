"""An incremental result cache for `restybuild plan` and `lint`, in the standard library only.

`plan` and `lint` run from editors, hooks and scripts far more often than their
inputs change. Like ninja's deps log, each result is stored with exactly what
it was computed from: the records of the run's :class:`~restybuild.source.SourceTree`
(every file read, with its stamp and hash; every path looked for, found or
missing; every folder listed), plus the identity of restybuild (its code and
data files: grammar, recipes, templates) and of the libraries it runs with
(their installed metadata). No list of inputs is written by hand. A later run
with the same arguments whose records all still hold prints the stored result
without importing the compiler (Lark, Jinja2, tree-sitter); any change
recomputes. A failed run is stored the same way, so a missing folder that
appears is seen. Set RESTYBUILD_NO_CACHE=1 to bypass it.

This module must import nothing heavy: the warm path pays for every import.
"""

from __future__ import annotations

import marshal
import os
import sys

from restybuild.cachedir import enabled, private_dir, read_private
from restybuild.source import still_valid

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the warm path
if TYPE_CHECKING:
    from typing import Any

FORMAT = 2
PACKAGE = os.path.dirname(os.path.abspath(__file__))
#: The libraries whose versions change what plan and lint print.
DEPENDENCIES = ("lark", "jinja2", "tree-sitter", "tree-sitter-lua", "pyyaml", "tomli")


def _entry_path(kind: str, restyfile: str) -> str | None:
    """One cache file per command and Restyfile, named after the Restyfile's absolute path,
    in restybuild's private cache folder (None: no safe folder, no cache)."""
    folder = private_dir("results")
    if folder is None:
        return None
    name = os.path.abspath(restyfile).replace("%", "%25").replace(os.sep, "%2F")
    return os.path.join(folder, f"{kind}-{name[-200:]}.marshal")


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _tree(path: str, out: list[str]) -> None:
    out.append(path)
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        out.extend(os.path.join(dirpath, f) for f in sorted(filenames))


def _package_files() -> list[str]:
    out: list[str] = []
    _tree(PACKAGE, out)
    if not os.path.isdir(os.path.join(PACKAGE, "_data")):  # a checkout: data beside the package
        top = os.path.dirname(PACKAGE)
        for name in ("grammar", "recipes"):
            _tree(os.path.join(top, name), out)
    return out


def identity() -> list[Any]:
    """This restybuild: format, Python, and the stamp of each of its code and data files."""
    return [FORMAT, list(sys.version_info[:2]), [[p, _stamp(p)] for p in _package_files()]]


_run_identity: list[Any] = []  # identity() as this command's run found it


def run_identity() -> list[Any]:
    """:func:`identity`, looked at once per command (:func:`new_run` starts one)."""
    if not _run_identity:
        _run_identity.append(identity())
    return _run_identity[0]  # type: ignore[no-any-return]


def new_run() -> None:
    _run_identity.clear()


def _dependency_stamps() -> list[list[Any]]:
    """The installed metadata file of each library (computed when storing: slow is fine)."""
    from importlib import metadata

    out: list[list[Any]] = []
    for name in DEPENDENCIES:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            out.append([name, None, None, None])
            continue
        path = str(dist.locate_file(getattr(dist, "_path", "")) or "")
        meta = os.path.join(path, "METADATA") if path else ""
        out.append([name, dist.version, meta, _stamp(meta) if meta else None])
    return out


def _dependencies_hold(stamps: list[list[Any]]) -> bool:
    return all((meta is None and stamp is None) or (meta and _stamp(meta) == stamp)
               for _name, _version, meta, stamp in stamps)


def lookup(kind: str, restyfile: str, variant: Any = None) -> dict[str, Any] | None:
    """The stored `kind` result for `restyfile` and `variant` if no input changed, else None."""
    entry = lookup_entry(kind, restyfile, variant)
    return None if entry is None else entry["output"]


def lookup_entry(kind: str, restyfile: str, variant: Any = None) -> dict[str, Any] | None:
    """:func:`lookup`'s whole entry: the output, its records and dependencies."""
    path = _entry_path(kind, restyfile) if enabled() else None
    if path is None:
        return None
    data = read_private(path)  # another user's file, or a symlink: not ours, a miss
    try:
        entry = marshal.loads(data) if data is not None else None
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(entry, dict) or entry.get("identity") != run_identity() \
            or entry.get("restyfile") != os.path.abspath(restyfile) \
            or entry.get("variant") != variant \
            or not _dependencies_hold(entry.get("dependencies", [[None, None, "", 0]])):
        return None
    for record in entry.get("records", ()):
        if not still_valid(record):
            return None
    if not isinstance(entry.get("output"), dict):
        return None
    return entry


def store(kind: str, restyfile: str, variant: Any, records: list[Any],
          output: dict[str, Any], dependencies: list[Any] | None = None) -> None:
    """Remember `output` with the records of what it was computed from; failures only cost
    the cache. `dependencies`: the libraries' stamps when the caller has just checked
    them (an entry :func:`lookup_entry` gave)."""
    if not enabled():
        return
    entry = {"identity": run_identity(),
             "dependencies": _dependency_stamps() if dependencies is None else dependencies,
             "restyfile": os.path.abspath(restyfile), "variant": variant,
             "records": [list(r) for r in records], "output": output}
    target = _entry_path(kind, restyfile)
    if target is None:
        return
    try:
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            marshal.dump(entry, fh)
        os.replace(tmp, target)
    except (OSError, ValueError):
        pass


def emit(output: dict[str, Any], outdir: str | None) -> int:
    """Print or write a plan result (the same for a fresh and a cached one)."""
    for warning in output.get("warnings", ()):
        print(warning, file=sys.stderr)
    if not outdir:
        sys.stdout.write(output["dockerfile"])
        return 0
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "Dockerfile"), "w", encoding="utf-8") as fh:
        fh.write(output["dockerfile"])
    for rel, text in output["conf"]:
        target = os.path.join(outdir, "conf", rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(text)
    with open(os.path.join(outdir, "context.txt"), "w", encoding="utf-8") as fh:
        fh.write(output["context"])
    for note in output["notes"]:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {os.path.join(outdir, 'Dockerfile')}, {len(output['conf'])} conf file(s) "
          f"and {os.path.join(outdir, 'context.txt')}", file=sys.stderr)
    return 0


def _split(rest: list[str], valued: frozenset[str]) -> tuple[list[str], list[str]]:
    """(positional arguments, options with their values) of a command line."""
    positional: list[str] = []
    options: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i] in valued and i + 1 < len(rest):
            options += rest[i:i + 2]
            i += 2
            continue
        (options if rest[i].startswith("-") else positional).append(rest[i])
        i += 1
    return positional, options


PLAN_VALUED = frozenset({"-o", "--output"})
LINT_VALUED = frozenset({"--format", "--select", "--ignore", "--failure-threshold", "--k8s"})


def fast_plan(argv: list[str]) -> int | None:
    """Serve `plan [RESTYFILE] [-o DIR]` from the cache; None when the slow path must run.
    The first look of a command's run: it starts one (:func:`new_run`)."""
    new_run()
    if not argv or argv[0] != "plan" or not enabled():
        return None
    positional, options = _split(argv[1:], PLAN_VALUED)
    outdir = None
    for i, a in enumerate(options):
        if a.startswith("--output="):
            outdir = a.split("=", 1)[1]
        elif a in PLAN_VALUED:
            outdir = options[i + 1]
        elif i == 0 or options[i - 1] not in PLAN_VALUED:
            return None  # --help and anything unusual: the full parser answers
    if len(positional) > 1:
        return None
    output = lookup("plan", positional[0] if positional else "Restyfile")
    if output is None:
        return None
    return emit(output, outdir)


def lint_variant(argv: list[str]) -> str:
    """What changes a `lint` output besides its inputs: the options, and the working folder
    (paths are shown relative to it). `--hook` is not one: each Restyfile's output is the
    same as when it is named."""
    _positional, options = _split(argv[1:], LINT_VALUED)
    return "\0".join([os.getcwd(), *(o for o in options if o != "--hook")])


def _lint_output(restyfile: str, variant: str) -> dict[str, Any] | None:
    output = lookup("lint", restyfile, variant)
    if output is None:  # maybe only Lua files changed: the Lua rules alone
        from restybuild.lint.incremental import relint

        output = relint(restyfile, variant)
    return output


def fast_lint(argv: list[str]) -> int | None:
    """Serve `lint [RESTYFILE] [options]` or `lint --hook FILE...` from the cache; None when
    the slow path must run (then it lints every Restyfile again)."""
    if not argv or argv[0] != "lint" or not enabled():
        return None
    if any(a in ("-h", "--help", "--list-rules", "--json-schema") for a in argv):
        return None
    positional, _options = _split(argv[1:], LINT_VALUED)
    variant = lint_variant(argv)
    if "--hook" in argv:
        from restybuild.commands.lint import restyfiles_of

        restyfiles = restyfiles_of(positional)
    elif len(positional) > 1:
        return None
    else:
        restyfiles = [positional[0] if positional else "Restyfile"]
    outputs = []
    for restyfile in restyfiles:
        output = _lint_output(restyfile, variant)
        if output is None:
            return None
        outputs.append(output)
    for output in outputs:
        sys.stdout.write(output["text"])
    return max((int(o["exit"]) for o in outputs), default=0)
