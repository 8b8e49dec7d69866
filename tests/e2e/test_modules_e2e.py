"""`module NAME` on the real daemon: every module of debian-bookworm's [modules] table loads
into the base's nginx (verification's `nginx -t` and boot), and the declared modules work:
echo answers a request and headers-more rewrites one, sent inside a container with no
network. The modules add one small layer, copied from the modules image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restybuild import recipes
from restybuild.build import build_and_tag
from restybuild.loopback import ask_inside
from restybuild.resolve import load_project
from restybuild.verify import as_kubernetes
from tests.conftest import BASE_RUNTIME, write_tree

pytestmark = pytest.mark.e2e

CONF = """\
events {}
http {
    server {
        listen 8080;
        location /hello {
            more_set_input_headers "X-Seen: by headers-more";
            echo "hello from echo: $http_x_seen";
        }
    }
}
stream {
    server {
        listen 9000;
        return "stream ok";
    }
}
"""


def test_every_module_of_the_recipe_loads_and_the_declared_ones_answer(
        docker_client: Any, tmp_path: Path) -> None:
    names = [m.name for m in recipes.load("debian-bookworm").modules]
    assert len(names) == 12
    write_tree(tmp_path, {
        "Restyfile": "name mods\nbase debian-bookworm\nconf conf\nmodule " + " ".join(names)
                     + "\nprobe readiness http /hello port 8080\n",
        "conf/nginx.conf": CONF})
    tag = "rb-e2e/modules:test"
    result = build_and_tag(load_project(tmp_path / "Restyfile"), tag, quiet=True,
                           client=docker_client)
    try:
        assert "test is successful" in result.report.nginx_t
        assert result.report.probes == ("readiness probe GET /hello on port 8080: 200",)
        container = docker_client.containers.run(tag, network_mode="none", detach=True,
                                                  **as_kubernetes(result.plan))
        try:
            assert ask_inside(container, 8080, "/hello") == (
                200, "hello from echo: by headers-more\n")
            code, out = container.exec_run(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000 "
                                                          "&& cat <&3"])
            assert (code, out) == (0, b"stream ok")
        finally:
            container.remove(force=True)
        image = docker_client.images.get(tag)
        base = docker_client.images.get(BASE_RUNTIME)
        added = image.attrs["Size"] - base.attrs["Size"]
        assert 0 < added < 1_000_000  # twelve module files, not a package manager's layer
    finally:
        docker_client.images.remove(tag, noprune=False)
