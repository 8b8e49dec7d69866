"""End to end, on the real Docker daemon: build, verify, tag, run."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.build import build_and_tag
from restybuild.cli import main
from restybuild.errors import VerifyFailed
from restybuild.loopback import ask_inside, fetch, port_free
from restybuild.resolve import load_project
from restybuild.verify import as_kubernetes
from tests.conftest import BASE_RUNTIME, REPO, write_tree

pytestmark = pytest.mark.e2e


@pytest.fixture()
def old_tag(docker_client: Any) -> Iterator[tuple[str, str]]:
    """A tag that already points at an image (the runtime base), as a previous build left it."""
    repo, tag = "rb-e2e/previous", "latest"
    base = docker_client.images.get(BASE_RUNTIME)
    base.tag(repo, tag)
    yield f"{repo}:{tag}", str(base.id)
    docker_client.images.remove(f"{repo}:{tag}", noprune=True)


def run_and_fetch(client: Any, image: str, port: int, path: str = "/") -> str:
    assert port_free(port), f"127.0.0.1:{port} is in use; the test needs it"
    container = client.containers.run(image, network_mode="host", detach=True)
    try:
        return fetch(port, path)
    finally:
        container.remove(force=True)


def test_example_builds_verifies_and_answers(docker_client: Any, demo_natives: Path) -> None:
    project = load_project(REPO / "Restyfile.example")
    result = build_and_tag(project, "rb-e2e/example:test", quiet=True, client=docker_client)
    try:
        assert "test is successful" in result.report.nginx_t
        assert result.report.workers == 2
        assert result.report.probes == ("readiness probe GET /ready on port 8089: 200",)
        # as Kubernetes runs it, with no network: the requests are sent from inside
        container = docker_client.containers.run("rb-e2e/example:test", network_mode="none",
                                                  detach=True, **as_kubernetes(result.plan))
        try:
            status, body = ask_inside(container, 8089)
            assert status == 200 and body.startswith("hello from greeter.so via libgreetfmt: ")
            assert "Hello, restybuild!" in body  # env DEMO_GREETING reached os.getenv
            assert "(hits=1)" in body  # the shared dict works
            # the probe location the conf lacked was added
            assert ask_inside(container, 8089, "/ready") == (200, "ok\n")
        finally:
            container.remove(force=True)
        img = docker_client.images.get("rb-e2e/example:test")
        assert img.attrs["Config"]["Env"].count("LD_LIBRARY_PATH=/usr/local/lib/restybuild") == 1
    finally:
        docker_client.images.remove("rb-e2e/example:test", noprune=True)


LEGACY = {
    "Restyfile": """\
name legacy
base debian-bookworm
prefix /usr/local/openresty/nginx
conf nginx/conf
lua nginx/lua -> lua
""",
    "nginx/conf/nginx.conf": """\
