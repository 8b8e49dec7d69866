"""`restybuild k8s`: manifests that run the image as the Restyfile says, and that lint accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from restybuild.cli import main
from tests.conftest import write_tree

PROJECT = {
    "Restyfile": (
        "name shop\nbase debian-bookworm\nconf conf\nworkers cpu\n"
        "resources {\n  request cpu 500m memory 256Mi\n  limit cpu 2 memory 1Gi\n}\n"
        "probe readiness http /ready port 8080 period 5s\n"
        "probe liveness http /healthz port 8080 timeout 2s\n"
        "expose 8080\n"),
    "conf/nginx.conf": "events {}\nhttp { server { listen 8080; } }\n",
}


def manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    write_tree(tmp_path, PROJECT)
    assert main(["k8s", str(tmp_path / "Restyfile"), "-t", "reg.example/shop:1.0"]) == 0
    return list(yaml.safe_load_all(capsys.readouterr().out))


def test_deployment_carries_resources_probes_and_least_privilege(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deploy, service = manifests(tmp_path, capsys)
    assert (deploy["apiVersion"], deploy["kind"]) == ("apps/v1", "Deployment")
    pod = deploy["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["image"] == "reg.example/shop:1.0"
    assert c["resources"] == {"requests": {"cpu": "500m", "memory": "256Mi"},
                              "limits": {"cpu": "2", "memory": "1Gi"}}
    assert c["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8080},
                                   "periodSeconds": 5}
    assert c["livenessProbe"] == {"httpGet": {"path": "/healthz", "port": 8080},
                                  "timeoutSeconds": 2}
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsGroup"] == 0
    assert c["volumeMounts"] == [{"name": "run", "mountPath": "/run/restybuild"}]
    assert service["spec"]["ports"][0]["port"] == 8080


def test_lint_accepts_what_k8s_writes(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, PROJECT)
    assert main(["k8s", str(tmp_path / "Restyfile")]) == 0
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy/app.yaml").write_text(capsys.readouterr().out)
    rc = main(["lint", str(tmp_path / "Restyfile"), "--k8s", str(tmp_path / "deploy"),
               "--select", "RB9"])
    assert (rc, capsys.readouterr().out) == (0, "")


def test_quantities_are_exact_and_probe_timings_are_carried(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """512k is 512Ki, not "0Mi"; initial_delay and failure_threshold reach Kubernetes."""
    write_tree(tmp_path, {
        "Restyfile": "name tiny\nbase debian-bookworm\n"
                     "resources {\n  request cpu 250m memory 512k\n"
                     "  limit cpu 1.5 memory 1536Mi\n}\n"
                     "probe startup http /up port 80 initial_delay 10s failure_threshold 30\n",
    })
    assert main(["k8s", str(tmp_path / "Restyfile")]) == 0
    deploy = next(yaml.safe_load_all(capsys.readouterr().out))
    c = deploy["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"] == {"requests": {"cpu": "250m", "memory": "512Ki"},
                              "limits": {"cpu": "1500m", "memory": "1536Mi"}}
    assert c["startupProbe"] == {"httpGet": {"path": "/up", "port": 80},
                                 "initialDelaySeconds": 10, "failureThreshold": 30}


def test_k8s_refuses_a_probe_only_loopback_listens_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name lo\nbase debian-bookworm\nconf conf\n"
                     "probe readiness http /ready port 8080\n",
        "conf/nginx.conf": "events {}\nhttp { server { listen 127.0.0.1:8080; } }\n"})
    assert main(["k8s", str(tmp_path / "Restyfile")]) == 4
    err = capsys.readouterr().err
    assert "the readiness probe checks port 8080, which only a loopback address listens on" in err
