"""`restybuild k8s`: Kubernetes manifests that run the image as the Restyfile declares."""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = """\
Print a Deployment (and a Service for the exposed ports) for the image: the
Restyfile's resources, probes and metrics port, a non-root UID of group 0, a
read-only root filesystem with a memory-backed /run/restybuild.

example:
  restybuild k8s Restyfile.example -t registry.example/restydemo:1.0 > deploy.yaml
"""


def register(sub: Any) -> None:
    p = sub.add_parser("k8s", help="print Kubernetes manifests for the image",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("restyfile", nargs="?", default="Restyfile", help="default: ./Restyfile")
    p.add_argument("-t", "--tag", help="the image (default: NAME:latest)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from restybuild.conf.tree import load_conf
    from restybuild.errors import ConfigError
    from restybuild.lint.rules.rb609_loopback_listen import loopback_only
    from restybuild.render import render_k8s
    from restybuild.resolve import load_project
    from restybuild.source import SourceTree

    project = load_project(args.restyfile)
    for port, what in sorted(loopback_only(load_conf(project, SourceTree()), project).items()):
        if what.endswith("probe"):
            raise ConfigError(f"{what} checks port {port}, which only a loopback address "
                              "listens on: the kubelet would never reach it",
                              span=next(p.span for p in project.probes if p.port == port),
                              hint=f"listen on every address in the conf: `listen {port};`")
    sys.stdout.write(render_k8s(project, args.tag or f"{project.name}:latest"))
    return 0
