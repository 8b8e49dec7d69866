"""RB101 and the modules of declared rocks, read from their rockspecs as luarocks would."""

from __future__ import annotations

from pathlib import Path

from restybuild.rockserver import make_server
from tests.conftest import write_tree
from tests.lint.util import HEAD, LintFiles

LUA_R = HEAD + "lua lua -> lua\n"
UNRESOLVED = "no declared lua folder, native, rock or the base image provides this module"
SPEC_HEAD = ('rockspec_format = "3.0"\npackage = "demo"\nversion = "1.0-1"\n'
             'source = { url = "demo-1.0.tar.gz" }\n')


def requires(*modules: str) -> str:
    return "".join(f'local m{i} = require("{m}")\n' for i, m in enumerate(modules))


def server_project(tmp_path: Path, spec: str, files: dict[str, str]) -> Path:
    write_tree(tmp_path / "rock-src", {"demo-1.0-1.rockspec": spec, **files})
    project = tmp_path / "proj"
    make_server(project / "rocks", [tmp_path / "rock-src"])
    return project


SERVER_R = LUA_R + "rocks -> luarocks {\n    server rocks\n    rock demo 1.0-1\n}\n"
SPEC_R = LUA_R + "rocks -> luarocks {\n    rock specs/demo-1.0-1.rockspec\n}\n"


def test_a_builtin_rock_with_no_modules_provides_what_luarocks_autodetects(
        tmp_path: Path, lint_files: LintFiles) -> None:
    project = server_project(tmp_path, SPEC_HEAD + 'build = { type = "builtin" }\n',
                             {"src/demo/init.lua": "return {}\n", "src/demo/x.lua": "",
                              "test.lua": ""})
    report = lint_files({"Restyfile": SERVER_R,
                         "lua/a.lua": requires("demo", "demo.x", "demo.init", "test", "demo.y")},
                        root=project)
    assert report.lines == [
        f'lua/a.lua:4:12: RB101 error: `require "test"`: {UNRESOLVED}',
        f'lua/a.lua:5:12: RB101 error: `require "demo.y"`: {UNRESOLVED}']


def test_a_rockspec_in_the_project_autodetects_from_the_files_beside_it(
        lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": SPEC_R,
                         "specs/demo-1.0-1.rockspec": SPEC_HEAD,  # no build table: builtin
                         "specs/lua/demo/util.lua": "return 1\n",
                         "lua/a.lua": requires("demo.util", "demo.other")})
    assert report.lines == [f'lua/a.lua:2:12: RB101 error: `require "demo.other"`: {UNRESOLVED}']


def test_braces_in_comments_and_strings_do_not_hide_modules(lint_files: LintFiles) -> None:
    spec = SPEC_HEAD + ('build = {\n   type = "builtin", -- modules = { fake = "x" }\n'
                        '   modules = {\n      -- the } of a note\n'
                        '      ["demo.a"] = "odd\\"}.lua",\n      ["demo.b"] = [[ b}.lua ]],\n'
                        '   },\n}\n')
    report = lint_files({"Restyfile": SPEC_R, "specs/demo-1.0-1.rockspec": spec,
                         "lua/a.lua": requires("demo.a", "demo.b", "fake")})
    assert report.lines == [f'lua/a.lua:3:12: RB101 error: `require "fake"`: {UNRESOLVED}']


def test_install_lua_modules_are_provided(lint_files: LintFiles) -> None:
    spec = SPEC_HEAD + ('build = { type = "builtin", modules = { ["demo.a"] = "a.lua" },\n'
                        '   install = { lua = { ["demo.conf"] = "conf/demo.lua" } } }\n')
    report = lint_files({"Restyfile": SPEC_R, "specs/demo-1.0-1.rockspec": spec,
                         "lua/a.lua": requires("demo.a", "demo.conf")})
    assert report.lines == []


def test_modules_of_another_platform_are_not_provided(lint_files: LintFiles) -> None:
    spec = SPEC_HEAD + ('build = { type = "builtin", modules = { a = "a.lua" }, platforms = {\n'
                        '   windows = { modules = { ["a.win"] = "w.lua" } } } }\n')
    report = lint_files({"Restyfile": SPEC_R, "specs/demo-1.0-1.rockspec": spec,
                         "lua/a.lua": requires("a", "a.win")})
    assert report.lines == [f'lua/a.lua:2:12: RB101 error: `require "a.win"`: {UNRESOLVED}']


def test_a_make_rock_may_provide_more_so_a_miss_is_a_warning(lint_files: LintFiles) -> None:
    spec = SPEC_HEAD + 'build = { type = "make", install = { lua = { ["demo.a"] = "a.lua" } } }\n'
    report = lint_files({"Restyfile": SPEC_R, "specs/demo-1.0-1.rockspec": spec,
                         "lua/a.lua": requires("demo.a", "demo.built")})
    line = f'lua/a.lua:2:12: RB101 warning: `require "demo.built"`: {UNRESOLVED}'
    assert report.lines == [line]
    assert "the modules of demo could not be read offline" in (report.hint(line) or "")


def test_a_broken_rockspec_is_a_rock_whose_modules_are_unknown(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": SPEC_R, "specs/demo-1.0-1.rockspec": "package = {\n",
                         "lua/a.lua": requires("demo.a")})
    assert [line.split(": ")[1] for line in report.lines] == ["RB101 warning"]
