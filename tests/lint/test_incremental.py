"""The incremental lint (restybuild.lint.incremental): after a Lua edit only the Lua rules run,
on stored plain data, and the result is always the cold lint's."""

from __future__ import annotations

import marshal
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from restybuild import cachedir, fastpath
from restybuild.cli import main
from tests.conftest import REPO, write_tree

RESTYFILE = ("name app\nbase debian-bookworm\nconf conf\nlua lua -> lua\n"
             "shared_dict hits 1m\nenv GREETING=hi\n")
CONF = ("events {}\nhttp {\n    include extra/*.conf;\n    server {\n"
        "        listen 8080;\n        location / {\n"
        "            content_by_lua_block { require('app.a').run() }\n        }\n    }\n}\n")
A = ("local b = require 'app.b'\nlocal _M = {}\n"
     "function _M.run() ngx.shared.hits:incr('n', 1, 0) ngx.say(b.x()) end\nreturn _M\n")
B = "local _M = {}\nfunction _M.x() return os.getenv('GREETING') end\nreturn _M\n"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    root = tmp_path / "p"
    write_tree(root, {"Restyfile": RESTYFILE, "conf/nginx.conf": CONF,
                      "conf/extra/dicts.conf": "lua_shared_dict other 1m;\n",
                      "lua/app/a.lua": A, "lua/app/b.lua": B})
    monkeypatch.chdir(root)
    return root


