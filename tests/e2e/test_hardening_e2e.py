"""Hardening, on the real daemon: least privilege, reproducible layers, Ctrl-C leaves nothing."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.build import build_and_tag
from restybuild.conf.effective import RUN_DIR
from restybuild.loopback import fetch, port_free
from restybuild.resolve import load_project
from tests.conftest import BASE_RUNTIME, REPO, write_tree

pytestmark = pytest.mark.e2e

APP = {
    "Restyfile": "name hardened\nbase debian-bookworm\nconf conf\nlua lua -> lua\n"
                 "shared_dict hits 1m\nworkers 2\n",
    "conf/nginx.conf": (
        "events {}\nhttp {\n  server {\n    listen 127.0.0.1:18093;\n"
        "    location / { content_by_lua_block { require('app').run() } }\n  }\n}\n"),
    "lua/app.lua": (
        "local _M = {}\nfunction _M.run()\n"
        "  local ok = io.open('/usr/share/nginx/lua/app.lua', 'a')\n"
        "  local hits = ngx.shared.hits:incr('n', 1, 0)\n"
        "  ngx.say('uid-writes-code=', tostring(ok ~= nil), ' hits=', hits)\nend\n"
        "return _M\n"),
}


@pytest.fixture(scope="module")
def hardened(docker_client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("hardened")
    write_tree(root, APP)
    build_and_tag(load_project(root / "Restyfile"), "rb-e2e/hardened:test", quiet=True,
                  client=docker_client)
    yield "rb-e2e/hardened:test"
    docker_client.images.remove("rb-e2e/hardened:test", noprune=True)


def serve(client: Any, image: str, **run: Any) -> tuple[str, str]:
    assert port_free(18093)
    container = client.containers.run(image, network_mode="host", detach=True, **run)
    try:
        try:
            body = fetch(18093)
        except OSError:
            container.reload()
            pytest.fail(f"no answer ({container.status}): "
                        + container.logs().decode(errors="replace"))
        logs = container.logs().decode(errors="replace")
        return body, logs
    finally:
        container.remove(force=True)


def test_workers_run_unprivileged_and_cannot_write_the_code(docker_client: Any,
                                                            hardened: str) -> None:
    body, _logs = serve(docker_client, hardened)
    assert body == "uid-writes-code=false hits=1\n"
    container = docker_client.containers.run(hardened, network_mode="none", detach=True)
    try:
        time.sleep(1.5)
        procs = container.top(ps_args="-o pid,user,args")["Processes"]
    finally:
        container.remove(force=True)
    workers = [p for p in procs if "worker process" in p[-1]]
    assert len(workers) == 2 and all(p[1] != "root" for p in workers), procs


def test_read_only_root_filesystem_with_a_tmpfs(docker_client: Any, hardened: str) -> None:
    body, logs = serve(docker_client, hardened, read_only=True, tmpfs={RUN_DIR: ""})
    assert body.endswith("hits=1\n")
    assert "[emerg]" not in logs and "[error]" not in logs and "[alert]" not in logs


def test_arbitrary_uid_of_group_0_like_openshift(docker_client: Any, hardened: str) -> None:
    body, logs = serve(docker_client, hardened, user="12345:0")
    assert body == "uid-writes-code=false hits=1\n"
    assert "[emerg]" not in logs and "[error]" not in logs


def test_same_sources_give_the_same_layers_on_two_checkouts(docker_client: Any,
                                                          tmp_path: Path) -> None:
    write_tree(tmp_path / "a", APP)
    write_tree(tmp_path / "b", APP)
    for path in (tmp_path / "b").rglob("*"):
        os.utime(path, (1_600_000_000, 1_600_000_000))
    layers = []
    for d in ("a", "b"):
        tag = f"rb-e2e/repro-{d}:test"
        result = build_and_tag(load_project(tmp_path / d / "Restyfile"), tag, quiet=True,
                               client=docker_client)
        layers.append(docker_client.images.get(result.image_id).attrs["RootFS"]["Layers"])
        docker_client.images.remove(tag, noprune=True)
    assert layers[0] == layers[1]


def test_ctrl_c_during_verification_leaves_nothing_behind(docker_client: Any,
                                                        tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name slowboot\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": "events {}\nhttp {\n  init_by_lua_block { os.execute('sleep 20') }\n"
                           "  server { listen 127.0.0.1:18094; }\n}\n",
    })
    base = docker_client.images.get(BASE_RUNTIME)
    base.tag("rb-e2e/slowboot", "latest")
    digest = hashlib.sha256((tmp_path / "Restyfile").read_bytes()).hexdigest()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "restybuild", "build", str(tmp_path / "Restyfile"), "-t",
         "rb-e2e/slowboot:latest"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=env)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("verifying candidate"):
                candidate = line.split()[2].rstrip(":")
                break
        else:
            pytest.fail("the build never reached verification")
        time.sleep(3)  # the boot check waits on init_by_lua (nginx -t waits on it)
        running = docker_client.containers.list(filters={"ancestor": candidate})
        assert running, "the boot check container should be up"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert docker_client.images.get("rb-e2e/slowboot:latest").id == base.id
    assert docker_client.containers.list(all=True, filters={"ancestor": candidate}) == []
    labelled = docker_client.images.list(
        filters={"label": f"io.restybuild.restyfile.sha256={digest}"})
    assert labelled == []
    docker_client.images.remove("rb-e2e/slowboot:latest", noprune=True)


def test_the_image_runs_as_a_non_root_user_of_group_0_by_default(
        docker_client: Any, hardened: str) -> None:
    """`docker run IMAGE` is least-privilege too, not only under Kubernetes."""
    assert docker_client.images.get(hardened).attrs["Config"]["User"] == "10001:0"
    body, logs = serve(docker_client, hardened, cap_drop=["ALL"],
                       security_opt=["no-new-privileges"])
    assert body == "uid-writes-code=false hits=1\n"
    assert "[emerg]" not in logs and "[alert]" not in logs and "[error]" not in logs
    container = docker_client.containers.run(hardened, network_mode="none", detach=True)
    try:
        time.sleep(1.5)
        procs = container.top(ps_args="-o pid,uid,args")["Processes"]
    finally:
        container.remove(force=True)
    assert procs and all(p[1] == "10001" for p in procs), procs


def test_verification_runs_the_candidate_as_kubernetes_will(docker_client: Any,
                                                             tmp_path: Path) -> None:
    """An app that writes into its prefix at start passed on a writable root as root, then
    crashed in the pod: now the boot check sees what the pod would."""
    from restybuild.errors import VerifyFailed

    write_tree(tmp_path, {
        "Restyfile": "name writer\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": "events {}\nhttp {\n  init_by_lua_block {\n"
                           "    local f = assert(io.open(ngx.config.prefix() .. 'state.txt',"
                           " 'w'))\n"
                           "    f:close()\n  }\n  server { listen 18097; }\n}\n",
    })
    with pytest.raises(VerifyFailed) as e:
        build_and_tag(load_project(tmp_path / "Restyfile"), "rb-e2e/writer:test", quiet=True,
                      client=docker_client)
    assert e.value.message.startswith("boot check failed")
    # the Lua error, at the user's line of the block (conf line 4: the io.open)
    assert any("state.txt" in n and ("Read-only" in n or "Permission denied" in n)
               for n in (e.value.message, *e.value.notes)), (e.value.message, e.value.notes)
    assert e.value.span is not None and e.value.span.line == 4, e.value.span


def test_a_legacy_pid_and_temp_path_are_moved_to_the_run_folder(
        docker_client: Any, tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name legacypid\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": "pid logs/nginx.pid;\nevents {}\nhttp {\n"
                           "  proxy_temp_path /usr/share/nginx/proxy_temp;\n"
                           "  server { listen 18098; }\n}\n",
    })
    result = build_and_tag(load_project(tmp_path / "Restyfile"), "rb-e2e/legacypid:test",
                           quiet=True, client=docker_client)
    try:
        notes = result.plan.effective.notes
        assert any(n.startswith("pid logs/nginx.pid (") and "moved to /run/restybuild/"
                   "nginx.pid" in n for n in notes), notes
        assert any(n.startswith("proxy_temp_path /usr/share/nginx/proxy_temp (") for n in notes)
        conf = result.plan.effective.file("nginx.conf")
        assert conf is not None and 'pid /run/restybuild/nginx.pid;' in conf.text
    finally:
        docker_client.images.remove("rb-e2e/legacypid:test", noprune=True)
