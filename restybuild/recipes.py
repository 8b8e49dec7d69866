"""Base recipes: TOML data describing how a base image is laid out.

A recipe is checked against :data:`FLAVOR_SCHEMA` when it is loaded, so a typo
in a shipped or user recipe is reported with the file and the key, not as a
``KeyError`` deep inside the planner.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from restybuild.data import data_dir
from restybuild.errors import ConfigError, Span
from restybuild.recipe_modules import NginxModule
from restybuild.recipe_modules import parse as parse_modules
from restybuild.records import dataclass

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: key -> (type, required) for one flavor table (after `extends` is applied).
FLAVOR_SCHEMA: dict[str, tuple[type, bool]] = {
    "extends": (str, False),         # another flavor of the recipe: its keys, then these
    "image": (str, True),            # image reference; may contain {version} and {flavor}
    "builder_image": (str, True),    # image of the build stage (has luarocks and a compiler)
    "libc": (str, True),             # "glibc" or "musl"
    "libc_version": (str, False),    # glibc version of the image, e.g. "2.36"
    "arch": (str, False),            # ELF machine the image runs, e.g. "x86_64"
    "package_manager": (str, True),  # apt, apk, yum, dnf or microdnf
    "prefix": (str, True),           # default nginx prefix (nginx -p)
    "nginx": (str, True),            # nginx binary
    "load_modules": (list, False),   # dynamic modules the conf must load (absolute paths)
    "lualib": (list, False),         # folders of the Lua libraries the base bundles
    "luarocks": (str, False),        # luarocks command in the builder image
    "luarocks_vars": (dict, False),  # VAR=VALUE passed to luarocks install
    "stop_signal": (str, False),
    "ld_library_path": (list, False),  # LD_LIBRARY_PATH the image sets
    "worker_memory": (str, False),   # memory one nginx worker of this base takes (lint RB401)
    "library_index": (str, False),   # snapshot of the image's library index, below recipes/
    "base_facts": (str, False),      # snapshot of the image's base facts, below recipes/
    "summary": (str, False),
    "resolver_local": (bool, False),  # nginx takes `resolver local=on` (OpenResty's)
    "modules_image": (str, False),   # image holding the [modules] files `module NAME` copies
}
BOOTSTRAP_SCHEMA: dict[str, tuple[type, bool]] = {
    "suite": (str, True),
    "variant": (str, False),
    "runtime_packages": (list, True),
    "builder_packages": (list, True),
    "runtime_tag": (str, True),
    "builder_tag": (str, True),
    "modules_tag": (str, False),     # the image of the [modules] packages' module files
}
TOP_SCHEMA: dict[str, tuple[type, bool]] = {
    "schema": (int, True),
    "name": (str, True),
    "summary": (str, True),
    "default_flavor": (str, True),
    "default_version": (str, False),
    "versions": (list, False),
    "version_pattern": (str, False),
    "flavors": (dict, True),
    "bootstrap": (dict, False),
    "modules": (dict, False),        # name -> module table (restybuild.recipe_modules)
}
LIBCS = ("glibc", "musl")
PACKAGE_MANAGERS = ("apt", "apk", "yum", "dnf", "microdnf")


@dataclass(frozen=True)
class FlavorSpec:
    """One flavor table as the recipe writes it (``{version}`` not yet substituted),
    with its `extends` chain applied and the defaults filled in."""

    name: str
    summary: str
    image: str
    builder_image: str
    libc: str
    libc_version: str
    arch: str
    package_manager: str
    prefix: str
    nginx: str
    load_modules: tuple[str, ...]
    lualib: tuple[str, ...]
    luarocks: str
    luarocks_vars: tuple[tuple[str, str], ...]
    stop_signal: str
    ld_library_path: tuple[str, ...]
    worker_memory: str
    library_index: str  # absolute path of the shipped snapshot, or ""
    resolver_local: bool = False
    base_facts: str = ""  # absolute path of the shipped base-facts snapshot, or ""
    modules_image: str = ""


@dataclass(frozen=True)
class Bootstrap:
    """How a package-built recipe's images are made offline (mmdebstrap + docker import)."""

    suite: str
    variant: str
    runtime_packages: tuple[str, ...]
    builder_packages: tuple[str, ...]
    runtime_tag: str
    builder_tag: str
    modules_tag: str = ""  # made when the recipe has packaged [modules]
    module_packages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flavor:
    """One flavor of a base recipe, with `{version}` already substituted."""

    recipe: str
    name: str
    version: str
    image: str
    builder_image: str
    libc: str
    libc_version: str
    arch: str
    package_manager: str
    prefix: str
    nginx: str
    load_modules: tuple[str, ...]
    lualib: tuple[str, ...]
    luarocks: str
    luarocks_vars: tuple[tuple[str, str], ...]
    stop_signal: str
    ld_library_path: tuple[str, ...]
    worker_memory: str = ""  # e.g. "64Mi"; "" when the recipe does not say
    library_index: str = ""  # absolute path of the shipped library-index snapshot, or ""
    resolver_local: bool = False  # nginx takes `resolver local=on` (OpenResty's)
    base_facts: str = ""  # absolute path of the shipped base-facts snapshot (basefacts), or ""
    modules_image: str = ""  # where the files of packaged `modules` are copied from
    modules: tuple[NginxModule, ...] = ()  # what `module NAME` may name

    def module(self, name: str) -> NginxModule | None:
        return next((m for m in self.modules if m.name == name), None)

    @property
    def offered_files(self) -> tuple[str, ...]:
        """The module files of the packaged `modules` (in `modules_image`)."""
        return tuple(m.file for m in self.modules if m.file)

    @property
    def label(self) -> str:
        return f"{self.recipe}:{self.version}-{self.name}"


