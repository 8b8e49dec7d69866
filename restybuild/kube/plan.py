"""What `restybuild k8s` writes, decided: a pure function of the Project, its conf and the
command's options; :func:`restybuild.render.render_k8s` only formats it.

The objects run the image as its verification ran it (:func:`restybuild.verify.as_kubernetes`):
the image's USER, every capability dropped, no new privileges, a read-only root with a
memory-backed run folder; and they pass Pod Security "restricted" (seccomp RuntimeDefault,
runAsNonRoot, only the safe sysctl `net.ipv4.ip_unprivileged_port_start`, emptyDir volumes).

Draining a pod: the kubelet runs the `preStop` hook first (`sleep`, an `exec` so every
supported Kubernetes version takes it) while the endpoint controller, kube-proxy and the
ingress take the pod out of rotation; then the runtime sends the image's STOPSIGNAL
(SIGQUIT: nginx stops accepting, finishes its requests and quits). The grace period covers
both, and the conf's `worker_shutdown_timeout` when it sets one.
"""

from __future__ import annotations

import re

from restybuild.conf.edits.base import RUN_DIR, RUN_UID
from restybuild.conf.servers import listens
from restybuild.conf.tree import ConfTree
from restybuild.errors import ConfigError
from restybuild.model import Metrics, Probe, Project, Resources, Scale
from restybuild.records import dataclass
from restybuild.reference import check_reference
from restybuild.units import k8s_memory

PRESTOP_SLEEP = 10  # seconds for the pod's endpoint removal to reach every proxy
SHUTDOWN = 30  # seconds nginx gets to finish its requests without worker_shutdown_timeout
RUN_SIZE = 64 * 1024**2  # the run folder (pid, temp files): memory, counted in the limit
DATA_SIZE = 1024**3  # a `data` folder without SIZE
NS_RE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
CHECKOV_NAMESPACE = ("CKV_K8S_21", "the namespace is chosen when the objects are applied "
                     "(kubectl apply -n, or the kustomization namespace); "
                     "restybuild k8s --namespace writes one")


@dataclass(frozen=True)
class K8sOptions:
    image: str | None = None  # REF or REF@sha256:DIGEST; default NAME:latest
    namespace: str | None = None
    service_monitor: bool = False
    allow_unbounded: bool = False


@dataclass(frozen=True)
class Port:
    name: str  # the container port's name (at most 15 characters)
    number: int


@dataclass(frozen=True)
class Volume:
    name: str
    path: str
    size: str  # the emptyDir's sizeLimit, a Kubernetes quantity
    memory: bool  # medium: Memory


@dataclass(frozen=True)
class K8sPlan:
    restyfile: str
    name: str  # of every object and of the container (a DNS label)
    namespace: str | None
    image: str
    pull_policy: str
    replicas: int | None  # None when an autoscaler owns the count
    resources: Resources | None
    probes: tuple[Probe, ...]
    metrics: Metrics | None
    scrape_annotations: bool  # prometheus.io/* on the pod (not with a ServiceMonitor)
    ports: tuple[Port, ...]  # the container's and the Service's
    ingress_ports: tuple[int, ...]  # what the NetworkPolicy lets in
    low_ports: bool  # nginx listens below 1024: the unprivileged port floor goes to 0
    run_as: int
    volumes: tuple[Volume, ...]
    prestop_sleep: int
    grace: int  # terminationGracePeriodSeconds
    stop_signal: str
    scale: Scale | None
    pdb: bool
    service_monitor: bool
    skips: tuple[tuple[str, str], ...]  # checkov checks skipped on every object, with why

    @property
    def files(self) -> tuple[str, ...]:
        """The objects' files, in the order `kubectl apply -k` and the stream list them."""
        out = ["deployment.yaml"]
        if self.ports:
            out.append("service.yaml")
        if self.scale is not None:
            out.append("hpa.yaml")
        if self.pdb:
            out.append("pdb.yaml")
        out.append("networkpolicy.yaml")
        if self.service_monitor:
            out.append("servicemonitor.yaml")
        return tuple(out)


def k8s_name(name: str) -> str:
    """The app's name as a DNS-1035 label (Service names): `.` and `_` become `-`, and a
    name starting with a digit gets `app-` in front."""
    out = re.sub(r"[._]", "-", name)
    if not out[0].isalpha():
        out = f"app-{out}"
    return out[:63].rstrip("-")


