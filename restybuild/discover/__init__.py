"""``restybuild discover``: a first Restyfile written from what is on an old host (a copy of
its files, or ``/`` read-only) or in an app's checkout, and what will break.

One module per step, each returning frozen facts and its findings
(:mod:`.model`): :mod:`.nginx` (`nginx -V`, the base), :mod:`.launch` and :mod:`.conf`
(the conf, read with the project's conf tree), :mod:`.rocks` (manifests as Lua tables),
:mod:`.natives` (the ELF loader model on the host's files), :mod:`.layout` and
:mod:`.runtime` (statements that keep the app's paths), :mod:`.write` (the project
folder), :mod:`.check` (lint, and a build through the build command's code).
Nothing under ROOT is written but the output the user names.
"""

from __future__ import annotations

from pathlib import Path

from restybuild import recipes
from restybuild.discover.conf import find_conf, read_conf
from restybuild.discover.launch import Launch, find_launch
from restybuild.discover.model import ConfFacts, Discovery, Finding, NativeFacts, RocksFacts
from restybuild.discover.modules import base_modules
from restybuild.discover.natives import bundle_lualib, native_files, resolve_native
from restybuild.discover.nginx import module_findings, nginx_v_text, read_nginx, with_module_lines
from restybuild.discover.rocks import find_trees, merge_trees, read_tree
from restybuild.elf.libindex import LibraryIndex, load_snapshot
from restybuild.recipes import Flavor
from restybuild.records import dataclass

__all__ = ["Discovery", "Finding", "Options", "discover", "is_host"]


@dataclass(frozen=True)
class Options:
    root: str
    nginx_v: str | None = None
    nginx_bin: str | None = None
    base: str | None = None
    output: str | None = None
    build: str | None = None
    rocks_server: str | None = None


def is_host(root: Path) -> bool:
    """A copy of a host's files (or `/`), not an app's checkout."""
    return root == Path("/") or (root / "etc").is_dir() or (root / "usr").is_dir()


def empty_conf(main: str, prefix: str) -> ConfFacts:
    return ConfFacts(main, prefix, (), (), (), (), None, None, (), (), (), ())


def base_flavor(recipe: str, flavor: str | None, version: str | None) -> Flavor:
    return recipes.load(recipe).flavor(flavor, version)


def discover(opts: Options) -> Discovery:
    """Steps 1 to 4: what the old host (or the checkout) has."""
    root = Path(opts.root).resolve()
    host = is_host(root)
    text = nginx_v_text(opts.nginx_v, opts.nginx_bin)
    nginx, findings = read_nginx(text, root, opts.base)
    launch = find_launch(root) if host else Launch(None, None, (), "")
    main, prefix = find_conf(root, host, nginx, launch)
    conf, more = read_conf(root, main, prefix, host)
    findings += more
    flavor = base_flavor(nginx.recipe, nginx.flavor, nginx.base_version)
    have = base_modules(flavor)
    nginx = with_module_lines(nginx, have, conf.directives if conf else ())
    findings += module_findings(nginx, have, conf.directives if conf else ())
    rocks: list[RocksFacts] = []
    for tree in find_trees(root, conf):
        facts, more = read_tree(root, tree, flavor.package_manager)
        rocks.append(facts)
        findings += more
    pins, more = merge_trees(tuple(rocks))
    findings += more
    index = load_snapshot(flavor.library_index) if flavor.library_index else None
    bundle = bundle_lualib(root, nginx, conf.prefix if conf else prefix)
    natives = _natives(root, conf, tuple(rocks), launch, index, host, findings, bundle)
    return Discovery(str(root), host, nginx, conf or empty_conf(main, prefix), tuple(rocks),
                     natives, tuple(findings), pins, bundle)


def _natives(root: Path, conf: ConfFacts | None, rocks: tuple[RocksFacts, ...], launch: Launch,
             index: LibraryIndex | None, host: bool, findings: list[Finding], bundle: str
             ) -> tuple[NativeFacts, ...]:
    if conf is None:
        return ()
    out = []
    for path, dst in native_files(root, conf.package_cpath, rocks, bundle):
        facts, more = resolve_native(root, path, dst, launch, index, host)
        findings += more
        if facts is not None:
            out.append(facts)
    return tuple(out)