@dataclass(frozen=True)
class Recipe:
    name: str
    path: str
    summary: str
    default_flavor: str
    default_version: str
    versions: tuple[str, ...]
    version_pattern: str
    specs: tuple[FlavorSpec, ...]
    bootstrap: Bootstrap | None
    modules: tuple[NginxModule, ...] = ()

    @property
    def flavors(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.specs)

    def spec(self, name: str) -> FlavorSpec | None:
        return next((f for f in self.specs if f.name == name), None)

    def flavor(self, name: str | None, version: str | None) -> Flavor:
        """Resolve a flavor (default when None) at a version (default when None)."""
        fname = name or self.default_flavor
        spec = self.spec(fname)
        if spec is None:
            import difflib

            guess = difflib.get_close_matches(fname, self.flavors, n=1)
            hint = f"did you mean `{guess[0]}`?" if guess else None
            raise ConfigError(
                f"recipe `{self.name}` has no flavor `{fname}`; it has: "
                + ", ".join(self.flavors),
                hint=hint,
            )
        ver = version or self.default_version
        if not ver:
            raise ConfigError(f"recipe `{self.name}` needs a version: base {self.name} VERSION")
        if self.versions and ver not in self.versions:
            raise ConfigError(
                f"recipe `{self.name}` has no version `{ver}`; known: " + ", ".join(self.versions)
            )
        if self.version_pattern:
            import re

            if not re.fullmatch(self.version_pattern, ver):
                raise ConfigError(
                    f"`{ver}` is not a version of `{self.name}` "
                    f"(expected something like {self.default_version or 'X.Y.Z'})"
                )

        def fill(s: str) -> str:
            return s.replace("{version}", ver).replace("{flavor}", fname)

        return Flavor(
            recipe=self.name, name=fname, version=ver, image=fill(spec.image),
            builder_image=fill(spec.builder_image), libc=spec.libc,
            libc_version=spec.libc_version, arch=spec.arch,
            package_manager=spec.package_manager, prefix=spec.prefix, nginx=spec.nginx,
            load_modules=spec.load_modules, lualib=spec.lualib, luarocks=spec.luarocks,
            luarocks_vars=spec.luarocks_vars, stop_signal=spec.stop_signal,
            ld_library_path=spec.ld_library_path, worker_memory=spec.worker_memory,
            library_index=spec.library_index, resolver_local=spec.resolver_local,
            base_facts=spec.base_facts, modules_image=fill(spec.modules_image),
            modules=self.modules,
        )


def _check(table: dict[str, object], schema: dict[str, tuple[type, bool]], where: str,
           required: bool = True) -> None:
    for key, (typ, needed) in schema.items():
        if key not in table:
            if needed and required:
                raise ConfigError(f"{where}: missing key `{key}`")
            continue
        value = table[key]
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            raise ConfigError(f"{where}: `{key}` must be a {typ.__name__}")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: `{key}` must be a list of strings")
        if isinstance(value, dict) and key not in ("flavors", "modules") and not all(
                isinstance(v, (str, list)) for v in value.values()):
            raise ConfigError(f"{where}: `{key}` must be a table of strings")
    unknown = sorted(set(table) - set(schema))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) " + ", ".join(f"`{k}`" for k in unknown))


def _merged(flavors: dict[str, dict[str, object]], name: str, path: Path) -> dict[str, object]:
    """Flavor `name`'s table with its `extends` chain applied (the child's keys win)."""
    chain: list[str] = []
    here: str | None = name
    while here is not None:
        if here in chain:
            raise ConfigError(f"{path} [flavors.{name}]: `extends` goes round in a circle: "
                              + " -> ".join([*chain, here]))
        if here not in flavors:
            raise ConfigError(f"{path} [flavors.{chain[-1]}]: extends `{here}`, which is not "
                              "a flavor of this recipe")
        chain.append(here)
        parent = flavors[here].get("extends")
        if parent is not None and not isinstance(parent, str):
            raise ConfigError(f"{path} [flavors.{here}]: `extends` must be a str")
        here = parent
    out: dict[str, object] = {}
    for flavor in reversed(chain):
        out.update({k: v for k, v in flavors[flavor].items() if k != "extends"})
    return out


