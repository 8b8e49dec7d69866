"""What `restybuild k8s` writes is accepted where it goes: the Kubernetes OpenAPI schemas of
old and new versions (kubernetes-validate, its schemas shipped in the package, no network),
the Pod Security "restricted" standard (its controls coded below from the Kubernetes Pod
Security Standards page), and checkov's Kubernetes checks (every remaining finding skipped
in the manifest with a reason)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from restybuild.cli import main
from tests.conftest import REPO, write_tree
from tests.test_k8s import DIGEST, RESOURCES, SCALED

VERSIONS = ("1.29", "1.33", "1.37")  # the oldest shipped with the fields used, and the newest
NO_SCHEMA = {"ServiceMonitor", "Kustomization"}  # a CRD, and kustomize's own file

CASES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    # an autoscaled app with metrics, data folders and a ServiceMonitor
    "scaled": (SCALED, ("--image", f"reg.example/shop@{DIGEST}", "--service-monitor")),
    # the same in a namespace (no checkov skip at all)
    "namespaced": ({**SCALED, "Restyfile": SCALED["Restyfile"].replace("name shop", "name ns")},
                   ("--image", f"reg.example/ns@{DIGEST}", "--namespace", "shop")),
    # port 80 (the sysctl), a startup probe, a name that is not a DNS label, one replica
    "low-port": ({"Restyfile": "name web_front.v2\nbase debian-bookworm\nconf conf\n" + RESOURCES
                  + "probe startup http /up port 80 initial_delay 5s failure_threshold 30\n"
                  "probe readiness http /ready port 80\nprobe liveness http /live port 80\n"
                  "expose 80 443\n",
                  "conf/nginx.conf": "events {}\nhttp { server { listen 80; listen 443; } }\n"},
                 ("--image", f"reg.example/web@{DIGEST}")),
}


def render(root: Path, case: str) -> Path:
    files, args = CASES[case]
    write_tree(root / case, files)
    out = root / "deploy" / case
    assert main(["k8s", str(root / case / "Restyfile"), "-o", str(out), *args]) == 0
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("k8s")
    for case in CASES:
        render(root, case)
    return root / "deploy"


def objects(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(p.name, yaml.safe_load(p.read_text())) for p in sorted(folder.rglob("*.yaml"))]


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]  # type: ignore[no-any-return]


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No connection to anywhere: the validator must answer from the schemas it ships."""
    def refuse(*args: object, **kw: object) -> None:
        raise AssertionError(f"the validator tried to connect: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_object_matches_the_kubernetes_schemas(rendered: Path, version: str,
                                                     offline: None) -> None:
    import kubernetes_validate

    found = objects(rendered)
    kinds = {obj["kind"] for _, obj in found}
    assert kinds == {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                     "NetworkPolicy", "ServiceMonitor", "Kustomization"}
    for name, obj in found:
        if obj["kind"] not in NO_SCHEMA:
            assert kubernetes_validate.validate(obj, version, strict=True) == version, name


def test_the_service_monitor_and_kustomization_point_at_what_exists(rendered: Path) -> None:
    for folder in sorted(p for p in rendered.iterdir()):
        by_file = dict(objects(folder))
        kust = by_file.pop("kustomization.yaml")
        assert kust["resources"] == [n for n in kust["resources"] if n in by_file]
        assert sorted(kust["resources"]) == sorted(by_file)
        monitor = by_file.get("servicemonitor.yaml")
        if monitor is not None:
            service = by_file["service.yaml"]
            assert monitor["spec"]["selector"]["matchLabels"].items() <= \
                service["metadata"]["labels"].items()
            ports = {p["name"] for p in service["spec"]["ports"]}
            assert {e["port"] for e in monitor["spec"]["endpoints"]} <= ports


# --- Pod Security Standards: baseline, then restricted (Linux pods) -------------------------

BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
                         "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
                         "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t",
                 "container_engine_t"}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}
SECCOMP = {"RuntimeDefault", "Localhost"}


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for key in ("containers", "initContainers", "ephemeralContainers")
            for c in spec.get(key, [])]