class Counter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from restybuild.lint import runner

        self.full = 0
        real = runner.lint

        def counted(*a: object, **kw: object) -> object:
            self.full += 1
            return real(*a, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(runner, "lint", counted)


def lint(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cached: bool,
         *args: str) -> tuple[int, str, str]:
    if cached:
        monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    rc = main(["lint", "Restyfile", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def same_as_cold(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                 *args: str) -> tuple[int, str, str]:
    cached = lint(capsys, monkeypatch, True, *args)
    assert cached == lint(capsys, monkeypatch, False, *args)
    return cached


def test_a_lua_edit_runs_the_lua_rules_alone_and_equals_the_cold_lint(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counter(monkeypatch)
    assert same_as_cold(capsys, monkeypatch)[0] == 0
    assert counter.full == 2  # the first (cached) and the cold one
    # lines shift, a dict nobody declared, a variable nginx strips, a computed require
    (project / "lua/app/b.lua").write_text(
        "-- top\n" + B.replace("return os.getenv('GREETING')",
                               "ngx.shared.nope:get('k') require(ngx.var.m) "
                               "return os.getenv('HOME')"))
    rc, out, _err = same_as_cold(capsys, monkeypatch)
    assert counter.full == 3  # the cold one only
    assert rc == 1
    assert "lua/app/b.lua:3:" in out and "RB201" in out and "RB801" in out and "RB102" in out
    # RB202 is across files: `hits` used nowhere any more
    (project / "lua/app/a.lua").write_text(A.replace("ngx.shared.hits:incr('n', 1, 0) ", ""))
    rc, out, _err = same_as_cold(capsys, monkeypatch)
    assert counter.full == 4 and "RB202" in out


def test_suppressions_and_json_after_a_lua_edit(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counter(monkeypatch)
    same_as_cold(capsys, monkeypatch, "--format", "json")
    (project / "lua/app/b.lua").write_text(
        "local _M = {}\n-- restybuild: ignore=RB801\n"
        "function _M.x() return os.getenv('HOME') end\n"
        "local x = os.getenv('PATH') -- restybuild: ignore=RB801 the test's\nreturn _M\n")
    _rc, out, _ = same_as_cold(capsys, monkeypatch, "--format", "json")
    assert counter.full == 3
    assert '"RB004"' in out and '"RB801"' not in out


def test_a_module_nobody_looked_up_makes_the_full_lint_run(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    counter = Counter(monkeypatch)
    same_as_cold(capsys, monkeypatch)
    (project / "lua/app/b.lua").write_text("require 'resty.nothere'\n" + B)
    rc, out, _ = same_as_cold(capsys, monkeypatch)
    assert counter.full == 4 and rc == 1 and '`require "resty.nothere"`' in out


@pytest.mark.parametrize("edit", ["restyfile", "included", "conf block", "new file"])
def test_other_edits_run_the_full_lint(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        edit: str) -> None:
    counter = Counter(monkeypatch)
    same_as_cold(capsys, monkeypatch)
    if edit == "restyfile":
        (project / "Restyfile").write_text(RESTYFILE.replace("GREETING=hi", "OTHER=hi"))
    elif edit == "included":
        (project / "conf/extra/dicts.conf").write_text("lua_shared_dict hits 2m;\n")
    elif edit == "conf block":
        (project / "conf/nginx.conf").write_text(CONF.replace(
            "require('app.a').run()", "ngx.shared.gone:get('x')"))
    else:
        (project / "lua/app/c.lua").write_text("return ngx.shared.hits\n")
    _rc, out, _ = same_as_cold(capsys, monkeypatch)
    assert counter.full == 4, edit
    assert {"restyfile": "RB801", "included": "RB003", "conf block": "RB201",
            "new file": ""}[edit] in out


LUA_EDITS: list[Callable[[str], str]] = [
    lambda t: "-- shifted\n" + t,
    lambda t: t.replace("ngx.say", "ngx.shared.hits:get('a') ngx.say"),
    lambda t: t + "local d = ngx.shared.undeclared\n",
    lambda t: t + "local e = os.getenv('GREETING') .. os.getenv('NOPE')\n",
    lambda t: t + "local ok, m = pcall(require, 'app.b')\n",
    lambda t: t + "local f = io.open('/etc/x', 'w')\n",
    lambda t: t + "local p = require('prometheus')\n",
    lambda t: t + "local s = ngx.socket.tcp()\n",
    lambda t: t + "local k = ngx.shared[ngx.var.d]\n",
    lambda t: t + "-- restybuild: ignore=RB201\nlocal z = ngx.shared.zz\n",
    lambda t: t + "local broken = (\n",
    lambda t: "\n".join(t.splitlines()[1:]) + "\n",
    lambda t: t + "require 'unknown.mod'\n",
]


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_cached_lint_is_the_cold_lint_over_random_edits(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        seed: int) -> None:
    """After each random edit (mostly Lua, sometimes the Restyfile or an included conf), the
    first cached lint (the incremental path when only Lua changed) prints the cold lint."""
    counter = Counter(monkeypatch)
    rng = random.Random(seed)
    history: list[str] = []
    incremental = 0
    for _ in range(14):
        choice = rng.randrange(10)
        if choice < 7:
            target = project / "lua/app" / rng.choice(["a.lua", "b.lua"])
            i = rng.randrange(len(LUA_EDITS))
            target.write_text(LUA_EDITS[i](target.read_text()))
            history.append(f"{target.name} edit {i}")
        elif choice == 7:
            size = rng.choice(["1m", "2m"])
            (project / "conf/extra/dicts.conf").write_text(f"lua_shared_dict other {size};\n")
            history.append(f"included {size}")
        elif choice == 8:
            dicts = rng.choice(["", "shared_dict zz 1m\n", "shared_dict undeclared 1m\n"])
            (project / "Restyfile").write_text(RESTYFILE + dicts)
            history.append(f"restyfile {dicts!r}")
        else:
            (project / "lua/app/a.lua").write_text(A)
            history.append("a.lua reset")
        before = counter.full
        assert lint(capsys, monkeypatch, True) == lint(capsys, monkeypatch, False), history
        incremental += counter.full - before == 1
    assert incremental >= 3, history  # the incremental path was taken (and checked)


def _poisoned_entry(project: Path, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch) -> str:
    """A valid partial entry whose stored diagnostics say something no lint would."""
    same_as_cold(capsys, monkeypatch)
    path = fastpath._entry_path("lintlua", "Restyfile")
    assert path is not None
    with open(path, "rb") as fh:
        entry = marshal.load(fh)
    entry["output"]["rules"].insert(0, ["RB301", "error", [
        ["RB301", "error", "planted", [str(project / "Restyfile"), 1, 1, 0, 0], None]],
        None, None])
    with open(path, "wb") as fh:
        marshal.dump(entry, fh)
    (project / "lua/app/b.lua").write_text("-- edited\n" + B)
    return path


def test_the_partial_entry_is_what_serves_the_lua_edit(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The check the next tests rely on: a planted entry of our own is used."""
    _poisoned_entry(project, capsys, monkeypatch)
    assert "planted" in lint(capsys, monkeypatch, True)[1]


def test_a_cache_file_others_may_write_is_ignored(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _poisoned_entry(project, capsys, monkeypatch)
    os.chmod(path, 0o666)
    assert "planted" not in same_as_cold(capsys, monkeypatch)[1]


def test_a_cache_file_of_another_user_or_a_symlink_is_not_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "entry"
    mine.write_bytes(b"data")
    mine.chmod(0o600)
    assert cachedir.read_private(str(mine)) == b"data"
    link = tmp_path / "link"
    link.symlink_to(mine)
    assert cachedir.read_private(str(link)) is None
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(mine).st_uid + 1)
    assert cachedir.read_private(str(mine)) is None


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", marshal.dumps({"output": 1}),
                                    marshal.dumps([1, 2, 3])])
def test_a_damaged_entry_is_a_miss(
        project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        damage: bytes) -> None:
    path = _poisoned_entry(project, capsys, monkeypatch)
    Path(path).write_bytes(damage)
    _rc, out, err = same_as_cold(capsys, monkeypatch)
    assert "planted" not in out and "Traceback" not in err


def test_damaged_stored_data_of_the_right_shape_outside_is_a_miss(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _poisoned_entry(project, capsys, monkeypatch)
    with open(path, "rb") as fh:
        entry = marshal.load(fh)
    entry["output"]["rules"] = [["RB201", "error", None,
                                 "restybuild.lint.rules.rb201_undeclared_dict", "not an env"]]
    entry["output"]["files"] = [[1, 2]]
    with open(path, "wb") as fh:
        marshal.dump(entry, fh)
    assert "planted" not in same_as_cold(capsys, monkeypatch)[1]


def test_an_unchanged_restyfile_lint_in_a_process_imports_no_lark(
        project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    env.pop("RESTYBUILD_NO_CACHE", None)
    cmd = [sys.executable, "-X", "importtime", "-m", "restybuild", "lint", "Restyfile"]

    def run() -> tuple[str, set[str]]:
        proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True,
                              check=False)
        modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines()
                   if line.startswith("import time:")}
        return proc.stdout, modules

    _out, first = run()
    assert "restybuild.parser" in first and "restybuild.lalr" in first  # the full lint parses
    (project / "lua/app/b.lua").write_text("-- edited\n" + B.replace("GREETING", "HOME"))
    out, modules = run()
    assert "RB801" in out and "lua/app/b.lua:3:" in out
    heavy = {m for m in modules if m.split(".")[0] in ("lark", "jinja2", "crossplane", "yaml")
             or m.startswith(("restybuild.parser", "restybuild.resolve", "restybuild.conf",
                              "restybuild.model", "restybuild.lint.context"))}
    assert heavy == set()
    assert "tree_sitter" in modules  # the edited file was scanned


def hook(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, cached: bool,
         *files: str) -> tuple[int, str, str]:
    if cached:
        monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    else:
        monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    rc = main(["lint", "--hook", *files])
    out, err = capsys.readouterr()
    return rc, out, err


def test_the_pre_commit_hook_uses_the_caches_for_each_restyfile(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`lint --hook FILE...`: each Restyfile served warm or incrementally when it can be; when
    one cannot, all are linted again; always the cold hook's output."""
    write_tree(project / "other", {"Restyfile": RESTYFILE, "conf/nginx.conf": CONF,
                                   "conf/extra/dicts.conf": "", "lua/app/a.lua": A,
                                   "lua/app/b.lua": B.replace("GREETING", "HOME")})
    counter = Counter(monkeypatch)
    files = ("lua/app/b.lua", "other/lua/app/a.lua")
    first = hook(capsys, monkeypatch, True, *files)
    assert first == hook(capsys, monkeypatch, False, *files)
    assert "other/lua/app/b.lua:2:" in first[1] and counter.full == 4
    assert hook(capsys, monkeypatch, True, *files) == first and counter.full == 4  # warm
    (project / "lua/app/b.lua").write_text("-- edited\n" + B.replace("GREETING", "PATH"))
    edited = hook(capsys, monkeypatch, True, *files)
    assert counter.full == 4  # the Lua rules alone for one, the stored result for the other
    assert edited == hook(capsys, monkeypatch, False, *files)
    assert "lua/app/b.lua:3:" in edited[1] and counter.full == 6
    assert lint(capsys, monkeypatch, True) == lint(capsys, monkeypatch, False)  # shared
    (project / "other/Restyfile").write_text(RESTYFILE + "shared_dict extra 1m\n")
    again = hook(capsys, monkeypatch, True, *files)
    assert again == hook(capsys, monkeypatch, False, *files)
    assert "RB202" in again[1]


def test_only_the_lua_rules_read_the_lua_facts() -> None:
    """The incremental lint reruns the rules with LUA = True and keeps the others' results:
    a rule that reads `lua_chunks` (the Lua files' facts) must be one of them, and each of
    them has the env / check_lua pair."""
    from restybuild.lint.rules import RULES

    for rule in RULES:
        source = Path(rule.__file__ or "").read_text()
        lua = getattr(rule, "LUA", False)
        assert ("lua_chunks" in source) == lua, rule.__name__
        if lua:
            assert callable(rule.env) and callable(rule.check_lua), rule.__name__
