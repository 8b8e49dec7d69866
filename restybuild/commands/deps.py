"""`restybuild deps`: the closure of native libraries, marked base, bundled or MISSING."""

from __future__ import annotations

import argparse
import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `restybuild deps` pays for every import
if TYPE_CHECKING:
    from typing import Any

    from restybuild.elf.bundle import BaseSpec, NativeInput, Resolved
    from restybuild.elf.facts import ElfObject
    from restybuild.elf.libindex import LibraryIndex
    from restybuild.elf.tree import FileReport

HELP = """\
Resolve the shared libraries FILE.so needs, the way the dynamic loader of the
base image would, and print them as a tree. Each library is marked `base`
(the base provides it), `bundled` (found in a --search folder: a build would
bundle it) or `MISSING`.

--base names a base recipe (`debian-bookworm`, `openresty:1.21.4.3-bookworm`),
whose shipped library index is used (no daemon needed; --live reads the image
instead), or a local image (`myorg/openresty:1.19`), read through the Docker
engine and cached by image ID. Without --base, this machine's loader is used
(as ldd would): the loader of each file's ABI (the 32-bit one for a 32-bit
file), run in the current folder, with the file's path as given ($ORIGIN is
its folder, symlinks not followed). With a base, each file is loaded as Lua
does it: dlopen'd into nginx after nginx's own libraries. A FILE that is not
ELF is reported ("not a dynamic executable", as ldd says) and the others go on.

Exit status: 0 when every library resolves, 1 when one is missing or cannot
load, or a FILE is not a loadable ELF file, 2 on bad input.

examples:
  restybuild deps lib/binary_protocol.so --base openresty:1.21.4.3-bookworm --search vendor/lib
  restybuild deps build/greeter.so --base debian-bookworm --json
"""


