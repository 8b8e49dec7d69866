from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from restybuild.errors import ConfigError
from restybuild.rockserver import deduce_base_dir, main, make_server, manifest_text, read_rock_dir

DEMO_ROCK = Path(__file__).resolve().parent.parent / "examples/demo/rocks-src/restydemo-banner"

ROCKSPEC = """\
package = "Foo-Bar"
version = "1.2-1"
source = {
   url = "https://example.invalid/foo-bar-1.2.tar.gz",
}
build = { type = "builtin", modules = { ["foo.bar"] = "foo/bar.lua" } }
"""


def make_rock(
    root: Path,
    name: str = "foo-bar-1.2-1",
    spec: str = ROCKSPEC,
    files: dict[str, str] | None = None,
) -> Path:
    rock = root / name
    rock.mkdir(parents=True)
    (rock / f"{name}.rockspec").write_text(spec)
    for rel, text in (files if files is not None else {"foo/bar.lua": "return {x = 1}\n"}).items():
        (rock / rel).parent.mkdir(parents=True, exist_ok=True)
        (rock / rel).write_text(text)
    return rock


def tar_members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tf:
        return {m.name: m for m in tf.getmembers()}


def test_src_rock_layout_is_rockspec_plus_source_archive(tmp_path: Path) -> None:
    rock = make_rock(tmp_path / "src", files={"foo/bar.lua": "return 1\n", ".git/x": "no"})
    written = make_server(tmp_path / "srv", [rock])
    assert [p.name for p in written] == [
        "foo-bar-1.2-1.src.rock",
        "manifest",
        "manifest-5.1",
    ]
    with zipfile.ZipFile(written[0]) as zf:
        assert zf.namelist() == ["foo-bar-1.2-1.rockspec", "foo-bar-1.2.tar.gz"]
        assert zf.read("foo-bar-1.2-1.rockspec").decode() == ROCKSPEC
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        members = tar_members(zf.read("foo-bar-1.2.tar.gz"))
    assert list(members) == ["foo-bar-1.2", "foo-bar-1.2/foo", "foo-bar-1.2/foo/bar.lua"]
    lua = members["foo-bar-1.2/foo/bar.lua"]
    assert (lua.mtime, lua.uid, lua.gid, lua.mode, lua.size) == (0, 0, 0, 0o644, 9)
    assert members["foo-bar-1.2"].isdir()


def test_zip_source_and_explicit_dir(tmp_path: Path) -> None:
    spec = ROCKSPEC.replace("foo-bar-1.2.tar.gz", "fb.zip").replace(
        "   url", '   dir = "fb-src",\n   url'
    )
    rock = make_rock(tmp_path, spec=spec)
    assert read_rock_dir(rock).base_dir == "fb-src"
    [src, *_] = make_server(tmp_path / "srv", [rock])
    with zipfile.ZipFile(src) as zf:
        assert zf.namelist() == ["fb.zip", "foo-bar-1.2-1.rockspec"]
        inner = zipfile.ZipFile(io.BytesIO(zf.read("fb.zip")))
    assert inner.namelist() == ["fb-src/", "fb-src/foo/", "fb-src/foo/bar.lua"]
    assert inner.read("fb-src/foo/bar.lua") == b"return {x = 1}\n"


def test_vcs_url_stores_the_tree_in_the_rock(tmp_path: Path) -> None:
    spec = ROCKSPEC.replace("https://example.invalid/foo-bar-1.2.tar.gz", "git+https://h/fb.git")
    [src, *_] = make_server(tmp_path / "srv", [make_rock(tmp_path, spec=spec)])
    with zipfile.ZipFile(src) as zf:
        assert zf.namelist() == ["fb/", "fb/foo/", "fb/foo/bar.lua", "foo-bar-1.2-1.rockspec"]


def test_manifest_matches_luarocks_admin(tmp_path: Path) -> None:
    # Text checked against `luarocks-admin make_manifest` (luarocks 3.8) on the same rocks.
    one = make_rock(tmp_path, spec=ROCKSPEC)
    two = make_rock(
        tmp_path,
        "zp-2.0-3",
        ROCKSPEC.replace('"Foo-Bar"', '"zp"').replace("1.2-1", "2.0-3"),
    )
    text = manifest_text([read_rock_dir(two), read_rock_dir(one)])
    assert text == (
        "commands = {}\n"
        "modules = {}\n"
        "repository = {\n"
        '   ["foo-bar"] = {\n'
        '      ["1.2-1"] = {\n'
        "         {\n"
        '            arch = "src"\n'
        "         }\n"
        "      }\n"
        "   },\n"
        "   zp = {\n"
        '      ["2.0-3"] = {\n'
        "         {\n"
        '            arch = "src"\n'
        "         }\n"
        "      }\n"
        "   }\n"
        "}\n"
    )
    written = make_server(tmp_path / "srv", [one, two])
    assert (tmp_path / "srv/manifest").read_text() == text
    assert (tmp_path / "srv/manifest-5.1").read_text() == text
    assert [p.name for p in written][:2] == ["foo-bar-1.2-1.src.rock", "zp-2.0-3.src.rock"]


