"""discover proposes `workers`, `resources` and `probe`s from what the conf shows, each with
a comment saying it is a guess and what it is based on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.discover import Options, discover
from restybuild.discover.runtime import runtime_lines
from restybuild.lint.runner import lint
from tests.conftest import write_tree

CONF = """\
worker_processes 3;
events { worker_connections 64; }
http {
    lua_shared_dict sessions 60m;
    lua_shared_dict limits 40m;
    server {
        listen 8080;
        location ~ ^/ready { return 200; }
        location /status { proxy_pass http://127.0.0.1:9; }
        location /nginx_status { stub_status; allow 127.0.0.1; deny all; }
        location = /healthz { return 204; }
        location /api/health {
            content_by_lua_block { ngx.say(ngx.shared.sessions and "ok" or "down") }
        }
        location / { content_by_lua_block { ngx.say(ngx.shared.limits:get("x") or "-") } }
    }
    server {
        listen 127.0.0.1:9000;
        location = /ping { return 200; }
    }
}
"""


@pytest.fixture()
def app(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    write_tree(root, {"conf/nginx.conf": CONF})
    return root


def _lines(root: Path) -> dict[str, str]:
    d = discover(Options(str(root)))
    assert d.conf is not None
    return {ln.text: ln.comment for ln in runtime_lines(d.conf)}


def test_probes_come_from_the_health_locations_that_answer_by_themselves(app: Path) -> None:
    d = discover(Options(str(app)))
    assert d.conf is not None
    # the regex, the proxied /status, the /nginx_status that denies the kubelet and the
    # loopback-only server are not candidates
    assert [(h.path, h.port, h.answer) for h in d.conf.health] == [
        ("/healthz", 8080, "return 204"), ("/api/health", 8080, "content_by_lua_block")]
    lines = _lines(app)
    ready = lines["probe readiness http /api/health port 8080"]
    assert ready.startswith("guess: the location at conf/nginx.conf:12:9 answers with "
                            "content_by_lua_block (the app's Lua: it tests the app)"), ready
    live = lines["probe liveness http /healthz port 8080"]
    assert live.startswith("guess: the location at conf/nginx.conf:11:9 answers with return "
                           "204, nginx alone"), live


def test_workers_and_resources_come_from_worker_processes_and_the_dicts(app: Path) -> None:
    lines = _lines(app)
    assert lines["workers 3"] == "guess: the old host's worker_processes 3, kept; fit it to " \
        "the CPU limit"
    # 16Mi master + 3 x 64Mi workers + 100Mi of dicts = 308Mi, rounded up to 320Mi; the
    # budget adds the workers of a reload (500Mi), the limit half again (768Mi)
    assert lines["resources {"].startswith("guess: master 16Mi + 3 workers x 64Mi + shared "
                                           "dicts 100Mi")
    assert "request cpu 750m memory 320Mi" in " ".join(lines)
    assert "limit   cpu 3 memory 768Mi" in " ".join(lines)


def test_worker_processes_auto_becomes_workers_cpu(app: Path) -> None:
    conf = app / "conf/nginx.conf"
    conf.write_text(conf.read_text().replace("worker_processes 3;", "worker_processes auto;"))
    lines = _lines(app)
    assert lines["workers cpu"].startswith("guess: the conf says worker_processes auto")


def test_no_health_location_gets_the_stub_and_says_so(app: Path) -> None:
    conf = app / "conf/nginx.conf"
    text = "\n".join(ln for ln in conf.read_text().splitlines()
                     if "/healthz" not in ln and "health {" not in ln)
    conf.write_text(text.replace('            content_by_lua_block { ngx.say(ngx.shared.sessions'
                                 ' and "ok" or "down") }\n        }\n', ""))
    lines = _lines(app)
    assert lines["probe readiness http /healthz port 8080"].startswith(
        "guess: the conf has no health location; restybuild adds one")
    assert not any(t.startswith("probe liveness") for t in lines)


def test_what_is_proposed_lints_clean(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discover", str(app)]) == 0, capsys.readouterr().out
    os.chdir(app)
    bad = [(d.code, d.message) for d in lint("Restyfile", {}).diagnostics
           if d.severity != "info"]
    assert bad == []
