"""The pod's drain hook, on the real daemon: the `preStop` command `restybuild k8s` writes runs
in the runtime base as the pod runs it (its USER, read-only root, no capabilities)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from restybuild.cli import main
from restybuild.conf.edits.base import RUN_USER
from restybuild.engine import run_once
from tests.conftest import BASE_RUNTIME, write_tree
from tests.test_k8s import PROJECT

pytestmark = pytest.mark.e2e


def test_the_prestop_command_runs_in_the_image_as_the_pod_runs_it(
        docker_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, PROJECT)
    assert main(["k8s", str(tmp_path / "Restyfile"), "-o", str(tmp_path / "deploy")]) == 0
    deploy = yaml.safe_load((tmp_path / "deploy/deployment.yaml").read_text())
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    result = run_once(docker_client, BASE_RUNTIME, [command[0], "0"], user=RUN_USER,
                      read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
                      network_mode="none")
    assert (result.exit_code, result.output) == (0, "")
