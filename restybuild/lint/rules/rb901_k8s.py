"""RB901 Kubernetes manifests that will not work.

What: in the manifests of `--k8s DIR`: a removed apiVersion (`extensions/v1beta1`
Deployment, `apps/v1beta1`...), a container without resource limits, or limits
that disagree with the Restyfile's `resources`.
Why: removed APIs are refused by the cluster; no limits means `workers cpu`
and the memory budget mean nothing; disagreeing limits OOM-kill the pod.
Example: `apiVersion: extensions/v1beta1` with `kind: Deployment`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from restybuild.errors import Span
from restybuild.lint import Finding
from restybuild.lint.context import LintContext
from restybuild.units import parse_cpu, parse_size

CODE = "RB901"
NAME = "k8s-manifest"
SEVERITY = "error"
REMOVED = {
    ("extensions/v1beta1", "Deployment"), ("extensions/v1beta1", "DaemonSet"),
    ("extensions/v1beta1", "ReplicaSet"), ("extensions/v1beta1", "Ingress"),
    ("extensions/v1beta1", "NetworkPolicy"), ("extensions/v1beta1", "PodSecurityPolicy"),
    ("apps/v1beta1", "Deployment"), ("apps/v1beta1", "StatefulSet"),
    ("apps/v1beta2", "Deployment"), ("apps/v1beta2", "StatefulSet"),
    ("apps/v1beta2", "DaemonSet"), ("apps/v1beta2", "ReplicaSet"),
    ("networking.k8s.io/v1beta1", "Ingress"), ("batch/v1beta1", "CronJob"),
    ("policy/v1beta1", "PodDisruptionBudget"), ("policy/v1beta1", "PodSecurityPolicy"),
}


def _span(file: str, node: Any) -> Span:
    mark = node.start_mark
    return Span(file, mark.line + 1, mark.column + 1)


def _get(node: Any, key: str) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return v
    return None


def _containers(doc: Any) -> list[Any]:
    import yaml

    spec = _get(doc, "spec")
    template = _get(spec, "template") if spec is not None else None
    pod = _get(template, "spec") if template is not None else spec
    if _get(doc, "kind") is not None and getattr(_get(doc, "kind"), "value", "") == "Pod":
        pod = spec
    conts = _get(pod, "containers") if pod is not None else None
    return list(conts.value) if isinstance(conts, yaml.SequenceNode) else []


def check(ctx: LintContext) -> Iterator[Finding]:
    folder = ctx.options.get("k8s")
    if not folder:
        return
    import yaml

    base = Path(str(folder))
    files = sorted(Path(d) / f for d, _dirs, names in ctx.source.walk(str(base)) for f in names
                   if f.endswith((".yaml", ".yml")))
    res = ctx.project.resources
    for path in files:
        shown = ctx.rel(path)
        try:
            docs = list(yaml.compose_all(ctx.source.read_text(str(path))))
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            yield Finding(f"invalid YAML: {getattr(e, 'problem', e)}", Span(shown, line, col))
            continue
        for doc in docs:
            api, kind = _get(doc, "apiVersion"), _get(doc, "kind")
            if api is None or kind is None:
                continue
            if (api.value, kind.value) in REMOVED:
                yield Finding(f"{kind.value} in apiVersion {api.value} was removed from "
                              "Kubernetes", _span(shown, api),
                              hint="use apps/v1 (workloads) or networking.k8s.io/v1 (Ingress)")
            for c in _containers(doc):
                limits = _get(_get(c, "resources") or c, "limits")
                if limits is None:
                    yield Finding("container has no resource limits", _span(shown, c),
                                  severity="warning",
                                  hint="set limits matching the Restyfile's `resources`")
                    continue
                if res is None:
                    continue
                for name, want, parse in (("cpu", res.limit_cpu, parse_cpu),
                                          ("memory", res.limit_memory, parse_size)):
                    node = _get(limits, name)
                    if node is None or want is None:
                        continue
                    have = parse(str(node.value))
                    if have != want:
                        yield Finding(f"limits.{name} {node.value} disagrees with the "
                                      f"Restyfile's limit ({res.span})", _span(shown, node),
                                      severity="warning")
