"""Which of the old nginx's modules the base has, and which directives of the conf its nginx
does not define: computed from the base facts the recipe ships (:mod:`restybuild.basefacts`:
the base's configure line, its dynamic module files, the directives its binary and modules
define), and only where a recipe ships none from the module list of ``recipes/discover.toml``.

With facts, a module the old nginx compiled in (``--with-http_geoip_module``) is in the
base when its configure has it statically, or as ``=dynamic`` and its ``ngx_X.so`` is in the
modules folder (a stream or mail module also needs its core: ``--with-stream`` or
``ngx_stream_module.so``); an added module (``--add-module=../echo-nginx-module-0.61``) when
the base's configure adds a folder of that name, or the modules folder holds the file it
builds (``module_files``), or the base defines one of its directives (``module_directives``).
"""

from __future__ import annotations

import posixpath
import re
from functools import cached_property

from restybuild.basefacts import BaseFacts, flavor_facts
from restybuild.discover.tables import table
from restybuild.recipe_modules import NginxModule
from restybuild.recipes import Flavor
from restybuild.records import dataclass

_COMPILED = re.compile(r"(http|stream|mail)_[a-z0-9_]+_module")
_VERSIONED = re.compile(r"-v?\d[\w.]*$")


def module_name(arg: str) -> str | None:
    """The module an `--add-module=` / `--add-dynamic-module=` argument adds, its version and
    older spelling left off (`../ngx_lua-0.10.13` is `lua-nginx-module`), else None."""
    if not arg.startswith(("--add-module=", "--add-dynamic-module=")):
        return None
    name = _VERSIONED.sub("", posixpath.basename(arg.split("=", 1)[1].rstrip("/")))
    return str(table().get("module_aliases", {}).get(name, name))


def _matches(directive: str, names: tuple[str, ...] | list[str]) -> bool:
    return any(directive == x or (x.endswith("_") and directive.startswith(x)) for x in names)


@dataclass(frozen=True)
class BaseModules:
    """The modules of a base's nginx, from its facts or, without them, from the table."""

    recipe: str
    facts: BaseFacts | None
    loaded: tuple[str, ...]  # the dynamic modules the image loads (the recipe's load_modules)
    offers: tuple[NginxModule, ...] = ()  # what `module NAME` adds (the recipe's [modules])

    @property
    def source(self) -> str:
        """Where the answer comes from, as the Restyfile's comment says it."""
        if self.facts is not None:
            return (f"modules checked against the base facts the {self.recipe} recipe ships "
                    f"({self.facts.version}, {len(self.facts.dynamic_modules)} dynamic modules)")
        return (f"the {self.recipe} recipe ships no base facts: its modules come from the "
                "table in recipes/discover.toml (`restybuild base snapshot` would tell)")

    @cached_property
    def _files(self) -> dict[str, str]:
        return {posixpath.basename(p): p for p in (self.facts.dynamic_modules
                                                    if self.facts else ())}

    @cached_property
    def _defined(self) -> frozenset[str]:
        """The directives the base's own files define (not those `module` would add)."""
        extra = set(self.facts.offered) if self.facts else set()
        return frozenset(n for n, s, _c in (self.facts.directives if self.facts else ())
                         if s not in extra)

    def offered(self, module: str) -> NginxModule | None:
        """The recipe's `module` that brings the old nginx's `module` (by the file it
        builds; a stream or mail module by its core's file), or None."""
        files = {posixpath.basename(m.file): m for m in self.offers if m.file}
        name = table().get("module_files", {}).get(module)
        if name is None and _COMPILED.fullmatch(module):
            core = module.split("_", 1)[0]
            name = f"ngx_{module}.so"
            if name not in files and core != "http" and self.facts is not None \
                    and f"--with-{module}" in self.facts.configure:
                name = f"ngx_{core}_module.so"  # built into the core's dynamic module
        return files.get(name) if name else None

    def has(self, module: str) -> bool:
        if self.facts is None:
            mods = table()["modules"].get(self.recipe, {})
            return module in (*mods.get("compiled", ()), *mods.get("added", ()))
        if _COMPILED.fullmatch(module):
            return self._compiled(module)
        if any(module_name(a) == module for a in self.facts.configure):
            return True
        if self.file(module) is not None:
            return True
        sigs = table()["module_directives"].get(module, ())
        return any(_matches(n, sigs) for n in self._defined)

    def _compiled(self, module: str) -> bool:
        assert self.facts is not None
        core = module.split("_", 1)[0]
        configure = self.facts.configure
        if core != "http" and f"--with-{core}" not in configure and \
                f"ngx_{core}_module.so" not in self._files:
            return False
        if f"--with-{module}" in configure:
            return True
        return f"--with-{module}=dynamic" in configure and f"ngx_{module}.so" in self._files

    def file(self, module: str) -> str | None:
        """The base's dynamic module file of `module` (a path), or None."""
        name = table().get("module_files", {}).get(module) or \
            (f"ngx_{module}.so" if _COMPILED.fullmatch(module) else None)
        return self._files.get(name) if name else None

    def unloaded(self, module: str) -> str | None:
        """The base's file of `module` when the image does not load it, else None."""
        path = self.file(module)
        return path if path is not None and path not in self.loaded else None


def base_modules(flavor: Flavor) -> BaseModules:
    return BaseModules(flavor.recipe, flavor_facts(flavor), flavor.load_modules,
                       tuple(m for m in flavor.modules if m.file))


def owner(directive: str, modules: tuple[str, ...]) -> str | None:
    """The module of `modules` (the old nginx's) that defines `directive`, as far as the
    table's `module_directives` knows."""
    known = table()["module_directives"]
    return next((m for m in modules if _matches(directive, known.get(m, ()))), None)
