"""The table ``discover`` ships with the recipes (``recipes/discover.toml``), loaded once."""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

from restybuild.data import data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@cache
def table() -> dict[str, Any]:
    path = data_dir("recipes") / "discover.toml"
    with open(path, "rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    if data.get("schema") != 1:
        raise ValueError(f"{path}: schema {data.get('schema')} (expected 1)")
    return data


def version_key(version: str) -> tuple[int, ...]:
    """1.13.6.2 -> (1, 13, 6, 2); a part that is not a number ends the key."""
    out: list[int] = []
    for part in version.replace("-", ".").split("."):
        if not part.isdigit():
            break
        out.append(int(part))
    return tuple(out)


def openresty_line(version: str) -> dict[str, str] | None:
    """The release line `version` belongs to (its first three numbers), or None."""
    key = version_key(version)[:3]
    for line in table()["openresty"]["lines"]:
        if version_key(line["line"]) == key:
            return dict(line)
    return None


def base_modules(recipe: str) -> frozenset[str]:
    mods = table()["modules"].get(recipe, {})
    return frozenset((*mods.get("compiled", ()), *mods.get("added", ())))


def rock_packages(rock: str, package_manager: str) -> tuple[str, str] | None:
    """(build package, runtime package) rock `rock` needs on `package_manager`, or None."""
    entry = table()["rock_packages"].get(rock)
    if not entry:
        return None
    pm = "yum" if package_manager in ("dnf", "microdnf") else package_manager
    pair = entry.get(pm)
    return (str(pair[0]), str(pair[1])) if pair else None


def compiler_flavor(compiler: str) -> tuple[str, str] | None:
    """(family, openresty flavor) the `nginx -V` compiler line points to, or None."""
    for c in table()["compilers"]:
        if c["match"] in compiler:
            return str(c["family"]), str(c["flavor"])
    return None