worker_processes 1;
error_log /usr/local/openresty/nginx/logs/error.log;
pid /usr/local/openresty/nginx/logs/nginx.pid;
events { worker_connections 64; }
http {
    include /usr/local/openresty/nginx/conf/mime.types;
    lua_package_path "/usr/local/openresty/nginx/lua/?.lua;;";
    init_by_lua_file lua/init.lua;
    access_log /usr/local/openresty/nginx/logs/access.log;
    include /usr/local/openresty/nginx/conf/vhosts/*.conf;
}
""",
    "nginx/conf/mime.types": "types { text/plain txt; }\n",
    "nginx/conf/vhosts/app.conf": """\
server {
    listen 127.0.0.1:18091;
    location / { content_by_lua_block { ngx.say(APP_BANNER) } }
}
""",
    "nginx/lua/init.lua": 'local cfg = require "app.config"\nAPP_BANNER = cfg.banner\n',
    "nginx/lua/app/config.lua": 'return { banner = "legacy app booted" }\n',
}


def test_legacy_app_with_hardcoded_prefix_boots(docker_client: Any, tmp_path: Path) -> None:
    write_tree(tmp_path, LEGACY)
    project = load_project(tmp_path / "Restyfile")
    result = build_and_tag(project, "rb-e2e/legacy:test", quiet=True, client=docker_client)
    try:
        assert result.plan.cmd[:3] == ("/usr/sbin/nginx", "-p", "/usr/local/openresty/nginx/")
        body = run_and_fetch(docker_client, "rb-e2e/legacy:test", 18091)
        assert body == "legacy app booted\n"
    finally:
        docker_client.images.remove("rb-e2e/legacy:test", noprune=True)


def test_an_empty_lua_folder_builds_and_is_in_the_image(docker_client: Any,
                                                         tmp_path: Path) -> None:
    """A Lua folder declared before its code exists: the build's COPY of the app layer
    needs a folder to copy, and the image gets the empty destination."""
    write_tree(tmp_path, {"Restyfile": "name empty\nbase debian-bookworm\nconf conf\n"
                                       "lua lua -> lua\n",
                          "conf/nginx.conf": "events {}\nhttp { server { listen 8080; } }\n"})
    (tmp_path / "lua").mkdir()
    tag = "rb-e2e/empty-lua:test"
    build_and_tag(load_project(tmp_path / "Restyfile"), tag, quiet=True, client=docker_client)
    try:
        out = docker_client.containers.run(tag, ["find", "/usr/share/nginx/lua"],
                                           entrypoint=[], network_mode="none", remove=True)
        assert out.decode().split() == ["/usr/share/nginx/lua"]
    finally:
        docker_client.images.remove(tag, noprune=True)


def _candidates(client: Any, restyfile: Path) -> list[Any]:
    digest = hashlib.sha256(restyfile.read_bytes()).hexdigest()
    return list(client.images.list(filters={"label": f"io.restybuild.restyfile.sha256={digest}"}))


def test_conf_error_fails_with_nginx_message_and_no_tag(
    docker_client: Any, tmp_path: Path, old_tag: tuple[str, str]
) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name broken\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": "events {}\nhttp {\n    lua_shared_dic cache 1m;\n}\n",
    })
    project = load_project(tmp_path / "Restyfile")
    tag, before = old_tag
    with pytest.raises(VerifyFailed) as exc:
        build_and_tag(project, tag, quiet=True, client=docker_client)
    text = exc.value.render()
    lines = text.splitlines()
    # at the user's line (line 3 of conf/nginx.conf; the effective conf's line 9), shown
    assert lines[0] == (f"{tmp_path}/conf/nginx.conf:3:1: error: `nginx -t` failed in the "
                        'candidate image: unknown directive "lua_shared_dic"'), text
    assert lines[1] == "        lua_shared_dic cache 1m;"
    assert "\x1b" not in text and len(set(lines)) == len(lines)
    assert docker_client.images.get(tag).id == before
    assert _candidates(docker_client, tmp_path / "Restyfile") == []


def test_missing_module_in_init_by_lua_fails_boot_check(
    docker_client: Any, tmp_path: Path, old_tag: tuple[str, str]
) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name noboot\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": (
            "events {}\nhttp {\n"
            "    init_by_lua_block { require(\"no.such.module\") }\n"
            "    server { listen 127.0.0.1:18092; }\n}\n"
        ),
    })
    project = load_project(tmp_path / "Restyfile")
    tag, before = old_tag
    with pytest.raises(VerifyFailed) as exc:
        build_and_tag(project, tag, quiet=True, client=docker_client)
    text = exc.value.render()
    # nginx -t ran first and passed: the failure is the boot check's
    assert "boot check failed" in text
    assert "module 'no.such.module' not found" in text
    assert docker_client.images.get(tag).id == before
    assert _candidates(docker_client, tmp_path / "Restyfile") == []


def test_a_failing_probe_fails_verification_and_no_tag(
    docker_client: Any, tmp_path: Path, old_tag: tuple[str, str]
) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name sick\nbase debian-bookworm\nconf conf\n"
                     "probe liveness http /healthz port 18095\n",
        "conf/nginx.conf": "events {}\nhttp {\n  server {\n    listen 127.0.0.1:18095;\n"
                           "    location = /healthz { return 503; }\n  }\n}\n",
    })
    tag, before = old_tag
    with pytest.raises(VerifyFailed) as exc:
        build_and_tag(load_project(tmp_path / "Restyfile"), tag, quiet=True,
                      client=docker_client)
    assert exc.value.message == ("probe check failed: liveness probe GET /healthz on port "
                                 "18095 answered HTTP/1.1 503 Service Temporarily Unavailable "
                                 "(want 200-399)")
    assert docker_client.images.get(tag).id == before
    assert _candidates(docker_client, tmp_path / "Restyfile") == []


def test_escaping_path_is_refused_before_any_build(
    tmp_path: Path, no_daemon: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "app/Restyfile").write_text(
        "name app\nbase debian-bookworm\nlua ../outside -> lua\n")
    rc = main(["build", str(tmp_path / "app/Restyfile")])
    err = capsys.readouterr().err
    assert rc == 4  # Exit.CONFIG
    assert err.splitlines()[0] == (
        f"{tmp_path}/app/Restyfile:3:5: error: `../outside` leaves the project folder")
    assert "daemon" not in err  # refused before Docker was asked anything


def test_no_daemon_is_one_clear_line(
    tmp_path: Path, no_daemon: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_tree(tmp_path, {"Restyfile": "name app\nbase debian-bookworm\n"})
    rc = main(["build", str(tmp_path / "Restyfile")])
    err = capsys.readouterr().err
    assert rc == 5  # Exit.ENGINE
    assert err == (f"error: no Docker daemon answers at {no_daemon}: start one, or point "
                   "DOCKER_HOST at one\n")
