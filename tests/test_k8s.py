"""`restybuild k8s`: objects that run the image as the Restyfile says, that lint accepts, and
files written only where restybuild owns them. Schemas, Pod Security and checkov:
tests/test_k8s_validate.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from restybuild.cli import main
from tests.conftest import write_tree

DIGEST = "sha256:" + "4f0c" * 16
RESOURCES = "resources {\n  request cpu 500m memory 256Mi\n  limit cpu 2 memory 1Gi\n}\n"
PROJECT = {
    "Restyfile": (
        "name shop\nbase debian-bookworm\nconf conf\nworkers cpu\n" + RESOURCES +
        "probe readiness http /ready port 8080 period 5s\n"
        "probe liveness http /healthz port 8080 timeout 2s\n"
        "expose 8080\n"),
    "conf/nginx.conf": "events {}\nhttp { server { listen 8080; } }\n",
}
SCALED = {
    "Restyfile": PROJECT["Restyfile"] + "metrics prometheus port 9145\nscale 2..10 cpu 70\n"
                 "data logs/waf 64Mi\ndata saved\n",
    "conf/nginx.conf": PROJECT["conf/nginx.conf"],
}


def k8s(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["k8s", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def stream(tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str],
           *args: str) -> dict[str, Any]:
    """The objects printed for `files`, by kind."""
    write_tree(tmp_path, files)
    rc, out, err = k8s(capsys, str(tmp_path / "Restyfile"), *args)
    assert rc == 0
    if {"--image", "-t", "--tag"} & set(args):
        assert err == ""
    else:  # the one line that warns of NAME:latest
        assert err.startswith("restybuild: warning: no --image") and err.count("\n") == 1
    return {d["kind"]: d for d in yaml.safe_load_all(out)}


def pod_of(objects: dict[str, Any]) -> Any:
    return objects["Deployment"]["spec"]["template"]["spec"]


def test_deployment_carries_resources_probes_and_least_privilege(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    objects = stream(tmp_path, capsys, PROJECT, "-t", "reg.example/shop:1.0")
    assert sorted(objects) == ["Deployment", "NetworkPolicy", "Service"]
    deploy = objects["Deployment"]
    assert (deploy["apiVersion"], deploy["spec"]["replicas"]) == ("apps/v1", 1)
    pod = pod_of(objects)
    c = pod["containers"][0]
    assert (c["image"], c["imagePullPolicy"]) == ("reg.example/shop:1.0", "Always")
    assert c["resources"] == {"requests": {"cpu": "500m", "memory": "256Mi"},
                              "limits": {"cpu": "2", "memory": "1Gi"}}
    assert c["readinessProbe"] == {"httpGet": {"path": "/ready", "port": 8080},
                                   "periodSeconds": 5}
    assert c["livenessProbe"] == {"httpGet": {"path": "/healthz", "port": 8080},
                                  "timeoutSeconds": 2}
    assert c["securityContext"] == {"runAsNonRoot": True, "allowPrivilegeEscalation": False,
                                    "readOnlyRootFilesystem": True,
                                    "capabilities": {"drop": ["ALL"]}}
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001,
                                      "runAsGroup": 0,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    assert pod["automountServiceAccountToken"] is False
    assert c["lifecycle"] == {"preStop": {"exec": {"command": ["sleep", "10"]}}}
    assert pod["terminationGracePeriodSeconds"] == 40  # the sleep + nginx's 30 s to finish
    assert pod["topologySpreadConstraints"] == [{
        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway",
        "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "shop"}}}]
    assert c["volumeMounts"] == [{"name": "run", "mountPath": "/run/restybuild"}]
    assert pod["volumes"] == [{"name": "run",
                               "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}]
    assert objects["Service"]["spec"]["ports"] == [
        {"name": "port-8080", "port": 8080, "targetPort": "port-8080"}]
    assert objects["NetworkPolicy"]["spec"]["ingress"] == [
        {"ports": [{"protocol": "TCP", "port": 8080}]}]


def test_scale_writes_an_autoscaler_a_disruption_budget_and_no_replicas(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    objects = stream(tmp_path, capsys, SCALED, "--image", f"reg.example/shop@{DIGEST}")
    assert "replicas" not in objects["Deployment"]["spec"]
    hpa = objects["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": "shop"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]
    pdb = objects["PodDisruptionBudget"]
    assert (pdb["apiVersion"], pdb["spec"]["maxUnavailable"]) == ("policy/v1", 1)
    assert "minAvailable" not in pdb["spec"]
    pod = pod_of(objects)
    c = pod["containers"][0]
    assert (c["image"], c["imagePullPolicy"]) == (f"reg.example/shop@{DIGEST}", "IfNotPresent")
    assert pod["volumes"][1:] == [
        {"name": "data-1", "emptyDir": {"sizeLimit": "64Mi"}},
        {"name": "data-2", "emptyDir": {"sizeLimit": "1Gi"}}]
    assert [m["mountPath"] for m in c["volumeMounts"]] == [
        "/run/restybuild", "/usr/share/nginx/logs/waf", "/usr/share/nginx/saved"]
    annotations = objects["Deployment"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": "9145",
                           "prometheus.io/path": "/metrics"}
    assert {p["name"]: p["port"] for p in objects["Service"]["spec"]["ports"]} == {
        "port-8080": 8080, "metrics": 9145}


def test_one_replica_at_most_has_no_disruption_budget(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {**PROJECT, "Restyfile": PROJECT["Restyfile"] + "scale 1..1 cpu 80\n"}
    objects = stream(tmp_path, capsys, files)
    assert "HorizontalPodAutoscaler" in objects and "PodDisruptionBudget" not in objects


def test_a_port_below_1024_gets_the_safe_sysctl_and_shutdown_timeout_the_grace(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {"Restyfile": "name web\nbase debian-bookworm\nconf conf\n" + RESOURCES +
                          "probe readiness http /ready port 80\n",
             "conf/nginx.conf": "worker_shutdown_timeout 1m;\nevents {}\n"
                                "http { server { listen 80; } }\n"}
    pod = pod_of(stream(tmp_path, capsys, files))
    assert pod["securityContext"]["sysctls"] == [
        {"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]
    assert pod["terminationGracePeriodSeconds"] == 70
    assert "sysctls" not in pod_of(stream(tmp_path / "hi", capsys, PROJECT))["securityContext"]


def test_service_monitor_replaces_the_scrape_annotations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    objects = stream(tmp_path, capsys, SCALED, "--service-monitor", "--namespace", "shop")
    monitor = objects["ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"] == {"selector": {"matchLabels": {"app.kubernetes.io/name": "shop"}},
                               "endpoints": [{"port": "metrics", "path": "/metrics"}]}
    assert "annotations" not in objects["Deployment"]["spec"]["template"]["metadata"]
    for obj in objects.values():
        assert obj["metadata"]["namespace"] == "shop"
        assert "annotations" not in obj["metadata"]  # no checkov skip for the namespace
    write_tree(tmp_path / "bare", PROJECT)
    rc, _, err = k8s(capsys, str(tmp_path / "bare/Restyfile"), "--service-monitor")
    assert rc == 4 and "--service-monitor needs metrics to scrape" in err


def test_without_limits_k8s_refuses_unless_allowed_and_then_lint_flags_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"Restyfile": "name tiny\nbase debian-bookworm\n"
                                       "probe readiness http /ready port 8080\n"})
    rc, out, err = k8s(capsys, str(tmp_path / "Restyfile"))
    assert (rc, out) == (4, "")
    assert "error: the Restyfile gives the container no cpu limit and no memory limit" in err
    assert "hint: add: resources { limit cpu 2 memory 1Gi }" in err
    assert "--allow-unbounded" in err
    rc, _, _ = k8s(capsys, str(tmp_path / "Restyfile"), "--allow-unbounded",
                   "-o", str(tmp_path / "deploy"))
    assert rc == 0
    rc = main(["lint", str(tmp_path / "Restyfile"), "--k8s", str(tmp_path / "deploy"),
               "--select", "RB901"])
    assert "container has no resource limits" in capsys.readouterr().out


def test_lint_accepts_what_k8s_writes(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, SCALED)
    rc, _, _ = k8s(capsys, str(tmp_path / "Restyfile"), "-o", str(tmp_path / "deploy"),
                   "--service-monitor")
    assert rc == 0
    rc = main(["lint", str(tmp_path / "Restyfile"), "--k8s", str(tmp_path / "deploy"),
               "--select", "RB9"])
    assert (rc, capsys.readouterr().out) == (0, "")


def test_quantities_are_exact_and_probe_timings_are_carried(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """512k is 512Ki, not "0Mi"; initial_delay and failure_threshold reach Kubernetes."""
    objects = stream(tmp_path, capsys, {
        "Restyfile": "name tiny\nbase debian-bookworm\n"
                     "resources {\n  request cpu 250m memory 512k\n"
                     "  limit cpu 1.5 memory 1536Mi\n}\n"
                     "probe startup http /up port 80 initial_delay 10s failure_threshold 30\n",
    })
    c = pod_of(objects)["containers"][0]
    assert c["resources"] == {"requests": {"cpu": "250m", "memory": "512Ki"},
                              "limits": {"cpu": "1500m", "memory": "1536Mi"}}
    assert c["startupProbe"] == {"httpGet": {"path": "/up", "port": 80},
                                 "initialDelaySeconds": 10, "failureThreshold": 30}


def test_k8s_refuses_a_probe_only_loopback_listens_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {
        "Restyfile": "name lo\nbase debian-bookworm\nconf conf\n" + RESOURCES +
                     "probe readiness http /ready port 8080\n",
        "conf/nginx.conf": "events {}\nhttp { server { listen 127.0.0.1:8080; } }\n"})
    rc, _, err = k8s(capsys, str(tmp_path / "Restyfile"))
    assert rc == 4
    assert "the readiness probe checks port 8080, which only a loopback address listens on" in err


def test_an_image_with_a_malformed_digest_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, PROJECT)
    rc, _, err = k8s(capsys, str(tmp_path / "Restyfile"), "--image", "reg/shop@sha256:abc")
    assert rc == 4
    assert "`reg/shop@sha256:abc` is not an image reference: a digest is @sha256:" in err


def test_output_folder_has_one_object_per_file_and_a_kustomization(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, SCALED)
    out = tmp_path / "deploy"
    rc, printed, _ = k8s(capsys, str(tmp_path / "Restyfile"), "-o", str(out))
    assert rc == 0
    names = ["deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml", "networkpolicy.yaml"]
    assert printed.split() == [str(out / n) for n in [*names, "kustomization.yaml"]]
    kust = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert kust == {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                    "resources": names}
    kinds = [yaml.safe_load((out / n).read_text())["kind"] for n in names]
    assert kinds == ["Deployment", "Service", "HorizontalPodAutoscaler",
                     "PodDisruptionBudget", "NetworkPolicy"]
    _, streamed, _ = k8s(capsys, str(tmp_path / "Restyfile"))
    assert list(yaml.safe_load_all(streamed)) == [
        yaml.safe_load((out / n).read_text()) for n in names]


def test_files_restybuild_did_not_write_are_never_overwritten(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {**SCALED, "deploy/kustomization.yaml": "resources: [mine.yaml]\n",
                          "deploy/mine.yaml": "kind: ConfigMap\n"})
    out = tmp_path / "deploy"
    rc, printed, err = k8s(capsys, str(tmp_path / "Restyfile"), "-o", str(out))
    assert (rc, printed) == (3, "")
    assert f"{out / 'kustomization.yaml'} exists and restybuild did not write it" in err
    assert "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["kustomization.yaml", "mine.yaml"]
    assert (out / "kustomization.yaml").read_text() == "resources: [mine.yaml]\n"
    assert k8s(capsys, str(tmp_path / "Restyfile"), "-o", str(out), "--force")[0] == 0
    assert (out / "kustomization.yaml").read_text().startswith("# Generated by restybuild")
    assert (out / "mine.yaml").read_text() == "kind: ConfigMap\n"


def test_a_symlink_of_an_owned_name_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {**PROJECT, "elsewhere.yaml": "# Generated by restybuild\n",
                          "deploy/service.yaml": "@symlink {root}/elsewhere.yaml"})
    rc, _, err = k8s(capsys, str(tmp_path / "Restyfile"), "-o", str(tmp_path / "deploy"))
    assert rc == 3 and "service.yaml exists and restybuild did not write it" in err
    assert (tmp_path / "elsewhere.yaml").read_text() == "# Generated by restybuild\n"


def test_objects_restybuild_no_longer_writes_are_removed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, SCALED)
    out = tmp_path / "deploy"
    assert k8s(capsys, str(tmp_path / "Restyfile"), "-o", str(out))[0] == 0
    (tmp_path / "Restyfile").write_text(PROJECT["Restyfile"])
    rc, _, err = k8s(capsys, str(tmp_path / "Restyfile"), "-o", str(out))
    assert rc == 0
    assert f"removed {out / 'hpa.yaml'}" in err and f"removed {out / 'pdb.yaml'}" in err
    assert sorted(p.name for p in out.iterdir()) == [
        "deployment.yaml", "kustomization.yaml", "networkpolicy.yaml", "service.yaml"]


def test_a_missing_memory_limit_is_named_at_the_resources_block(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"Restyfile": "name half\nbase debian-bookworm\n"
                                       "resources {\n  request cpu 1\n  limit cpu 2\n}\n"})
    rc, _, err = k8s(capsys, str(tmp_path / "Restyfile"))
    assert rc == 4
    assert err.splitlines()[0] == (
        f"{tmp_path / 'Restyfile'}:3:1: error: the Restyfile gives the container no memory "
        "limit: restybuild k8s writes no container without limits (checkov and lint --k8s "
        "flag one)")


def test_no_image_writes_name_latest_with_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, PROJECT)
    rc, out, err = k8s(capsys, str(tmp_path / "Restyfile"))
    assert rc == 0 and 'image: "shop:latest"' in out
    assert err.startswith("restybuild: warning: no --image: the Deployment runs shop:latest")
    digest = "reg.example:5000/shop@sha256:" + "0" * 64
    rc, out, err = k8s(capsys, str(tmp_path / "Restyfile"), "--image", digest)
    assert rc == 0 and f'image: "{digest}"' in out and err == ""


@pytest.mark.parametrize(("image", "problem"), [
    ("UPPER Case", "it has white space in it"),
    ("Shop:1", "the repository name must be lowercase"),
    (":::", "it is not [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST]"),
    ("shop\n:1", "it has white space in it"),
    ("", "it is empty"),
    ("reg/shop:" + "x" * 129, "it is not [HOST[:PORT]/]NAME[:TAG]"),
])
def test_a_bad_image_is_refused_before_anything_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], image: str, problem: str) -> None:
    write_tree(tmp_path, PROJECT)
    rc, out, err = k8s(capsys, str(tmp_path / "Restyfile"), "--image", image,
                       "-o", str(tmp_path / "deploy"))
    assert rc == 4 and out == "" and not (tmp_path / "deploy").exists()
    assert "is not an image reference: " + problem in err
    assert "\n" not in err.split("hint:")[0].strip()  # the newline is shown escaped
