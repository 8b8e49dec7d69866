"""The four app fixtures (tests/apps.py) build on their first Restyfile and answer requests.

Each image runs as Kubernetes runs it (its non-root USER, read-only root, tmpfs run and
data folders, no capabilities) in a container with no network; the requests are sent from
inside it (`docker exec` of bash's /dev/tcp), so nothing listens on the host.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from restybuild.build import build_and_tag
from restybuild.lint.runner import lint
from restybuild.loopback import ask_inside
from restybuild.resolve import load_project
from restybuild.verify import as_kubernetes
from tests.apps import APPS, REQUESTS, write_app

pytestmark = pytest.mark.e2e

def ask(container: Any, method: str, path: str, body: str, port: int = 8080) -> tuple[int, str]:
    return ask_inside(container, port, path, method, body)


@pytest.mark.parametrize("app", sorted(APPS))
def test_the_app_builds_on_its_first_restyfile_and_answers(
        docker_client: Any, tmp_path: Path, app: str, monkeypatch: pytest.MonkeyPatch) -> None:
    restyfile = write_app(tmp_path / app, app)
    monkeypatch.chdir(restyfile.parent)
    findings = lint("Restyfile", {}).diagnostics
    assert [d for d in findings if d.severity == "error"] == []
    assert [d for d in findings if d.code == "RB101"] == []  # no false "unresolved require"
    tag = f"rb-e2e/app-{app}:test"
    result = build_and_tag(load_project(restyfile), tag, quiet=True, client=docker_client)
    try:
        run = as_kubernetes(result.plan)
        container = docker_client.containers.run(tag, network_mode="none", detach=True, **run)
        try:
            deadline = time.monotonic() + 20
            while b"start worker process" not in container.logs() \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
            for method, path, body, status, text in REQUESTS[app]:
                got, answer = ask(container, method, path, body)
                assert (got, text in answer) == (status, True), (method, path, got, answer)
            logs = container.logs().decode(errors="replace")
            assert "[emerg]" not in logs and "[alert]" not in logs
        finally:
            container.remove(force=True)
    finally:
        docker_client.images.remove(tag, noprune=False)
