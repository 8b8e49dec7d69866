"""The shipped pre-commit hook runs with the real `pre-commit try-repo`, offline.

pre-commit installs the hook from this repository into a fresh virtualenv with
pip; PIP_NO_INDEX points pip at a local wheelhouse (made by `make venv`, or
here when missing), so no package index is asked while the hook installs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, write_tree


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = REPO / ".venv" / "wheelhouse"
    if made.is_dir() and any(made.glob("lark-*.whl")):
        return made
    out = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation",
                    "-w", str(out), str(REPO), "hatchling"], check=True)
    return out


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                   check=True, capture_output=True)


def try_repo(sample: Path, wheelhouse: Path, home: Path,
             *files: str) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo` of this repository's hook in `sample`: on `files`, or on all."""
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse),
           "PRE_COMMIT_HOME": str(home), "RESTYBUILD_NO_CACHE": "1"}
    env.pop("VIRTUAL_ENV", None)
    which = ["--files", *files] if files else ["--all-files"]
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "restybuild-lint",
         *which], cwd=sample, env=env, capture_output=True, text=True, timeout=600)


def test_hook_fails_on_a_finding_and_passes_when_fixed(tmp_path: Path, wheelhouse: Path) -> None:
    sample = tmp_path / "sample"
    write_tree(sample, {
        "Restyfile": "name sample\nbase debian-bookworm\nconf conf\nlua lua -> lua\n",
        "conf/nginx.conf": "events {}\nhttp {}\n",
        "lua/app.lua": 'local d = ngx.shared.cache\nreturn d\n',
    })
    git(sample, "init", "-q")
    git(sample, "add", ".")
    git(sample, "commit", "-qm", "sample")
    home = tmp_path / "pre-commit-home"
    bad = try_repo(sample, wheelhouse, home)
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1, out
    assert "lua/app.lua:1:22: RB201 error: shared dict `cache` is used but never declared" in out

    with (sample / "Restyfile").open("a") as fh:
        fh.write("shared_dict cache 1m\n")
    git(sample, "commit", "-qam", "declare the dict")
    good = try_repo(sample, wheelhouse, home)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


def test_the_hook_lints_the_restyfile_each_changed_file_belongs_to(
        tmp_path: Path, wheelhouse: Path) -> None:
    """Two apps in subfolders; a change to one app's Lua lints that app's Restyfile only."""
    sample = tmp_path / "mono"
    app = {"Restyfile": "name {n}\nbase debian-bookworm\nlua lua -> lua\n",
           "lua/app.lua": "return ngx.shared.{d}\n"}
    write_tree(sample, {f"services/{n}/{k}": v.format(n=n, d=d)
                        for n, d in (("a", "x"), ("b", "y")) for k, v in app.items()})
    git(sample, "init", "-q")
    git(sample, "add", ".")
    git(sample, "commit", "-qm", "two apps")
    out = try_repo(sample, wheelhouse, tmp_path / "home", "services/b/lua/app.lua")
    text = out.stdout + out.stderr
    assert out.returncode == 1, text
    assert "services/b/lua/app.lua:1:19: RB201 error: shared dict `y`" in text
    assert "`x`" not in text
