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
    from restybuild.render import render_k8s
    from restybuild.resolve import load_project

    project = load_project(args.restyfile)
    sys.stdout.write(render_k8s(project, args.tag or f"{project.name}:latest"))
    return 0
