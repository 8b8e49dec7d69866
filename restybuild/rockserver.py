"""Make an offline luarocks server folder from rock source directories.

Each rock directory holds one ``NAME-VERSION.rockspec`` and the rock's source
files (pure Lua, ``build.type = "builtin"``). :func:`make_server` writes, for
each, a ``NAME-VERSION.src.rock`` laid out as ``luarocks pack`` lays it out: the
rockspec beside the source archive that its ``source.url`` names (``.tar.gz``,
``.tgz`` or ``.zip``), or, for a VCS url (``git+https://...``), beside the
source tree itself. It also writes ``manifest`` and ``manifest-5.1`` exactly as
``luarocks-admin make_manifest`` writes them; luarocks 3.8 reads only the
versioned one from a folder server. ``luarocks install --only-server=DIR`` then
installs from the folder with no network.

Output is deterministic (sorted entries; fixed timestamps, owner and modes), so
two runs give identical bytes; an unchanged file is not rewritten. CLI:
``python -m restybuild.rockserver DEST ROCK_DIR...``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import sys
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional, Union

from restybuild.errors import ConfigError
from restybuild.records import dataclass

#: Timestamp of every zip entry (the earliest a zip can hold).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Lua versions for which a versioned manifest is written next to ``manifest``.
LUA_VERSIONS = ("5.1",)
#: Source archive suffixes that luarocks 3.8 can unpack from a src.rock.
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
#: URL protocols whose source is a downloaded file; any other (git+https...) is a VCS checkout.
BASIC_PROTOCOLS = ("http", "https", "ftp", "file")

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.+-]*$")
_VERSION_RE = re.compile(r"^[a-zA-Z0-9_.]+-[0-9]+$")
_LUA_KEYWORDS = frozenset(
    "and break do else elseif end false for function goto if in local nil not or repeat return "  # noqa: SIM905
    "then true until while".split()
)

#: A value of a Lua table as luarocks persists it: string, array or string-keyed table.
LuaValue = Union[str, list["LuaValue"], dict[str, "LuaValue"]]
#: One archive member: path, contents (None for a directory) and permission bits.
Entry = tuple[str, Optional[bytes], int]


@dataclass(frozen=True)
class RockSource:
    """What :func:`read_rock_dir` learnt from one rock directory."""

    path: Path
    rockspec: Path
    name: str
    version: str
    archive: str | None  # source archive inside the src.rock; None: the tree is stored as is
    base_dir: str  # top directory of the sources (luarocks' source.dir)

    @property
    def rock_name(self) -> str:
        return f"{self.name}-{self.version}.src.rock"


def _field(text: str, key: str, *, line_start: bool = True) -> str | None:
    """The string value of the first ``key = "..."`` in Lua source ``text``."""
    before = r"^[ \t]*" if line_start else r"(?<![\w.])"
    m = re.search(rf"""{before}{key}[ \t]*=[ \t]*(?:"([^"\n]*)"|'([^'\n]*)')""", text, re.M)
    if m is None:
        return None
    return m.group(1) if m.group(1) is not None else m.group(2)


def _source_table(text: str) -> str | None:
    m = re.search(r"^[ \t]*source[ \t]*=[ \t]*\{([^}]*)\}", text, re.M)
    return m.group(1) if m else None


def deduce_base_dir(archive: str) -> str:
    """The top directory luarocks expects in ``archive`` (``dir.deduce_base_dir``)."""
    known = {"zip", "git", "tgz", "tar", "gz", "bz2"}
    base = re.sub(r"\.([^.]*)$", lambda m: "" if m.group(1) in known else m.group(0), archive)
    return base.replace(".tar", "")


