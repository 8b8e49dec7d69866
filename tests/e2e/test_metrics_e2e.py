"""`metrics prometheus`: the generated wiring boots and serves the scrape path.

No package index is reachable here, so the rock is a stand-in with the
library's interface (`require("prometheus").init(dict)`, `:collect()`),
served from a local rocks server: what is tested is restybuild's wiring
(the dict, the init in init_worker, the scrape server), not the library.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from restybuild.build import build_and_tag
from restybuild.loopback import fetch, port_free
from restybuild.resolve import load_project
from restybuild.rockserver import make_server
from tests.conftest import write_tree

pytestmark = pytest.mark.e2e

STAND_IN = {
    "rock/nginx-lua-prometheus-0.1-1.rockspec": (
        'package = "nginx-lua-prometheus"\nversion = "0.1-1"\n'
        'source = { url = "nginx-lua-prometheus-0.1.tar.gz" }\n'
        'build = { type = "builtin", modules = { prometheus = "prometheus.lua" } }\n'),
    "rock/prometheus.lua": (
        "local M = {}\nM.__index = M\n"
        "function M.init(dict)\n"
        "  local d = assert(ngx.shared[dict], 'no dict ' .. dict)\n"
        "  d:incr('workers', 1, 0)\n"  # atomic: the workers run this at the same time
        "  return setmetatable({ dict = d }, M)\nend\n"
        "function M:collect()\n"
        "  ngx.say('# stand-in for nginx-lua-prometheus')\n"
        "  ngx.say('nginx_workers_initialised ', self.dict:get('workers'))\nend\n"
        "return M\n"),
}


def test_metrics_are_wired_and_served(docker_client: Any, tmp_path: Path) -> None:
    write_tree(tmp_path, {
        **STAND_IN,
        "Restyfile": (
            "name metered\nbase debian-bookworm\nconf conf\nworkers 2\n"
            "rocks -> luarocks {\n  server rocks\n  rock nginx-lua-prometheus 0.1-1\n}\n"
            "metrics prometheus port 18096 path /metrics\n"),
        "conf/nginx.conf": "events {}\nhttp {\n  server { listen 127.0.0.1:18097; }\n}\n",
    })
    make_server(tmp_path / "rocks", [tmp_path / "rock"])
    project = load_project(tmp_path / "Restyfile")
    result = build_and_tag(project, "rb-e2e/metered:test", quiet=True, client=docker_client)
    try:
        conf = next(f.text for f in result.plan.effective.files if f.rel == "nginx.conf")
        assert "lua_shared_dict prometheus_metrics 10m;" in conf
        assert 'prometheus = require("prometheus").init("prometheus_metrics")' in conf
        assert port_free(18096)
        container = docker_client.containers.run("rb-e2e/metered:test", network_mode="host",
                                                 detach=True)
        try:
            # each worker's init_worker runs the init; the second may start a moment after
            # the first answers, so ask again until both did (or the deadline)
            deadline = time.monotonic() + 10
            body = fetch(18096, "/metrics")
            while not body.endswith(" 2\n") and time.monotonic() < deadline:
                time.sleep(0.2)
                body = fetch(18096, "/metrics")
        finally:
            container.remove(force=True)
        assert body == "# stand-in for nginx-lua-prometheus\nnginx_workers_initialised 2\n"
    finally:
        docker_client.images.remove("rb-e2e/metered:test", noprune=True)
