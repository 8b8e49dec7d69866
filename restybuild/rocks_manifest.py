"""A luarocks manifest (a tree's ``lib/luarocks/rocks-5.1/manifest``, or a server's), read.

The format followed is what luarocks writes (``luarocks/manif/writer.lua`` with
``persist.save_from_table``) and reads (``luarocks/core/manif.lua``, whose types are
``luarocks/core/types/manifest.d.tl``): a Lua chunk of four global tables,

``repository = { NAME = { VERSION = { ENTRY, ... } } }``
    One entry per form of the rock: ``{ arch = "installed", modules = { MOD = FILE },
    commands = { CMD = FILE }, dependencies = { NAME = VERSION } }`` in a tree (FILE is
    relative to the tree's lua/lib or bin folder; ``dependencies`` is the resolved chain
    of installed versions); ``{ arch = "src" }``, ``"rockspec"``, ``"all"`` or a platform
    such as ``"linux-x86_64"`` on a server, with no other field.
``modules = { MOD = { "NAME/VERSION", ... } }``, ``commands = { CMD = { ... } }``
    Who provides each module or command, the one loaded first first.
``dependencies = { NAME = { VERSION = { QUERY, ... } } }``
    What each installed rock declares, a QUERY being ``{ name = "lua", constraints =
    { { op = ">=", version = { 5, 1, string = "5.1" } } } }`` (trees only).

The chunk is read with :func:`restybuild.luatable.read_assignments`, never run. Syntax
errors raise :class:`~restybuild.luatable.LuaDataError`, as does a chunk with no
``repository`` table; an entry of the wrong shape inside is skipped.
"""

from __future__ import annotations

from restybuild.luatable import LuaDataError, LuaTable, LuaValue, read_assignments
from restybuild.records import dataclass, field


@dataclass(frozen=True)
class Dependency:
    """A declared dependency: ``lua >= 5.1, < 5.5`` is ("lua", ((">=", "5.1"), ("<", "5.5")))."""

    name: str
    constraints: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        spec = ", ".join(f"{op} {version}" for op, version in self.constraints)
        return f"{self.name} {spec}" if spec else self.name


@dataclass(frozen=True)
class ManifestRock:
    """One version of a rock: its forms (arches) and, when installed, what it provides."""

    name: str
    version: str
    arches: tuple[str, ...]
    modules: dict[str, str] = field(default_factory=dict)  # module -> file
    commands: dict[str, str] = field(default_factory=dict)  # command -> file
    dependencies: dict[str, str] = field(default_factory=dict)  # rock -> version, resolved
    requires: tuple[Dependency, ...] = ()  # as declared

    @property
    def installed(self) -> bool:
        return "installed" in self.arches


@dataclass(frozen=True)
class Manifest:
    rocks: tuple[ManifestRock, ...]  # by name, then versions as listed
    modules: dict[str, tuple[str, ...]]  # module -> ("name/version", ...), first loaded first
    commands: dict[str, tuple[str, ...]]

    def rock(self, name: str, version: str | None = None) -> ManifestRock | None:
        """The rock ``name`` (at ``version``, or its first listed version), or None."""
        name = name.lower()
        found = [r for r in self.rocks if r.name == name
                 and (version is None or r.version == version)]
        return found[0] if found else None

    def installed(self) -> tuple[ManifestRock, ...]:
        return tuple(r for r in self.rocks if r.installed)

    def providers(self, module: str) -> tuple[ManifestRock, ...]:
        """The rocks providing ``module`` (``a.b`` also through ``a.b.init``), first first."""
        idents = self.modules.get(module) or self.modules.get(module + ".init") or ()
        by_ident = {f"{r.name}/{r.version}": r for r in self.rocks}
        return tuple(by_ident[i] for i in idents if i in by_ident)

    def rock_lines(self) -> list[str]:
        """``rock NAME VERSION`` for every installed rock, as a Restyfile declares it."""
        return [f"rock {r.name} {r.version}" for r in self.installed()]


def _strings(value: LuaValue) -> dict[str, str]:
    """The string-to-string pairs of a table (other pairs are skipped)."""
    if not isinstance(value, LuaTable):
        return {}
    return {k: v for k, v in value.fields.items() if isinstance(k, str) and isinstance(v, str)}


def _idents(value: LuaValue) -> dict[str, tuple[str, ...]]:
    """A ``{ ITEM = { "name/version", ... } }`` table."""
    if not isinstance(value, LuaTable):
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for key, idents in value.fields.items():
        if isinstance(key, str) and isinstance(idents, LuaTable):
            out[key] = tuple(i for i in idents.array if isinstance(i, str))
    return out


def _query(value: LuaValue) -> Dependency | None:
    if not isinstance(value, LuaTable) or not isinstance(value.get("name"), str):
        return None
    constraints: list[tuple[str, str]] = []
    listed = value.table("constraints")
    for c in listed.array if listed else ():
        if not isinstance(c, LuaTable):
            continue
        version = c.get("version")
        if isinstance(version, LuaTable):
            parts = [str(p) for p in version.array if isinstance(p, (int, float, str))]
            version = version.string("string") or ".".join(parts)
        if isinstance(version, str):
            constraints.append((c.string("op") or "==", version))
    return Dependency(str(value.get("name")), tuple(constraints))


def _requires(deps: LuaValue, name: str, version: str) -> tuple[Dependency, ...]:
    per_name = deps.table(name) if isinstance(deps, LuaTable) else None
    queries = per_name.table(version) if per_name else None
    found = (_query(q) for q in (queries.array if queries else ()))
    return tuple(d for d in found if d is not None)


def _rock(name: str, version: str, entries: LuaTable, deps: LuaValue) -> ManifestRock:
    arches: list[str] = []
    modules: dict[str, str] = {}
    commands: dict[str, str] = {}
    resolved: dict[str, str] = {}
    for entry in entries.array:
        if not isinstance(entry, LuaTable):
            continue
        arches.append(entry.string("arch") or "")
        modules.update(_strings(entry.get("modules")))
        commands.update(_strings(entry.get("commands")))
        resolved.update(_strings(entry.get("dependencies")))
    return ManifestRock(name.lower(), version, tuple(arches), modules, commands, resolved,
                        _requires(deps, name, version))


def read_manifest(source: bytes) -> Manifest:
    """The rocks, modules and commands a manifest lists."""
    globals_ = read_assignments(source)
    repository = globals_.get("repository")
    if not isinstance(repository, LuaTable):
        raise LuaDataError("not a luarocks manifest: no `repository` table", 1, 1)
    rocks: list[ManifestRock] = []
    for name in sorted(k for k in repository.fields if isinstance(k, str)):
        versions = repository.fields[name]
        if not isinstance(versions, LuaTable):
            continue
        for version, entries in versions.fields.items():
            if isinstance(version, str) and isinstance(entries, LuaTable):
                rocks.append(_rock(name, version, entries, globals_.get("dependencies")))
    modules = _idents(globals_.get("modules"))
    commands = _idents(globals_.get("commands"))
    for rock in rocks:  # what the top-level tables leave out, from the entries
        ident = f"{rock.name}/{rock.version}"
        for table, items in ((modules, rock.modules), (commands, rock.commands)):
            for item in items:
                if ident not in table.get(item, ()):
                    table[item] = (*table.get(item, ()), ident)
    return Manifest(tuple(rocks), modules, commands)
