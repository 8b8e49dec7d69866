"""End to end, on the real daemon: what `restybuild discover` writes builds, verifies and
answers, unchanged (the Restyfile is not edited between discover and the build)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.build import build_and_tag
from restybuild.cli import main
from restybuild.loopback import ask_inside
from restybuild.resolve import load_project
from restybuild.rockserver import make_server
from restybuild.verify import as_kubernetes
from tests.conftest import planned
from tests.discover.fixtures import (
    APP_ROCKS,
    PORT,
    ROCKS,
    add_app_tree,
    centos_host,
    checkout,
    init_script_host,
    rock_sources,
)

pytestmark = pytest.mark.e2e


@pytest.fixture()
def tag(docker_client: Any) -> Iterator[str]:
    name = "rb-e2e/discover:test"
    yield name
    with contextlib.suppress(Exception):
        docker_client.images.remove(name, noprune=True)


def _discover_and_build(root: Path, nginx_v: Path, tmp_path: Path, tag: str,
                        capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """`discover ROOT --base debian-bookworm --build TAG` with the host's rocks on a local
    rocks server; the project folder and what discover printed."""
    server = tmp_path / "rocks-server"
    make_server(server, rock_sources(tmp_path / "rock-src"))
    out = tmp_path / "adserver"
    rc = main(["discover", str(root), "--nginx-v", str(nginx_v), "--base", "debian-bookworm",
               "--rocks-server", str(server), "-o", str(out), "--build", tag])
    text = capsys.readouterr().out
    assert rc == 0, text
    return out, text


def test_a_centos_host_on_the_debian_base_builds_and_verifies(
        docker_client: Any, tmp_path: Path, tag: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "host"
    out, text = _discover_and_build(root, centos_host(root), tmp_path, tag, capsys)
    assert "lint of the written Restyfile" not in text  # nothing left to fix
    assert docker_client.images.get(tag).labels["org.opencontainers.image.title"] == "adserver"
    container = docker_client.containers.run(tag, network_mode="none", detach=True,
                                             **as_kubernetes(planned(out / "Restyfile")))
    try:
        _started(container)
        # the native, its two libraries bundled from the old host, rocks and the data folder
        assert ask_inside(container, PORT, "/ad") == (200, "ad ad-1 [frame logged]\n")
        assert ask_inside(container, PORT, "/healthz") == (200, "ok\n")
    finally:
        container.remove(force=True)


def test_a_host_with_a_system_and_an_app_tree_gets_the_rocks_of_both(
        docker_client: Any, tmp_path: Path, tag: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "host"
    nginx_v = centos_host(root)
    add_app_tree(root)
    server = tmp_path / "rocks-server"
    system = [r for r in ROCKS if r[0] != "adutil"]  # the app tree's adutil is the one loaded
    make_server(server, rock_sources(tmp_path / "rock-src", [*system, *APP_ROCKS]))
    out = tmp_path / "adserver"
    rc = main(["discover", str(root), "--nginx-v", str(nginx_v), "--base", "debian-bookworm",
               "--rocks-server", str(server), "-o", str(out), "--build", tag])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "the rock adutil is in two trees" in text
    container = docker_client.containers.run(tag, network_mode="none", detach=True,
                                             **as_kubernetes(planned(out / "Restyfile")))
    try:
        _started(container)
        assert ask_inside(container, PORT, "/ad") == (200, "ad ad-1 [frame logged]\n")
        listing = container.exec_run(["ls", "/opt/app/rocks/lib/luarocks/rocks-5.1",
                                      "/opt/app/rocks/lib/luarocks/rocks-5.1/adutil"])
        names = listing.output.decode().split()
        assert {"adutil", "lua-resty-adqueue", "lua-resty-adjwt", "1.3-1"} <= set(names)
        assert "1.2-1" not in names
    finally:
        container.remove(force=True)


def test_an_init_script_host_with_its_own_main_conf_name_builds_and_answers(
        docker_client: Any, tmp_path: Path, tag: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Started by /etc/init.d/openresty with `-c .../conf/ads.conf` and LD_LIBRARY_PATH
    exported there: the image's nginx.conf is the host's ads.conf, and the native's two
    libraries are found through that path."""
    root = tmp_path / "host"
    out, _ = _discover_and_build(root, init_script_host(root), tmp_path, tag, capsys)
    container = docker_client.containers.run(tag, network_mode="none", detach=True,
                                             **as_kubernetes(planned(out / "Restyfile")))
    try:
        _started(container)
        assert ask_inside(container, PORT, "/ad") == (200, "ad ad-1 [frame logged]\n")
    finally:
        container.remove(force=True)


def _started(container: Any) -> None:
    deadline = time.monotonic() + 20
    while b"start worker process" not in container.logs() and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_checkout_builds_and_answers_a_request(docker_client: Any, tmp_path: Path,
                                                 tag: str) -> None:
    root = checkout(tmp_path / "quotes")
    assert main(["discover", str(root)]) == 0
    result = build_and_tag(load_project(root / "Restyfile"), tag, quiet=True,
                           client=docker_client)
    container = docker_client.containers.run(tag, network_mode="none", detach=True,
                                             **as_kubernetes(result.plan))
    try:
        _started(container)
        assert ask_inside(container, PORT, "/quote") == (
            200, "simplicity is prerequisite for reliability\n")
        assert ask_inside(container, PORT, "/quote")[1] == "measure, then cut\n"
        assert ask_inside(container, PORT, "/ready")[0] == 200
        assert ask_inside(container, PORT, "/health") == (200, "ok\n")  # the readiness probe
    finally:
        container.remove(force=True)
