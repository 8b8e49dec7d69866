"""`restybuild plan`: write the Dockerfile, the effective conf and the context list."""

from __future__ import annotations

import argparse
from typing import Any

HELP = """\
Compile a Restyfile into a Dockerfile without building it.

Without -o, print the Dockerfile. With -o DIR, write DIR/Dockerfile, the
effective nginx configuration under DIR/conf/, and DIR/context.txt, the list
of files the build context will hold.

example:
  restybuild plan Restyfile.example
  restybuild plan Restyfile -o out/
"""


def register(sub: Any) -> None:
    p = sub.add_parser("plan", help="compile a Restyfile into a Dockerfile",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("restyfile", nargs="?", default="Restyfile", help="default: ./Restyfile")
    p.add_argument("-o", "--output", metavar="DIR", help="write the files into DIR")
    p.add_argument("--index", metavar="FILE",
                   help="the base image's library index (restybuild deps --save-index); "
                        "default: Restyfile.lock, else the recipe's snapshot")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from restybuild import fastpath
    from restybuild.inputs import load
    from restybuild.plan import plan
    from restybuild.render import render_dockerfile

    inputs = load(args.restyfile, args.index)
    project = inputs.project
    bp = plan(project, inputs.base.index, inputs.tree, inputs.facts)
    listing = "".join(f"{e.arcname}{'/' if e.is_dir else ''}\n" for e in bp.context)
    output: dict[str, Any] = {
        "dockerfile": render_dockerfile(bp),
        "conf": [[f.rel, f.text] for f in bp.effective.files],
        "context": "Dockerfile\n" + listing,
        "notes": list(bp.effective.notes),
        "warnings": list(bp.warnings),
    }
    fastpath.store("plan", args.restyfile, None, inputs.tree.snapshot(), output)
    return fastpath.emit(output, args.output)