def read_rock_dir(path: Path) -> RockSource:
    """Find and check the rockspec in ``path``; raise :class:`ConfigError` if malformed."""
    if not path.is_dir():
        raise ConfigError(f"rock directory {path} does not exist")
    specs = sorted(path.glob("*.rockspec"))
    if len(specs) != 1:
        found = ", ".join(p.name for p in specs) or "none"
        raise ConfigError(f"rock directory {path} must hold exactly one .rockspec (found: {found})")
    spec = specs[0]
    text = spec.read_text(encoding="utf-8", errors="replace")
    package = _field(text, "package")
    version = _field(text, "version")
    if not package or not version:
        raise ConfigError(f'{spec}: no `package = "..."` and `version = "..."` lines')
    name = package.lower()
    if not _NAME_RE.match(name):
        raise ConfigError(f"{spec}: bad package name {package!r}")
    if not _VERSION_RE.match(version):
        raise ConfigError(f"{spec}: version {version!r} is not of the form VERSION-REVISION")
    if spec.name != f"{name}-{version}.rockspec":
        raise ConfigError(
            f"{spec}: file name does not match its contents; rename it {name}-{version}.rockspec"
        )
    source = _source_table(text) or ""
    url = _field(source, "url", line_start=False)
    if not url:
        raise ConfigError(f'{spec}: no `source = {{ url = "..." }}` table')
    m = re.match(r"^([^:]*)://", url)
    vcs = m is not None and m.group(1) not in BASIC_PROTOCOLS
    basename = url.rstrip("/").rsplit("/", 1)[-1]
    archive = None if vcs else (_field(source, "file", line_start=False) or basename).strip()
    if archive is not None and (not archive.endswith(ARCHIVE_SUFFIXES) or "/" in archive):
        raise ConfigError(
            f"{spec}: source.url must name an archive ending in {', '.join(ARCHIVE_SUFFIXES)}"
            f" or be a VCS url like git+https://... (got {url!r})"
        )
    base_dir = _field(source, "dir", line_start=False) or deduce_base_dir(archive or basename)
    if base_dir.startswith("/") or ".." in base_dir.split("/"):
        raise ConfigError(f"{spec}: source.dir {base_dir!r} must be a relative path")
    return RockSource(path, spec, name, version, archive, base_dir.strip("/") or ".")


def _source_files(rock: RockSource) -> list[tuple[str, Path]]:
    """``(relative posix path, file)`` of every source file, sorted; skips dotfiles."""
    files = [(p.relative_to(rock.path), p) for p in rock.path.rglob("*") if p.is_file()]
    return sorted(
        (rel.as_posix(), p)
        for rel, p in files
        if p != rock.rockspec
        and not any(s.startswith(".") or s == "__pycache__" for s in rel.parts)
    )


def _zip_bytes(entries: Sequence[Entry]) -> bytes:
    """A zip of ``(name, data or None for a directory, mode)`` with fixed metadata."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name + ("/" if data is None else ""), ZIP_EPOCH)
            info.create_system = 3  # unix, so external_attr holds the mode
            if data is None:
                info.external_attr = (0o40000 | mode) << 16 | 0x10
                zf.writestr(info, b"")
            else:
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data, compresslevel=9)
    return buf.getvalue()


def _tgz_bytes(entries: Sequence[Entry]) -> bytes:
    """A gzipped ustar archive of the same entries, owned by root, dated 1970."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.mode, info.mtime, info.uid, info.gid = mode, 0, 0, 0
            info.uname = info.gname = "root"
            if data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), compresslevel=9, mtime=0)


def _tree_entries(rock: RockSource) -> list[Entry]:
    """The source tree under ``base_dir``: directories and files, sorted by path."""
    top = "" if rock.base_dir == "." else rock.base_dir + "/"
    files = [(top + rel, p) for rel, p in _source_files(rock)]
    if not files:
        raise ConfigError(f"rock directory {rock.path} holds no source files besides the rockspec")
    split = [name.split("/") for name, _ in files]
    dirs = {"/".join(parts[:i]) for parts in split for i in range(1, len(parts))}
    entries: list[Entry] = [(d, None, 0o755) for d in dirs]
    entries += [
        (name, p.read_bytes(), 0o755 if p.stat().st_mode & 0o111 else 0o644) for name, p in files
    ]
    return sorted(entries, key=lambda e: e[0])


