"""Symlinked inputs obey one rule: followed inside the project, refused when they lead out."""

from __future__ import annotations

from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.errors import Exit
from tests.conftest import write_tree

HEAD = "name app\nbase debian-bookworm\nconf conf\nlua lua -> lua\n"


def plan(tmp_path: Path, files: dict[str, str],
         capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    write_tree(tmp_path / "p", files)
    rc = main(["plan", str(tmp_path / "p/Restyfile"), "-o", str(tmp_path / "out")])
    return rc, capsys.readouterr().err


def test_a_conf_file_linked_outside_the_project_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "secret.conf").write_text("events {}\nhttp {}\n")
    rc, err = plan(tmp_path, {"Restyfile": HEAD, "lua/a.lua": "return 1\n",
                              "conf/nginx.conf": f"@symlink {tmp_path}/secret.conf"}, capsys)
    assert rc == Exit.CONFIG
    assert (f"conf/nginx.conf is a symlink that points outside the project (to "
            f"{tmp_path}/secret.conf)") in err.splitlines()[0]


def test_an_included_file_linked_outside_is_refused_at_the_include(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "extra.conf").write_text("lua_shared_dict x 1m;\n")
    rc, err = plan(tmp_path, {
        "Restyfile": HEAD, "lua/a.lua": "return 1\n",
        "conf/nginx.conf": "events {}\nhttp {\n    include extra.conf;\n}\n",
        "conf/extra.conf": f"@symlink {tmp_path}/extra.conf"}, capsys)
    assert rc == Exit.CONFIG
    first = err.splitlines()[0]
    assert first.startswith(f"{tmp_path}/p/conf/nginx.conf:3:5: error: ")
    assert "conf/extra.conf is a symlink that points outside the project" in first


def test_links_inside_the_project_are_followed(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = plan(tmp_path, {
        "Restyfile": HEAD, "shared/main.conf": "events {}\nhttp {\n    include extra.conf;\n}\n",
        "shared/extra.conf": "lua_shared_dict linked 1m;\n", "shared/lib/util.lua": "return 1\n",
        "conf/nginx.conf": "@symlink ../shared/main.conf",
        "conf/extra.conf": "@symlink ../shared/extra.conf",
        "lua/util": "@symlink ../shared/lib", "lua/a.lua": "return 1\n"}, capsys)
    assert rc == 0, err
    context = (tmp_path / "out/context.txt").read_text()
    assert "layers/app/usr/share/nginx/lua/util/util.lua" in context  # a linked folder: walked
    assert "lua_shared_dict linked 1m;" in (tmp_path / "out/conf/extra.conf").read_text()


@pytest.mark.parametrize("which", ["file", "folder"])
def test_a_symlink_loop_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         which: str) -> None:
    files = {"Restyfile": HEAD, "conf/nginx.conf": "events {}\nhttp {}\n", "lua/a.lua": "x\n"}
    if which == "file":
        files |= {"lua/x.lua": "@symlink y.lua", "lua/y.lua": "@symlink x.lua"}
    else:
        files |= {"lua/again": "@symlink ."}
    rc, err = plan(tmp_path, files, capsys)
    assert rc == Exit.CONFIG, err
    assert "symlink loop" in err.splitlines()[0]
    assert "internal error" not in err


def test_a_fifo_in_a_declared_folder_is_refused_and_lint_does_not_hang(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    rc, err = plan(tmp_path, {"Restyfile": HEAD, "conf/nginx.conf": "events {}\nhttp {}\n",
                              "lua/pipe.lua": "@fifo"}, capsys)
    assert rc == Exit.CONFIG
    assert "lua/pipe.lua is not a regular file (a FIFO)" in err.splitlines()[0]
    monkeypatch.chdir(tmp_path / "p")
    assert main(["lint"]) == Exit.FAILED
    assert "RB606 error: lua/pipe.lua is not a regular file (a FIFO)" in capsys.readouterr().out
