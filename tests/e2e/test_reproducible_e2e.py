"""End to end: two checkouts of the example in different folders, built cold at different
times, give the same layers; --no-cache builds cold; --explain names each final layer."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.cli import main
from tests.conftest import REPO

pytestmark = pytest.mark.e2e
TAGS = ("rb-e2e/repro:one", "rb-e2e/repro:two")


def checkout(where: Path) -> Path:
    """The example as a fresh checkout at `where`: its sources, its natives and rock server
    built there by examples/demo/build.sh (never copied from another checkout)."""
    (where / "examples").mkdir(parents=True)
    shutil.copytree(REPO / "examples/demo", where / "examples/demo",
                    ignore=shutil.ignore_patterns("build", "__pycache__"))
    shutil.copy(REPO / "Restyfile.example", where / "Restyfile.example")
    subprocess.run(["bash", "examples/demo/build.sh"], cwd=where, check=True,
                   capture_output=True, env={**os.environ, "PYTHON": sys.executable,
                                             "PYTHONPATH": str(REPO)})
    return where


@pytest.fixture()
def tags(docker_client: Any) -> Iterator[tuple[str, str]]:
    yield TAGS
    for tag in TAGS:
        with contextlib.suppress(Exception):  # a build that failed left no tag
            docker_client.images.remove(tag, noprune=True)


def test_two_checkouts_give_identical_layers(docker_client: Any, tmp_path: Path,
                                             tags: tuple[str, str],
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    layers = []
    for folder, tag in zip((tmp_path / "a", tmp_path / "elsewhere/b/deeper"), tags):
        monkeypatch.chdir(checkout(folder))
        assert main(["build", "Restyfile.example", "-t", tag, "--no-cache", "-q"]) == 0
        layers.append(docker_client.images.get(tag).attrs["RootFS"]["Layers"])
        time.sleep(1.1)  # another second: install times would differ
    capsys.readouterr()
    assert layers[0] == layers[1]
    a, b = (tmp_path / "a", tmp_path / "elsewhere/b/deeper")
    assert (a / "examples/demo/build/greeter.so").read_bytes() == \
        (b / "examples/demo/build/greeter.so").read_bytes()
    assert str(a).encode() not in (a / "examples/demo/build/greeter.so").read_bytes()


def test_no_cache_builds_cold_and_explain_names_the_layers(
        docker_client: Any, tmp_path: Path, tags: tuple[str, str],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(checkout(tmp_path / "c"))
    assert main(["build", "Restyfile.example", "-t", tags[0]]) == 0
    warm = capsys.readouterr().err
    assert main(["build", "Restyfile.example", "-t", tags[0]]) == 0
    assert "Using cache" in capsys.readouterr().err or "Using cache" in warm
    assert main(["build", "Restyfile.example", "-t", tags[0], "--no-cache", "--explain"]) == 0
    out, err = capsys.readouterr()
    assert "Using cache" not in err
    lines = out.splitlines()
    names = [ln.split()[0] for ln in lines if ln.startswith("  ") and not
             ln.strip().startswith(("invalidated", "4 layers"))]
    assert names == ["rocks", "natives", "conf", "app"], out
    assert "invalidated by: the files of the Lua folder examples/demo/lua" in out
    assert "the native examples/demo/build/greeter.so" in out
    digests = [d.removeprefix("sha256:")[:12]
               for d in docker_client.images.get(tags[0]).attrs["RootFS"]["Layers"][-4:]]
    assert all(d in out for d in digests)
    assert "4 layers" in out
