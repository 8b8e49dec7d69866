"""End to end: several apps in one `restybuild build`, one of them failing verification;
and Ctrl-C in the middle of a fleet."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from restybuild.cli import main
from tests.conftest import BASE_RUNTIME, REPO, write_tree

pytestmark = pytest.mark.e2e


def app_files(name: str, port: int, conf_extra: str = "", restyfile_extra: str = "") -> dict[
        str, str]:
    return {
        "Restyfile": f"name {name}\nbase debian-bookworm\nconf conf\nlua lua -> lua\n"
                     f"{restyfile_extra}",
        "conf/nginx.conf": (
            "events {}\nhttp {\n  lua_package_path \"$prefix/lua/?.lua;;\";\n"
            f"{conf_extra}"
            f"  server {{\n    listen {port};\n"
            "    location = /healthz { return 503; }\n"
            f"    location / {{ content_by_lua_block {{ require(\"{name}.hello\").say() }} }}\n"
            "  }\n}\n"),
        f"lua/{name}/hello.lua": f"local M = {{}}\nfunction M.say() ngx.say(\"{name}\") end\n"
                                 "return M\n",
    }


def _rows(out: str) -> dict[str, list[str]]:
    lines = out.splitlines()
    assert lines[0].split() == ["app", "result", "size", "added", "digest", "time"]
    return {ln.split()[0]: ln.split() for ln in lines[1:]}


def _cleanup(client: Any, refs: list[str]) -> None:
    from docker.errors import ImageNotFound

    for ref in refs:
        with contextlib.suppress(ImageNotFound):
            client.images.remove(ref, noprune=False)


def test_four_apps_one_failing_verification_one_failing_lint(
        docker_client: Any, registry: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The others build and push; the one whose probe fails verification and the one lint
    refuses (a directive the base lacks) each get their row, and neither's tag moves."""
    names = ("alpha", "beta", "sick", "unlinted")
    write_tree(tmp_path / "alpha", app_files("alpha", 18111))
    write_tree(tmp_path / "beta", app_files("beta", 18112))
    # its probe answers 503: the boot check fails it
    write_tree(tmp_path / "sick", app_files("sick", 18113,
                                            restyfile_extra="probe liveness http /healthz "
                                                            "port 18113\n"))
    # nginx -t would fail on it: lint says so first, and it is never built
    write_tree(tmp_path / "unlinted", app_files("unlinted", 18116,
                                                conf_extra='  more_set_headers "X-A: b";\n'))
    prefix = f"{registry}/rb-e2e-fleet-{os.getpid()}"
    tags = [f"{prefix}/{n}:1" for n in names]
    base = docker_client.images.get(BASE_RUNTIME)
    for name in ("sick", "unlinted"):
        base.tag(f"{prefix}/{name}", "1")  # the tag each failing app had before
    try:
        rc = main(["build", *(str(tmp_path / n / "Restyfile") for n in names),
                   "-t", prefix + "/{name}:1", "--jobs", "2", "--push"])
        out, err = capsys.readouterr()
        assert rc == 1, err
        rows = _rows(out)
        assert list(rows) == list(names)
        for name in ("alpha", "beta"):
            row = rows[name]
            assert row[1] == "ok" and row[3].endswith("MB")  # size
            assert row[6].startswith(f"{prefix}/{name}@sha256:")
            assert row[6] in docker_client.images.get(f"{prefix}/{name}:1").attrs["RepoDigests"]
        assert rows["sick"][1:2] == ["failed"] and rows["sick"][-2] == "-"
        assert "sick | error: probe check failed: liveness probe GET /healthz" in err
        assert rows["unlinted"][1:3] == ["lint", "failed"] and rows["unlinted"][-2] == "-"
        assert (f"unlinted | {tmp_path}/unlinted/conf/nginx.conf:4:3: RB611 error: unknown "
                "directive `more_set_headers`") in err
        for tag in tags[2:]:
            assert docker_client.images.get(tag).id == base.id  # its tag did not move
        labels = {n: docker_client.images.get(t).labels.get("org.opencontainers.image.title")
                  for n, t in zip(names, tags)}
        assert labels["unlinted"] is None and labels["alpha"] == "alpha"
    finally:
        _cleanup(docker_client, tags)


def test_ctrl_c_starts_nothing_new_and_moves_no_tag(docker_client: Any, tmp_path: Path) -> None:
    slow = "  init_by_lua_block { os.execute('sleep 20') }\n"
    write_tree(tmp_path / "slowa", app_files("slowa", 18114, conf_extra=slow))
    write_tree(tmp_path / "slowb", app_files("slowb", 18115))
    prefix = f"rb-e2e-fleet-int-{os.getpid()}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "restybuild", "build", str(tmp_path / "slowa/Restyfile"),
         str(tmp_path / "slowb/Restyfile"), "-t", prefix + "/{name}:1", "--jobs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("slowa | verifying candidate"):
                break
        else:
            pytest.fail("the first app never reached verification")
        time.sleep(2)  # in the boot check, waiting on init_by_lua
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)  # to the fleet only: it passes it on
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 30  # it did not wait for the 20 s init
    rows = _rows(out)
    assert rows["slowa"][1] == "interrupted" and rows["slowb"][1:3] == ["not", "started"]
    assert docker_client.images.list(name=f"{prefix}/slowa") == []
    assert docker_client.images.list(name=f"{prefix}/slowb") == []
    assert "Traceback" not in err