def register(sub: Any) -> None:
    from restybuild.commands import light_formatter

    p = sub.add_parser("deps", help="show the libraries native modules need, and from where",
                       description=HELP, formatter_class=light_formatter())
    p.add_argument("files", nargs="*", metavar="FILE.so")
    p.add_argument("--base", metavar="RECIPE|IMAGE",
                   help="a base recipe (RECIPE or RECIPE:VERSION-FLAVOR) or a local image")
    p.add_argument("--search", action="append", default=[], metavar="DIR",
                   help="a folder of libraries to bundle (repeatable, searched in order)")
    p.add_argument("--live", action="store_true",
                   help="read a recipe's image through Docker instead of its shipped index")
    p.add_argument("--json", action="store_true",
                   help="print JSON (compact: one line; see --indent)")
    p.add_argument("--indent", type=_indent, metavar="N",
                   help="with --json, indent nested JSON by N spaces (for reading it)")
    p.add_argument("--save-index", metavar="FILE",
                   help="also write the base's library index to FILE (a recipe snapshot)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from restybuild.elf.bundle import resolve

    if not args.files and not args.save_index:
        from restybuild.errors import ConfigError
        raise ConfigError("name at least one FILE.so (or --save-index FILE)")
    spec, index = base_for(args.base, args.live)
    if args.save_index:
        if index is None:
            from restybuild.errors import ConfigError
            raise ConfigError("--save-index needs --base")
        with open(args.save_index, "w", encoding="utf-8") as fh:
            fh.write(index.dumps())
    early, pending, groups = _inputs(args, spec)
    results = {}
    for gspec, inputs in groups.values():  # each file once, all of one loader in one go
        for r in resolve(gspec, list(inputs.values()))[0]:
            results[(id(gspec), r.native.host_path)] = r
    reports = []
    for i, f in enumerate(args.files):
        if i in early:
            reports.append(early[i])
            continue
        fspec, path, kind = pending[i]
        reports.append(_report(f, kind, results[(id(fspec), path)], fspec))
    out = tuple(reports)
    _print(args, spec, out)
    return 1 if any(r.failed for r in out) else 0


def _inputs(args: argparse.Namespace, spec: BaseSpec) -> tuple[
        dict[int, FileReport], dict[int, tuple[BaseSpec, str, str]],
        dict[int, tuple[BaseSpec, dict[str, NativeInput]]]]:
    """Each FILE read once: the reports of those that cannot load at all, and the others
    (spec, path, kind) grouped by the loader that resolves them (by id(spec), by path)."""
    from restybuild.elf.bundle import NativeInput, SearchDir
    from restybuild.elf.reader import NotElf, read_elf
    from restybuild.elf.tree import FileReport

    search = tuple(SearchDir(d, os.path.realpath(d)) for d in args.search)
    early: dict[int, FileReport] = {}
    host_specs: dict[tuple[Any, ...], BaseSpec] = {}
    pending: dict[int, tuple[BaseSpec, str, str]] = {}  # spec, path, kind
    groups: dict[int, tuple[BaseSpec, dict[str, NativeInput]]] = {}
    cwd = os.getcwd()
    for i, f in enumerate(args.files):
        # the path as given, made absolute, never resolved: $ORIGIN is its folder (glibc's
        # l_origin is the folder of the name it opened, symlinks not followed)
        path = os.path.join(cwd, f)
        try:
            obj = read_elf(path)
        except NotElf as e:  # like ldd: say so, go on with the others
            early[i] = FileReport(f, "not ELF", (), (("error", f"not a dynamic executable "
                                                               f"({e})"),), ())
            continue
        except OSError as e:
            early[i] = FileReport(f, "unreadable", (), (("error", e.strerror or str(e)),), ())
            continue
        kind = f"{obj.kind}, {obj.libc or 'no libc'}"
        fspec = spec if args.base is not None else host_spec(obj, host_specs)
        problem = None
        if not fspec.as_main:  # this machine's loader is the file's own: it loads
            from restybuild.elf.problems import abi_problem

            problem = abi_problem(f, obj, fspec)
        if problem is not None:
            early[i] = FileReport(f, kind, (), (("error", problem[1]),), ())
            continue
        group = groups.setdefault(id(fspec), (fspec, {}))[1]
        group.setdefault(path, NativeInput(path, path, obj, search))
        pending[i] = (fspec, path, kind)
    return early, pending, groups


def _print(args: argparse.Namespace, spec: BaseSpec, out: tuple[FileReport, ...]) -> None:
    from restybuild.elf.tree import render_text, to_json

    if not args.json:
        sys.stdout.write(render_text(spec, out))
        return
    import json

    if args.indent is None:
        print(json.dumps(to_json(spec, out), separators=(",", ":")))
    else:
        print(json.dumps(to_json(spec, out), indent=args.indent))


def _indent(text: str) -> int:
    if not text.isdigit() or int(text) > 16:
        raise argparse.ArgumentTypeError(f"not a number of spaces from 0 to 16: {text!r}")
    return int(text)


def _report(f: str, kind: str, r: Resolved, spec: BaseSpec) -> FileReport:
    from restybuild.elf.bundle import BUNDLE_DIR
    from restybuild.elf.tree import FileReport, rows_of

    names = {f"{BUNDLE_DIR}/{c.name}": c.label for c in r.bundled}
    problems: list[tuple[str, str]] = []
    versions = r.closure.version_problems if r.closure else ()
    if versions:
        from restybuild.elf.problems import version_message

        problems = [("warning" if vp.weak else "error", version_message(f, vp, spec, names)[1])
                    for vp in versions]
    if r.closure is not None and r.closure.error:
        problems.insert(0, ("error", r.closure.error))
    problems += [("note", f"{name}: {note}") for name, notes in r.skipped for note in notes]
    return FileReport(f, kind, rows_of(r), tuple(problems),
                      tuple((c.name, c.label) for c in r.bundled))


def host_spec(obj: ElfObject | None = None,
              known: dict[tuple[Any, ...], BaseSpec] | None = None) -> BaseSpec:
    """This machine's loader for `obj`'s ABI (its 32-bit loader for a 32-bit file, as ldd
    picks it), as the program ldd would run; the default ABI without `obj`. `known`
    keeps the specs of one run (the environment is read once per ABI)."""
    from restybuild.elf.bundle import BaseSpec
    from restybuild.elf.fs import HostFS
    from restybuild.elf.host import host_env
    from restybuild.elf.reader import read_elf

    abi = (obj.elf_class, obj.little_endian, obj.machine) if obj is not None else None
    key = (*(abi or (0, True, 0)), obj.interp if obj is not None else None)
    known = {} if known is None else known
    if key in known:
        return known[key]
    env = host_env(abi=abi, interp=obj.interp if obj is not None else None)
    me = read_elf(env.rtld) if env.rtld else (obj or read_elf(sys.executable))
    version = ""
    if env.libc == "glibc" and hasattr(os, "confstr"):
        version = (os.confstr("CS_GNU_LIBC_VERSION") or "").rpartition(" ")[2]
    spec = BaseSpec("this machine", env.libc, version, me.machine, me.elf_class,
                    me.little_endian, env=env, fs=HostFS(), as_main=True,
                    source="its ld.so.cache, trusted folders and LD_LIBRARY_PATH")
    known[key] = spec
    return spec


def base_for(base: str | None, live: bool) -> tuple[BaseSpec, LibraryIndex | None]:
    """The base to resolve against: this machine, a recipe's flavor, or a local image."""
    if base is None:
        return host_spec(), None
    from restybuild.elf.libindex import load_snapshot
    from restybuild.natives import spec_from_index

    flavor = _recipe_flavor(base)
    if flavor is not None:
        if flavor.library_index and not live:
            index = load_snapshot(flavor.library_index)
        else:
            from restybuild.elf.image import read_index
            from restybuild.engine import connect

            index = read_index(connect(), flavor.image, (flavor.nginx, *flavor.load_modules))
        return spec_from_index(index, flavor.label, flavor.nginx, flavor.load_modules,
                               flavor.ld_library_path or index.ld_library_path), index
    from restybuild.elf.image import read_index
    from restybuild.engine import connect

    index = read_index(connect(), base)
    nginx = index.programs[0] if index.programs else None
    return spec_from_index(index, base, nginx, (), index.ld_library_path), index


def _recipe_flavor(base: str) -> Any:
    """The recipe flavor `base` names (RECIPE, RECIPE:FLAVOR, RECIPE:VERSION-FLAVOR), or None."""
    from restybuild import recipes

    name, _, rest = base.partition(":")
    if name not in recipes.available() or "/" in base:
        return None
    recipe = recipes.load(name)
    if not rest:
        return recipe.flavor(None, None)
    if rest in recipe.flavors:
        return recipe.flavor(rest, None)
    for fl in sorted(recipe.flavors, key=len, reverse=True):
        if rest.endswith("-" + fl):
            return recipe.flavor(fl, rest[: -len(fl) - 1])
    return recipe.flavor(None, rest)