def _seconds(text: str) -> int | None:
    """An nginx time (`10s`, `1m30s`, `30`) in seconds, when it is one."""
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"([0-9]+)(ms|[smhd]?)", text)
    if not parts or "".join(a + b for a, b in parts) != text or \
            any(unit == "ms" for _, unit in parts):
        return None
    return sum(int(num) * units[unit] for num, unit in parts)


def _shutdown(tree: ConfTree) -> int:
    for d in tree.find("worker_shutdown_timeout", ()):
        if d.args and (secs := _seconds(d.args[0])) is not None:
            return secs
    return SHUTDOWN


def _listened(tree: ConfTree, project: Project) -> set[int]:
    ports = {li.port for ctx in (("http",), ("stream",)) for s in tree.find("server", ctx)
             for li in listens(tree, s)}
    ports |= set(project.expose) | {p.port for p in project.probes}
    if project.metrics is not None:
        ports.add(project.metrics.port)
    return ports


def _check_limits(project: Project, options: K8sOptions) -> None:
    res = project.resources
    limits = (res.limit_cpu, res.limit_memory) if res else (None, None)
    missing = [what for what, limit in zip(("cpu", "memory"), limits) if limit is None]
    if missing and not options.allow_unbounded:
        what = " and no ".join(f"{m} limit" for m in missing)
        raise ConfigError(f"the Restyfile gives the container no {what}: restybuild k8s "
                          "writes no container without limits (checkov and lint --k8s flag "
                          "one)",
                          span=res.span if res else None,
                          hint="add: resources { limit cpu 2 memory 1Gi } (with requests), or "
                               "pass --allow-unbounded to write it anyway")


def _image(project: Project, options: K8sOptions) -> tuple[str, str]:
    image = f"{project.name}:latest" if options.image is None else options.image
    check_reference(image, "--image")
    # by digest the bytes cannot change: pull once; by tag, ask the registry on every start
    return image, "IfNotPresent" if "@" in image else "Always"


def _volumes(project: Project) -> tuple[Volume, ...]:
    data = tuple(Volume(f"data-{i}", d.path, k8s_memory(d.size or DATA_SIZE), False)
                 for i, d in enumerate(project.data, start=1))
    return (Volume("run", RUN_DIR, k8s_memory(RUN_SIZE), True), *data)


def _ports(project: Project) -> tuple[Port, ...]:
    metrics = project.metrics.port if project.metrics else None
    numbers = sorted(set(project.expose) | ({metrics} if metrics else set()))
    return tuple(Port("metrics" if n == metrics else f"port-{n}", n) for n in numbers)


def plan_k8s(project: Project, tree: ConfTree, options: K8sOptions) -> K8sPlan:
    """The objects for `project` (see the module docstring)."""
    import posixpath

    _check_limits(project, options)
    if options.service_monitor and project.metrics is None:
        raise ConfigError("--service-monitor needs metrics to scrape",
                          hint="declare them: metrics prometheus port 9145")
    if options.namespace is not None and not NS_RE.fullmatch(options.namespace):
        raise ConfigError(f"`{options.namespace}` is not a namespace name",
                          hint="lowercase letters, digits and `-`, at most 63")
    image, pull = _image(project, options)
    ports = _ports(project)
    listened = _listened(tree, project)
    scale = project.scale
    return K8sPlan(
        restyfile=posixpath.basename(project.restyfile), name=k8s_name(project.name),
        namespace=options.namespace, image=image, pull_policy=pull,
        replicas=None if scale else 1, resources=project.resources, probes=project.probes,
        metrics=project.metrics,
        scrape_annotations=project.metrics is not None and not options.service_monitor,
        ports=ports, ingress_ports=tuple(sorted(listened)),
        low_ports=any(p < 1024 for p in listened), run_as=RUN_UID, volumes=_volumes(project),
        prestop_sleep=PRESTOP_SLEEP, grace=PRESTOP_SLEEP + _shutdown(tree),
        stop_signal=project.flavor.stop_signal, scale=scale,
        pdb=scale is not None and scale.max_replicas > 1,
        service_monitor=options.service_monitor,
        skips=() if options.namespace else (CHECKOV_NAMESPACE,))
