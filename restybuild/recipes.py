"""Base recipes: TOML data describing how a base image is laid out.

A recipe is checked against :data:`FLAVOR_SCHEMA` when it is loaded, so a typo
in a shipped or user recipe is reported with the file and the key, not as a
``KeyError`` deep inside the planner.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from restybuild.data import data_dir
from restybuild.errors import ConfigError, Span

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: key -> (type, required) for one flavor table.
FLAVOR_SCHEMA: dict[str, tuple[type, bool]] = {
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
    "user": (str, False),            # the unprivileged user workers run as
    "stop_signal": (str, False),
    "ld_library_path": (list, False),  # LD_LIBRARY_PATH the image sets
    "worker_memory": (str, False),   # memory one nginx worker of this base takes (lint RB401)
    "library_index": (str, False),   # snapshot of the image's library index, below recipes/
    "summary": (str, False),
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
}
LIBCS = ("glibc", "musl")
PACKAGE_MANAGERS = ("apt", "apk", "yum", "dnf", "microdnf")


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
    user: str
    stop_signal: str
    ld_library_path: tuple[str, ...]
    worker_memory: str = ""  # e.g. "64Mi"; "" when the recipe does not say
    library_index: str = ""  # absolute path of the shipped library-index snapshot, or ""

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
    flavors: tuple[str, ...]
    raw: Any

    def flavor(self, name: str | None, version: str | None) -> Flavor:
        """Resolve a flavor (default when None) at a version (default when None)."""
        fname = name or self.default_flavor
        table = self.raw["flavors"].get(fname)
        if table is None:
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
            recipe=self.name,
            name=fname,
            version=ver,
            image=fill(table["image"]),
            builder_image=fill(table["builder_image"]),
            libc=table["libc"],
            libc_version=table.get("libc_version", ""),
            arch=table.get("arch", "x86_64"),
            package_manager=table["package_manager"],
            prefix=table["prefix"].rstrip("/") or "/",
            nginx=table["nginx"],
            load_modules=tuple(table.get("load_modules", ())),
            lualib=tuple(table.get("lualib", ())),
            luarocks=table.get("luarocks", ""),
            luarocks_vars=tuple(sorted(table.get("luarocks_vars", {}).items())),
            user=table.get("user", "nobody"),
            stop_signal=table.get("stop_signal", "SIGQUIT"),
            ld_library_path=tuple(table.get("ld_library_path", ())),
            worker_memory=table.get("worker_memory", ""),
            library_index=str(Path(self.path).parent.parent / table["library_index"])
            if table.get("library_index") else "",
        )


def _check(table: dict[str, Any], schema: dict[str, tuple[type, bool]], where: str) -> None:
    for key, (typ, required) in schema.items():
        if key not in table:
            if required:
                raise ConfigError(f"{where}: missing key `{key}`")
            continue
        if not isinstance(table[key], typ) or (typ is int and isinstance(table[key], bool)):
            raise ConfigError(f"{where}: `{key}` must be a {typ.__name__}")
    unknown = sorted(set(table) - set(schema))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) " + ", ".join(f"`{k}`" for k in unknown))


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
        where = f"{path} [flavors.{fname}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table")
        _check(table, FLAVOR_SCHEMA, where)
        if table["libc"] not in LIBCS:
            raise ConfigError(f"{where}: libc must be one of {', '.join(LIBCS)}")
        if table["package_manager"] not in PACKAGE_MANAGERS:
            raise ConfigError(f"{where}: package_manager must be one of "
                              + ", ".join(PACKAGE_MANAGERS))
        for key in ("prefix", "nginx"):
            if not table[key].startswith("/"):
                raise ConfigError(f"{where}: `{key}` must be an absolute path")
        index = table.get("library_index")
        if index is not None and (index.startswith("/") or ".." in index.split("/")
                                  or not (path.parent.parent / index).is_file()):
            raise ConfigError(f"{where}: `library_index` must name a file below "
                              f"{path.parent.parent}: {index}")
    return Recipe(
        name=raw["name"],
        path=str(path),
        summary=raw["summary"],
        default_flavor=raw["default_flavor"],
        default_version=raw.get("default_version", ""),
        versions=tuple(raw.get("versions", ())),
        version_pattern=raw.get("version_pattern", ""),
        flavors=tuple(flavors),
        raw=raw,
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
