"""`restybuild k8s`: Kubernetes objects that run the image as the Restyfile declares."""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = """\
Write the Kubernetes objects that run the image: a Deployment (the Restyfile's
resources and probes, Pod Security "restricted", a graceful drain), a Service
for the exposed and metrics ports, a NetworkPolicy letting in only the ports
nginx listens on, a HorizontalPodAutoscaler and a PodDisruptionBudget for
`scale MIN..MAX cpu PERCENT`, and with --service-monitor a ServiceMonitor.

With -o DIR, one object per file plus kustomization.yaml (`kubectl apply -k
DIR`); restybuild overwrites only files it wrote (their first line says so),
refuses any other unless --force, and deletes the ones it wrote earlier and no
longer writes. Without -o, the objects go to stdout as one YAML stream.

examples:
  restybuild k8s Restyfile -o deploy/ --image registry.example/shop@sha256:4f0c...
  restybuild k8s Restyfile.example --namespace shop | kubectl apply -f -
"""


def register(sub: Any) -> None:
    p = sub.add_parser("k8s", help="write Kubernetes objects for the image",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("restyfile", nargs="?", default="Restyfile", help="default: ./Restyfile")
    p.add_argument("-o", "--output", metavar="DIR", help="write one file per object into DIR")
    p.add_argument("--image", "-t", "--tag", dest="image", metavar="REF[@DIGEST]",
                   help="the image, best by digest: REF@sha256:... (default: NAME:latest, with a "
                        "warning: the cluster would pull it from its default registry)")
    p.add_argument("--namespace", metavar="NS", help="put the objects in namespace NS")
    p.add_argument("--service-monitor", action="store_true",
                   help="also write a ServiceMonitor (Prometheus Operator) for the metrics")
    p.add_argument("--allow-unbounded", action="store_true",
                   help="write the container even when the Restyfile gives it no limits")
    p.add_argument("--force", action="store_true",
                   help="with -o: overwrite files of the same names that restybuild did not "
                        "write")
    p.set_defaults(func=run)


def _refuse_loopback_probes(project: Any, tree: Any) -> None:
    from restybuild.errors import ConfigError
    from restybuild.lint.rules.rb609_loopback_listen import loopback_only

    for port, what in sorted(loopback_only(tree, project).items()):
        if what.endswith("probe"):
            raise ConfigError(f"{what} checks port {port}, which only a loopback address "
                              "listens on: the kubelet would never reach it",
                              span=next(p.span for p in project.probes if p.port == port),
                              hint=f"listen on every address in the conf: `listen {port};`")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from restybuild.conf.tree import load_conf
    from restybuild.kube.plan import K8sOptions, plan_k8s
    from restybuild.kube.write import write_objects
    from restybuild.render import k8s_stream, render_k8s
    from restybuild.resolve import load_project
    from restybuild.source import SourceTree

    project = load_project(args.restyfile)
    tree = load_conf(project, SourceTree())
    _refuse_loopback_probes(project, tree)
    options = K8sOptions(image=args.image, namespace=args.namespace,
                         service_monitor=args.service_monitor,
                         allow_unbounded=args.allow_unbounded)
    plan = plan_k8s(project, tree, options)
    if args.image is None:
        print(f"restybuild: warning: no --image: the Deployment runs {plan.image}, which the "
              "cluster pulls on every start from the registry the cluster defaults to; pass "
              "--image REF@sha256:DIGEST (build --push prints it)", file=sys.stderr)
    files = render_k8s(plan)
    if args.output is None:
        sys.stdout.write(k8s_stream(files))
        return 0
    folder = Path(args.output)
    stale = write_objects(folder, files, force=args.force)
    for name in files:
        print(folder / name)
    for name in stale:
        print(f"removed {folder / name} (restybuild wrote it; it is no longer needed)",
              file=sys.stderr)
    return 0
