"""No code runs from a place another local user can write: the temporary folder, or a cache
folder that is not private. Each case plants the payload an attacker would and checks it
does not run; a positive control shows the same payload runs where restybuild does load it."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from restybuild import cachedir
from tests.conftest import REPO, write_tree

PROJECT = {
    "Restyfile": "name app\nbase debian-bookworm\nconf conf\n",
    "conf/nginx.conf": "events {}\nhttp {}\n",
}


class _Plant:
    """Pickled, it creates `marker` when loaded: what a planted Lark cache file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RESTYBUILD_NO_CACHE"}
    env.update(TMPDIR=str(tmp / "tmpdir"), XDG_CACHE_HOME=str(tmp / "cache"),
               PYTHONPATH=str(REPO), **extra)
    (tmp / "tmpdir").mkdir(exist_ok=True)
    return env


def _plan(tmp: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "restybuild", "plan", str(tmp / "p/Restyfile")],
                          env=env, capture_output=True, text=True, check=False)


def _lark_default_cache_name(tmp: Path) -> str:
    """The file Lark's `cache=True` reads for restybuild's grammar and options."""
    probe = tmp / "probe"
    probe.mkdir()
    code = ("from lark import Lark; from restybuild.parser import LARK_OPTIONS, grammar_text; "
            "Lark(grammar_text(), **LARK_OPTIONS, cache=True)")
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(probe),
                   "PYTHONPATH": str(REPO)}, check=True)
    (name,) = [p.name for p in probe.iterdir() if p.name.startswith(".lark")]
    return name


def test_a_pickle_planted_in_the_temporary_folder_never_runs(tmp_path: Path) -> None:
    write_tree(tmp_path / "p", PROJECT)
    env = _env(tmp_path)
    marker = tmp_path / "pwned"
    planted = tmp_path / "tmpdir" / _lark_default_cache_name(tmp_path)
    planted.write_bytes(b"0" * 64 + b"\n" + pickle.dumps(_Plant(marker)))
    for extra in ({}, {"RESTYBUILD_NO_CACHE": "1"}):
        result = _plan(tmp_path, {**env, **extra})
        assert result.returncode == 0, result.stderr
        assert not marker.exists()
    # and nothing is written there either
    assert sorted(p.name for p in (tmp_path / "tmpdir").iterdir()) == [planted.name]


def test_no_grammar_pickle_is_loaded_even_from_the_private_folder(tmp_path: Path) -> None:
    """The parser comes from the tables shipped as data (restybuild.grammar_tables) or from
    the grammar: a Lark pickle, even one in restybuild's own folder, is never loaded."""
    write_tree(tmp_path / "p", PROJECT)
    env = _env(tmp_path)
    assert _plan(tmp_path, env).returncode == 0
    folder = tmp_path / "cache/restybuild/grammar"
    assert not folder.exists()
    folder.mkdir(mode=0o700)
    marker = tmp_path / "ran"
    (folder / "restyfile.lark.pickle").write_bytes(
        b"0" * 64 + b"\n" + pickle.dumps(_Plant(marker)))
    (tmp_path / "p/Restyfile").write_text(PROJECT["Restyfile"] + "# changed\n")  # re-parse
    assert _plan(tmp_path, env).returncode == 0
    assert not marker.exists()


def _world_writable_cache(tmp: Path, marker: Path) -> Path:
    """A cache root another user could have prepared, with a payload in every cache."""
    top = tmp / "cache/restybuild"
    for sub in ("", "grammar", "results", "jinja"):
        (top / sub).mkdir(parents=True, exist_ok=True)
        (top / sub).chmod(0o777)
    (top / "grammar/restyfile.lark.pickle").write_bytes(
        b"0" * 64 + b"\n" + pickle.dumps(_Plant(marker)))
    _plant_jinja(top / "jinja", marker)
    return top


def _plant_jinja(folder: Path, marker: Path) -> None:
    """Bytecode for restybuild's Dockerfile template that creates `marker` when loaded."""
    from jinja2 import Environment, PackageLoader
    from jinja2.bccache import Bucket, FileSystemBytecodeCache

    env = Environment(loader=PackageLoader("restybuild", "templates"))
    source, filename, _up = env.loader.get_source(env, "Dockerfile.j2")  # type: ignore[union-attr]
    bcc = FileSystemBytecodeCache(str(folder))
    bucket = Bucket(env, bcc.get_cache_key("Dockerfile.j2", filename),
                    bcc.get_source_checksum(source))
    bucket.code = compile(f"open({str(marker)!r}, 'w').close()", str(filename), "exec")
    bcc.dump_bytecode(bucket)


def test_a_cache_folder_others_can_write_is_not_used(tmp_path: Path) -> None:
    write_tree(tmp_path / "p", PROJECT)
    marker = tmp_path / "pwned"
    top = _world_writable_cache(tmp_path, marker)
    result = _plan(tmp_path, _env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert result.stdout.startswith("# Generated by restybuild")
    assert f"not using the cache folder {top}: others may write to it (mode 777)" in \
        result.stderr
    assert result.stderr.count("warning") == 1  # said once, not once per cache


def test_the_planted_jinja_bytecode_runs_from_a_private_folder(tmp_path: Path) -> None:
    """Positive control for the payload above: Jinja2 does execute a cache it trusts."""
    write_tree(tmp_path / "p", PROJECT)
    env = _env(tmp_path)
    assert _plan(tmp_path, env).returncode == 0
    marker = tmp_path / "ran"
    _plant_jinja(tmp_path / "cache/restybuild/jinja", marker)
    (tmp_path / "p/Restyfile").write_text(PROJECT["Restyfile"] + "# changed\n")
    _plan(tmp_path, env)  # the result cache misses, so the template is loaded
    assert marker.exists()


def test_cache_folders_are_made_private_and_checked(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    got = cachedir.private_dir("results")
    assert got == str(tmp_path / "c/restybuild/results")
    for path in (tmp_path / "c/restybuild", tmp_path / "c/restybuild/results"):
        st = path.lstat()
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == os.geteuid()
    # a folder an older restybuild made 0755 is ours: tightened, and used
    (tmp_path / "c/restybuild/jinja").mkdir(mode=0o755)
    assert cachedir.private_dir("jinja") is not None
    assert stat.S_IMODE((tmp_path / "c/restybuild/jinja").stat().st_mode) == 0o700
    # a symlink in its place is refused, whatever it points to
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "c/restybuild/libindex").symlink_to(tmp_path / "elsewhere")
    assert cachedir.private_dir("libindex") is None
    assert "it is a symlink" in capsys.readouterr().err
    # a parent others may write to, not sticky: our folder could be swapped under us
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "open"))
    (tmp_path / "open").mkdir()
    (tmp_path / "open").chmod(0o777)
    assert cachedir.private_dir("results") is None
    (tmp_path / "open").chmod(0o777 | stat.S_ISVTX)  # like /tmp: fine
    assert cachedir.private_dir("results") is not None


def test_a_cache_folder_of_another_user_is_refused(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    top = tmp_path / "c/restybuild"
    top.mkdir(parents=True, mode=0o700)
    if os.geteuid() == 0:  # root can hand the folder to another user, as an attacker's would be
        os.chown(top, 12345, 12345)
        assert cachedir.private_dir("results") is None
    else:  # an unprivileged run checks the same rule against a folder root owns
        monkeypatch.setenv("XDG_CACHE_HOME", "/")
        assert cachedir.private_dir("results") is None
