"""The plan cache serves unchanged inputs and recomputes on any change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from restybuild import fastpath
from restybuild.cli import main
from tests.conftest import write_tree

PROJECT = {
    "Restyfile": "name app\nbase debian-bookworm\nconf conf\nlua lua -> lua\n",
    "conf/nginx.conf": "events {}\nhttp {}\n",
    "lua/app.lua": "return {}\n",
}


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    write_tree(tmp_path / "p", PROJECT)
    return tmp_path / "p"


def plan_out(project: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["plan", str(project / "Restyfile"), "-o", str(project / "out")]) == 0
    capsys.readouterr()
    return (project / "out/context.txt").read_text()


def test_second_run_is_served_from_the_cache(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    restyfile = str(project / "Restyfile")
    assert fastpath.lookup("plan", restyfile) is None
    first = plan_out(project, capsys)
    cached = fastpath.lookup("plan", restyfile)
    assert cached is not None
    assert cached["context"] == first
    assert fastpath.fast_plan(["plan", restyfile]) == 0
    assert capsys.readouterr().out == cached["dockerfile"]


def test_a_new_file_in_a_declared_folder_invalidates(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_out(project, capsys)
    (project / "lua/extra.lua").write_text("return 1\n")
    assert fastpath.lookup("plan", str(project / "Restyfile")) is None
    assert "lua/extra.lua" in plan_out(project, capsys)


def test_an_edited_restyfile_invalidates(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_out(project, capsys)
    with (project / "Restyfile").open("a") as fh:
        fh.write("expose 8080\n")
    assert fastpath.lookup("plan", str(project / "Restyfile")) is None
    assert main(["plan", str(project / "Restyfile")]) == 0
    assert "EXPOSE 8080" in capsys.readouterr().out


def test_an_edited_conf_file_invalidates(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_out(project, capsys)
    conf = project / "conf/nginx.conf"
    conf.write_text("events {}\nhttp { lua_shared_dict x 1m; }\n")
    os.utime(conf, ns=(1, 1))  # even with an old mtime: size and ctime changed
    assert fastpath.lookup("plan", str(project / "Restyfile")) is None
    plan_out(project, capsys)
    assert "lua_shared_dict x 1m" in (project / "out/conf/nginx.conf").read_text()


def test_no_cache_env_bypasses(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_out(project, capsys)
    monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    assert fastpath.lookup("plan", str(project / "Restyfile")) is None


def test_errors_are_not_cached(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Restyfile").write_text("name app\nbase debian-bookworm\nshared_dic x 1m\n")
    assert main(["plan", str(project / "Restyfile")]) == 2
    assert main(["plan", str(project / "Restyfile")]) == 2
    err = capsys.readouterr().err
    assert err.count("did you mean `shared_dict`?") == 2