def _spec(name: str, table: dict[str, object], path: Path) -> FlavorSpec:
    where = f"{path} [flavors.{name}]"
    _check(table, FLAVOR_SCHEMA, where)

    def text(key: str, default: str = "") -> str:
        value = table.get(key, default)
        assert isinstance(value, str)
        return value

    def strings(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        assert isinstance(value, list)
        return tuple(str(v) for v in value)

    if text("libc") not in LIBCS:
        raise ConfigError(f"{where}: libc must be one of {', '.join(LIBCS)}")
    if text("package_manager") not in PACKAGE_MANAGERS:
        raise ConfigError(f"{where}: package_manager must be one of "
                          + ", ".join(PACKAGE_MANAGERS))
    for key in ("prefix", "nginx"):
        if not text(key).startswith("/"):
            raise ConfigError(f"{where}: `{key}` must be an absolute path")
    shipped = {}
    for key in ("library_index", "base_facts"):  # snapshots the recipe ships
        rel = text(key)
        if rel and (rel.startswith("/") or ".." in rel.split("/")
                    or not (path.parent.parent / rel).is_file()):
            raise ConfigError(f"{where}: `{key}` must name a file below "
                              f"{path.parent.parent}: {rel}")
        shipped[key] = str(path.parent.parent / rel) if rel else ""
    variables = table.get("luarocks_vars", {})
    assert isinstance(variables, dict)
    return FlavorSpec(
        name=name, summary=text("summary"), image=text("image"),
        builder_image=text("builder_image"), libc=text("libc"),
        libc_version=text("libc_version"), arch=text("arch", "x86_64"),
        package_manager=text("package_manager"), prefix=text("prefix").rstrip("/") or "/",
        nginx=text("nginx"), load_modules=strings("load_modules"), lualib=strings("lualib"),
        luarocks=text("luarocks"),
        luarocks_vars=tuple(sorted((str(k), str(v)) for k, v in variables.items())),
        stop_signal=text("stop_signal", "SIGQUIT"),
        ld_library_path=strings("ld_library_path"), worker_memory=text("worker_memory"),
        library_index=shipped["library_index"],
        resolver_local=bool(table.get("resolver_local", False)), base_facts=shipped["base_facts"],
        modules_image=text("modules_image"),
    )


def _bootstrap(table: dict[str, object], path: Path,
               modules: tuple[NginxModule, ...]) -> Bootstrap:
    _check(table, BOOTSTRAP_SCHEMA, f"{path} [bootstrap]")

    def strings(key: str) -> tuple[str, ...]:
        value = table[key]
        assert isinstance(value, list)
        return tuple(str(v) for v in value)

    if any(m.package for m in modules) and not table.get("modules_tag"):
        raise ConfigError(f"{path} [bootstrap]: the recipe has packaged [modules]: name the "
                          "image their files go to (`modules_tag`)")
    return Bootstrap(
        suite=str(table["suite"]), variant=str(table.get("variant", "minbase")),
        runtime_packages=strings("runtime_packages"),
        builder_packages=strings("builder_packages"),
        runtime_tag=str(table["runtime_tag"]), builder_tag=str(table["builder_tag"]),
        modules_tag=str(table.get("modules_tag", "")),
        module_packages=tuple(m.package for m in modules if m.package))


def load_recipe_file(path: Path) -> Recipe:
    """Load and validate one recipe file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read recipe {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    _check(raw, TOP_SCHEMA, str(path))
    if raw["schema"] != 1:
        raise ConfigError(f"{path}: unsupported recipe schema {raw['schema']}")
    if raw["name"] != path.stem:
        raise ConfigError(f"{path}: `name` must be the file's name, `{path.stem}`")
    flavors = raw["flavors"]
    if raw["default_flavor"] not in flavors:
        raise ConfigError(f"{path}: default_flavor `{raw['default_flavor']}` is not a flavor")
    for fname, table in flavors.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path} [flavors.{fname}]: must be a table")
    specs = tuple(_spec(f, _merged(flavors, f, path), path) for f in flavors)
    modules = parse_modules(raw.get("modules", {}), path)
    return Recipe(
        name=raw["name"],
        path=str(path),
        summary=raw["summary"],
        default_flavor=raw["default_flavor"],
        default_version=raw.get("default_version", ""),
        versions=tuple(raw.get("versions", ())),
        version_pattern=raw.get("version_pattern", ""),
        specs=specs,
        bootstrap=_bootstrap(raw["bootstrap"], path, modules) if "bootstrap" in raw else None,
        modules=modules,
    )


def recipes_dir() -> Path:
    return data_dir("recipes") / "bases"


def recipe_path(name: str) -> str:
    return str(recipes_dir() / f"{name}.toml")


def available() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in recipes_dir().glob("*.toml")))


@cache
def load(name: str, span: Span | None = None) -> Recipe:
    """Load the shipped recipe `name`; an unknown name is a :class:`ConfigError`."""
    path = recipes_dir() / f"{name}.toml"
    if "/" in name or not path.is_file():
        import difflib

        names = available()
        guess = difflib.get_close_matches(name, names, n=1)
        raise ConfigError(
            f"unknown base recipe `{name}`",
            span=span,
            hint=(f"did you mean `{guess[0]}`? " if guess else "") + "known: " + ", ".join(names),
        )
    return load_recipe_file(path)