def _baseline(meta: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    bad = [f"spec.{k}" for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    pod_sc = spec.get("securityContext", {})
    contexts = [pod_sc] + [c.get("securityContext", {}) for c in _containers(spec)]
    for sc in contexts:
        if sc.get("windowsOptions", {}).get("hostProcess"):
            bad.append("hostProcess")
        if sc.get("seccompProfile", {}).get("type") == "Unconfined":
            bad.append("seccomp Unconfined")
        if sc.get("appArmorProfile", {}).get("type") not in (None, *SECCOMP):
            bad.append("appArmorProfile")
        se = sc.get("seLinuxOptions", {})
        if se.get("type", "") not in SELINUX_TYPES or se.get("user") or se.get("role"):
            bad.append("seLinuxOptions")
    for key, value in meta.get("annotations", {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and \
                value != "runtime/default" and not value.startswith("localhost/"):
            bad.append(key)
    for c in _containers(spec):
        sc = c.get("securityContext", {})
        if sc.get("privileged"):
            bad.append("privileged")
        if set(sc.get("capabilities", {}).get("add", [])) - BASELINE_CAPABILITIES:
            bad.append("capabilities.add beyond the baseline")
        if sc.get("procMount", "Default") != "Default":
            bad.append("procMount")
        if any(p.get("hostPort", 0) for p in c.get("ports", [])):
            bad.append("hostPort")
        handlers = [c.get(f"{k}Probe", {}) for k in ("liveness", "readiness", "startup")]
        handlers += [c.get("lifecycle", {}).get(k, {}) for k in ("postStart", "preStop")]
        for h in handlers:
            if any(h.get(kind, {}).get("host") for kind in ("httpGet", "tcpSocket")):
                bad.append("probe or hook host")
    bad += [f"volume {v['name']}: hostPath" for v in spec.get("volumes", []) if "hostPath" in v]
    bad += [f"sysctl {s['name']}" for s in pod_sc.get("sysctls", [])
            if s["name"] not in SAFE_SYSCTLS]
    return bad


def _restricted(spec: dict[str, Any]) -> list[str]:
    bad = [f"volume {v['name']}" for v in spec.get("volumes", [])
           if not RESTRICTED_VOLUMES & set(v)]
    pod_sc = spec.get("securityContext", {})
    if pod_sc.get("runAsUser") == 0:
        bad.append("pod runAsUser 0")
    if pod_sc.get("runAsNonRoot") is False:
        bad.append("pod runAsNonRoot false")
    pod_seccomp = pod_sc.get("seccompProfile", {}).get("type")
    for c in _containers(spec):
        sc = c.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            bad.append(f"{c['name']}: allowPrivilegeEscalation")
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if non_root is not True:
            bad.append(f"{c['name']}: runAsNonRoot")
        if sc.get("runAsUser") == 0:
            bad.append(f"{c['name']}: runAsUser 0")
        if sc.get("seccompProfile", {}).get("type", pod_seccomp) not in SECCOMP:
            bad.append(f"{c['name']}: seccompProfile")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            bad.append(f"{c['name']}: capabilities.drop ALL")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            bad.append(f"{c['name']}: capabilities.add")
    return bad


def restricted_violations(template: dict[str, Any]) -> list[str]:
    """What Pod Security "restricted" refuses in a pod template (metadata + spec)."""
    meta, spec = template.get("metadata", {}), template["spec"]
    return _baseline(meta, spec) + _restricted(spec)


def test_every_pod_passes_pod_security_restricted(rendered: Path) -> None:
    pods = [pod_template(obj) for _, obj in objects(rendered) if obj["kind"] == "Deployment"]
    assert len(pods) == len(CASES)
    for template in pods:
        assert restricted_violations(template) == []


@pytest.mark.parametrize(("path", "value", "caught"), [
    ("spec.securityContext.seccompProfile", None, "seccompProfile"),
    ("spec.containers.0.securityContext.runAsNonRoot", False, "runAsNonRoot"),
    ("spec.securityContext.runAsNonRoot", False, "runAsNonRoot"),
    ("spec.containers.0.securityContext.allowPrivilegeEscalation", None,
     "allowPrivilegeEscalation"),
    ("spec.containers.0.securityContext.capabilities.drop", ["NET_RAW"], "drop ALL"),
    ("spec.securityContext.sysctls", [{"name": "net.core.somaxconn", "value": "1024"}],
     "sysctl net.core.somaxconn"),
    ("spec.volumes.0", {"name": "run", "hostPath": {"path": "/run"}}, "hostPath"),
    ("spec.hostNetwork", True, "spec.hostNetwork"),
])
def test_the_restricted_check_catches_what_the_cluster_refuses(
        rendered: Path, path: str, value: Any, caught: str) -> None:
    """The check is not vacuous: each control it codes refuses a pod breaking it."""
    template = pod_template(yaml.safe_load((rendered / "scaled/deployment.yaml").read_text()))
    *parents, last = path.split(".")
    node: Any = template
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is None:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    assert any(caught in v for v in restricted_violations(template))


# --- checkov ----------------------------------------------------------------------------------

def checkov() -> str:
    """checkov lives in its own venv (`make checkov`: its pins clash with the dev tools')."""
    found = [os.environ.get("RESTYBUILD_CHECKOV"), str(REPO / ".venv-checkov/bin/checkov"),
             shutil.which("checkov")]
    for path in found:
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail("checkov is not installed: `make checkov` makes .venv-checkov")


@pytest.mark.e2e  # checkov is an outside tool, in a venv of its own (`make test` makes it)
def test_checkov_finds_nothing_and_every_skip_says_why(rendered: Path) -> None:
    cmd = [checkov(), "-d", str(rendered), "--framework", "kubernetes", "-o", "json",
           "--skip-download"]  # nothing fetched from checkov's platform
    if os.geteuid() == 0 and shutil.which("unshare"):
        cmd = ["unshare", "--net", *cmd]  # and no network to fetch it over
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    report = json.loads(proc.stdout)
    results = report["results"]
    failed = [(r["check_id"], r["resource"], r["file_path"]) for r in results["failed_checks"]]
    assert failed == []
    assert proc.returncode == 0
    assert report["summary"]["passed"] > 50
    skipped = {(r["check_id"], r["check_result"].get("suppress_comment", ""))
               for r in results["skipped_checks"]}
    assert {check for check, _ in skipped} == {"CKV_K8S_21"}
    assert all("namespace" in why for _, why in skipped)
    # the namespaced case needs no skip at all
    assert not any("/namespaced/" in r["file_path"] for r in results["skipped_checks"])
