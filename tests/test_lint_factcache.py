"""Incremental lint: the Lua facts of each file are kept by content hash (JSON in the private
cache folder), so after one Lua file changes only that file is scanned again, and the
findings are those of a lint that scans everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.lint import factcache, luascan

RESTYFILE = """name app
base debian-bookworm
conf conf
lua lua -> lua
shared_dict cache 1m
"""
CONF = """events {}
http {
    lua_package_path "$prefix/lua/?.lua;;";
    server {
        listen 8080;
        location / { content_by_lua_block { require("app.m0").run() } }
    }
}
"""


def module(i: int, extra: str = "") -> str:
    return (f"local M = {{}}\nlocal missing = require(\"nowhere.m{i}\")\n"
            f"function M.run()\n  local d = ngx.shared.cache{i}\n  return os.getenv(\"X{i}\")\n"
            f"end\n{extra}return M\n")


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    root = tmp_path / "app"
    (root / "conf").mkdir(parents=True)
    (root / "lua/app").mkdir(parents=True)
    (root / "Restyfile").write_text(RESTYFILE)
    (root / "conf/nginx.conf").write_text(CONF)
    for i in range(4):
        (root / f"lua/app/m{i}.lua").write_text(module(i))
    monkeypatch.chdir(root)
    return root


@pytest.fixture()
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the scanner reads (conf blocks are scanned in place, not counted)."""
    files: list[str] = []
    real = luascan.scan

    def counting(source: bytes, file: str, line_offset: int = 0,
                 col_offset: int = 0) -> luascan.LuaFacts:
        if file.endswith(".lua"):
            files.append(Path(file).name)
        return real(source, file, line_offset, col_offset)

    monkeypatch.setattr(luascan, "scan", counting)
    return files


def lint(capsys: pytest.CaptureFixture[str]) -> str:
    main(["lint", "Restyfile", "--format", "json"])
    return capsys.readouterr().out


def test_only_the_changed_file_is_scanned_again(project: Path, scanned: list[str],
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first = lint(capsys)
    assert sorted(scanned) == [f"m{i}.lua" for i in range(4)]
    (project / "lua/app/m2.lua").write_text(module(2, 'local r = require("also.gone")\n'))
    scanned.clear()
    second = lint(capsys)
    assert scanned == ["m2.lua"]
    assert "also.gone" in second and "also.gone" not in first
    # the same findings as a lint that stores nothing and scans everything
    monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    scanned.clear()
    assert lint(capsys) == second
    assert sorted(scanned) == [f"m{i}.lua" for i in range(4)]


def test_the_store_is_json_data_and_bad_entries_are_scanned_again(
        project: Path, scanned: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    first = lint(capsys)
    store = Path(factcache._path() or "")
    assert store.parent.stat().st_mode & 0o077 == 0  # the private folder
    data = json.loads(store.read_text())
    assert data["format"] == factcache.FORMAT and len(data["entries"]) == 4
    key = next(iter(data["entries"]))
    data["entries"][key]["requires"] = [["x", 1, "not", "a", "span", 0, ""]]
    store.write_text(json.dumps(data))
    (project / "lua/app/m3.lua").write_text(module(3, "-- edited\n"))  # the lint runs again
    scanned.clear()
    assert lint(capsys) == first
    assert len(scanned) == 2  # the edited file and the entry that was not facts


def test_facts_round_trip() -> None:
    facts = luascan.scan(module(1, "local f = io.open(ngx.config.prefix() .. 'x', 'w')\n"
                                   "-- restybuild: ignore RB301\n").encode(), "/p/m.lua")
    back = factcache.from_json(json.loads(json.dumps(factcache.to_json(facts))))
    assert back == facts
    assert factcache.from_json({"requires": "nope"}) is None


def test_the_lua_language_read_from_the_binding_is_the_packages() -> None:
    """luascan.language() loads tree_sitter_lua's binding without the package's __init__;
    it parses as the package's language does."""
    import subprocess
    import sys

    from tests.conftest import REPO

    code = ("import sys\nfrom restybuild.lint import luascan\n"
            "tree = luascan.parser().parse(b'local x = require(\"a.b\")\\nreturn x\\n')\n"
            "print('tree_sitter_lua' in sys.modules, str(tree.root_node))\n"
            "import tree_sitter_lua\nfrom tree_sitter import Language, Parser\n"
            "p = Parser(Language(tree_sitter_lua.language()))\n"
            "print(str(p.parse(b'local x = require(\"a.b\")\\nreturn x\\n').root_node))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[0].startswith("False (chunk")
    assert out[0].split(" ", 1)[1] == out[1]
