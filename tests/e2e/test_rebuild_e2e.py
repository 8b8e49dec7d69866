"""A rebuild on the real daemon: the library and module load checks are reused after a Lua
change, run again after a native change, and a Lua change they would catch still runs
them and fails the build, moving no tag; an image that passed before runs no check."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.build import BuildResult, build_and_tag
from restybuild.errors import VerifyFailed
from restybuild.progress import Progress
from restybuild.resolve import load_project
from tests.conftest import REPO

pytestmark = pytest.mark.e2e

TAG = "rb-e2e/rebuild:test"
REUSED = ["library check: unchanged layers, passed before",
          "module load check: unchanged layers, passed before"]


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, docker_client: Any,
            demo_natives: Path) -> Iterator[Path]:
    proj = tmp_path / "project"
    shutil.copytree(REPO / "examples/demo", proj / "examples/demo")
    shutil.copy(REPO / "Restyfile.example", proj / "Restyfile.example")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # nothing passed before
    monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    yield proj
    with contextlib.suppress(Exception):  # never tagged
        docker_client.images.remove(TAG, noprune=False)


def build(client: Any, proj: Path) -> tuple[BuildResult, list[str], dict[str, bool]]:
    out = io.StringIO()  # not a terminal: plain lines
    result = build_and_tag(load_project(proj / "Restyfile.example"), TAG, client=client,
                           progress=Progress(stream=out))
    said = [line for line in out.getvalue().splitlines() if "passed before" in line]
    return result, said, {t.check: t.reused for t in result.report.timings}


def test_lua_change_reuses_native_change_reruns_and_a_shadowing_module_fails(
        docker_client: Any, project: Path) -> None:
    first, said, reused = build(docker_client, project)
    assert said == [] and not any(reused.values())
    assert first.report.modules == ("restybuild-load: ok greeter",)
    assert len(first.report.libraries) == 1

    handler = project / "examples/demo/lua/demo/handler.lua"
    handler.write_text(handler.read_text().replace('_VERSION = "1.0"', '_VERSION = "1.1"'))
    second, said, reused = build(docker_client, project)
    assert second.image_id != first.image_id
    assert said == REUSED
    assert reused == {"nginx -t": False, "libraries": True, "module load": True, "boot": False}
    assert second.report.modules == first.report.modules
    assert second.report.workers == 2 and second.report.probes == first.report.probes

    # the same native built otherwise: a new natives layer
    subprocess.run(["bash", "examples/demo/build.sh"], cwd=project, check=True,
                   capture_output=True, env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable,
                                             "CFLAGS": "-O1 -g"})
    third, said, reused = build(docker_client, project)
    assert said == [] and not any(reused.values())

    # a Lua file that `require "greeter"` finds before greeter.so: a Lua-only change the
    # load check reads, so it runs again, fails, and the tag stays
    (project / "examples/demo/lua/greeter.lua").write_text('error("greeter.lua shadows")\n')
    with pytest.raises(VerifyFailed) as exc:
        build(docker_client, project)
    assert exc.value.message.startswith("Lua C module load check failed: module 'greeter'")
    assert "greeter.lua shadows" in exc.value.message
    assert docker_client.images.get(TAG).id.removeprefix("sha256:").startswith(third.image_id)
    left = docker_client.containers.list(all=True, filters={"label": "io.restybuild.run"})
    assert [c for c in left if str(os.getpid()) in c.labels.get("io.restybuild.run", "")] == []


def _created(client: Any, since: int, until: int) -> list[dict[str, Any]]:
    """The containers the engine created in [since, until), whole seconds."""
    return list(client.events(decode=True, since=since, until=until,
                              filters={"type": "container", "event": "create"}))


def _second() -> int:
    """The next whole second, once it began (event times are whole seconds)."""
    import math
    import time

    t = math.ceil(time.time())
    time.sleep(max(0.0, t - time.time()) + 0.01)
    return t


def test_an_unchanged_rebuild_runs_no_check_and_no_container(docker_client: Any,
                                                              project: Path) -> None:
    start = _second()
    first, said, _reused = build(docker_client, project)
    middle = _second()
    assert said == [] and _created(docker_client, start, middle)  # its checks' containers
    again, said, reused = build(docker_client, project)
    end = _second()
    assert again.image_id == first.image_id  # the engine's cache: the same image
    assert said == ["verification: this image passed before, with the same checks"]
    assert all(reused.values())
    assert "test is successful" in again.report.nginx_t
    assert (again.report.nginx_t, again.report.probes, again.report.modules) == (
        first.report.nginx_t, first.report.probes, first.report.modules)
    # the classic builder makes containers only for the steps it runs: none ran, no check
    assert _created(docker_client, middle, end) == []