def test_empty_manifest() -> None:
    assert manifest_text([]) == "commands = {}\nmodules = {}\nrepository = {}\n"


def test_two_runs_are_byte_identical_and_idempotent(tmp_path: Path) -> None:
    rock = make_rock(tmp_path / "src")
    first = make_server(tmp_path / "a", [rock])
    second = make_server(tmp_path / "b", [rock])
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    stamps = [p.stat().st_mtime_ns for p in first]
    again = make_server(tmp_path / "a", [rock])
    assert again == first
    assert [p.stat().st_mtime_ns for p in again] == stamps  # unchanged files are not rewritten
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(p.name for p in first)


def test_stale_rocks_are_removed_other_files_kept(tmp_path: Path) -> None:
    dest = tmp_path / "srv"
    dest.mkdir()
    (dest / "old-0.1-1.src.rock").write_bytes(b"x")
    (dest / "manifest-5.2").write_text("x")
    (dest / "README").write_text("keep")
    make_server(dest, [make_rock(tmp_path)])
    assert sorted(p.name for p in dest.iterdir()) == [
        "README",
        "foo-bar-1.2-1.src.rock",
        "manifest",
        "manifest-5.1",
    ]


def test_demo_rock_builds() -> None:
    rock = read_rock_dir(DEMO_ROCK)
    assert (rock.name, rock.version, rock.archive) == (
        "restydemo-banner",
        "1.0-1",
        "restydemo-banner-1.0.tar.gz",
    )


def test_deduce_base_dir_follows_luarocks() -> None:
    assert deduce_base_dir("x-1.0.tar.gz") == "x-1.0"
    assert deduce_base_dir("x-1.0.tgz") == "x-1.0"
    assert deduce_base_dir("x-1.0.zip") == "x-1.0"
    assert deduce_base_dir("lua-x.git") == "lua-x"


@pytest.mark.parametrize(
    ("spec", "name", "message"),
    [
        (ROCKSPEC.replace('version = "1.2-1"\n', ""), None, "no `package"),
        (ROCKSPEC.replace("1.2-1", "1.2"), "foo-bar-1.2", "VERSION-REVISION"),
        (ROCKSPEC, "foo-1.2-1", r"rename it foo-bar-1\.2-1\.rockspec"),
        (ROCKSPEC.replace(".tar.gz", ".rar"), None, "must name an archive"),
        (ROCKSPEC.replace("source", "src"), None, "no `source"),
        (ROCKSPEC.replace("   url", '   dir = "../up",\n   url'), None, "relative path"),
    ],
)
def test_malformed_rockspec(tmp_path: Path, spec: str, name: str | None, message: str) -> None:
    rock = make_rock(tmp_path, name or "foo-bar-1.2-1", spec)
    with pytest.raises(ConfigError, match=message):
        make_server(tmp_path / "srv", [rock])
    assert not (tmp_path / "srv").exists()


def test_malformed_rock_dirs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_rock_dir(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"exactly one \.rockspec \(found: none\)"):
        read_rock_dir(tmp_path / "empty")
    two = make_rock(tmp_path)
    (two / "foo-bar-1.3-1.rockspec").write_text(ROCKSPEC)
    with pytest.raises(ConfigError, match=r"found: foo-bar-1\.2-1\.rockspec, foo-bar-1\.3-1"):
        read_rock_dir(two)
    bare = make_rock(tmp_path / "bare", files={})
    with pytest.raises(ConfigError, match="no source files"):
        make_server(tmp_path / "srv", [bare])
    with pytest.raises(ConfigError, match="given twice"):
        make_server(tmp_path / "srv", [bare, bare])


def test_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rock = make_rock(tmp_path)
    assert main([str(tmp_path / "srv"), str(rock)]) == 0
    assert "foo-bar-1.2-1.src.rock" in capsys.readouterr().out
    assert main([str(tmp_path / "srv"), str(tmp_path / "missing")]) == 4
    assert "error: rock directory" in capsys.readouterr().err