def source_archive(rock: RockSource) -> bytes:
    """The bytes of the source archive that ``source.url`` names."""
    if rock.archive is None:
        raise ValueError(f"{rock.name} has a VCS source and no archive")
    if rock.archive.endswith(".zip"):
        return _zip_bytes(_tree_entries(rock))
    return _tgz_bytes(_tree_entries(rock))


def src_rock(rock: RockSource) -> bytes:
    """The bytes of ``NAME-VERSION.src.rock``: the rockspec and the source archive (or tree)."""
    entries: list[Entry] = [(rock.rockspec.name, rock.rockspec.read_bytes(), 0o644)]
    if rock.archive is None:
        entries += _tree_entries(rock)
    else:
        entries.append((rock.archive, source_archive(rock), 0o644))
    return _zip_bytes(sorted(entries, key=lambda e: e[0]))


def _lua_key(key: str) -> str:
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key) and key not in _LUA_KEYWORDS:
        return key
    return f"[{_lua_string(key)}]"


def _lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_value(value: LuaValue, level: int = 0) -> str:
    """``value`` as Lua source, laid out like luarocks' ``persist.write_value``."""
    if isinstance(value, str):
        return _lua_string(value)
    if isinstance(value, list):
        items = [("", v) for v in value]
    else:
        items = [(f"{_lua_key(k)} = ", v) for k, v in sorted(value.items())]
    if not items:
        return "{}"
    pad = "   " * (level + 1)
    body = ",\n".join(f"{pad}{key}{lua_value(v, level + 1)}" for key, v in items)
    return "{\n" + body + "\n" + "   " * level + "}"


def manifest_text(rocks: Sequence[RockSource]) -> str:
    """The manifest of a server holding ``rocks`` as src rocks, as luarocks-admin writes it."""
    repository: dict[str, dict[str, LuaValue]] = {}
    for rock in rocks:
        repository.setdefault(rock.name, {})[rock.version] = [{"arch": "src"}]
    table: dict[str, LuaValue] = {"commands": {}, "modules": {}, "repository": {**repository}}
    return "".join(f"{key} = {lua_value(v)}\n" for key, v in sorted(table.items()))


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def make_server(dest: Path, rock_dirs: Sequence[Path]) -> list[Path]:
    """Write the src rocks of ``rock_dirs`` and their manifests into ``dest``.

    Returns the paths of the server's files: the rocks sorted by name, then
    ``manifest`` and the versioned manifests. Rocks and manifests left in
    ``dest`` by an earlier run that are no longer wanted are removed; other
    files are left alone.
    """
    rocks = sorted((read_rock_dir(Path(d)) for d in rock_dirs), key=lambda r: r.rock_name)
    for one, two in zip(rocks, rocks[1:]):
        if one.rock_name == two.rock_name:
            raise ConfigError(f"{one.name} {one.version} is given twice: {one.path}, {two.path}")
    blobs = {rock.rock_name: src_rock(rock) for rock in rocks}  # fail before writing anything
    manifest = manifest_text(rocks).encode()
    for name in ("manifest", *(f"manifest-{v}" for v in LUA_VERSIONS)):
        blobs[name] = manifest
    dest.mkdir(parents=True, exist_ok=True)
    written = [dest / name for name in blobs]
    for path, data in zip(written, blobs.values()):
        _write_if_changed(path, data)
    for stale in (*dest.glob("*.src.rock"), *dest.glob("manifest*")):
        if stale not in written and stale.is_file():
            stale.unlink()
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m restybuild.rockserver",
        description="Make an offline luarocks server folder from rock source directories.",
    )
    parser.add_argument("dest", type=Path, help="server folder to write")
    parser.add_argument("rock_dirs", type=Path, nargs="+", help="directories with one rockspec")
    args = parser.parse_args(argv)
    try:
        written = make_server(args.dest, args.rock_dirs)
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
