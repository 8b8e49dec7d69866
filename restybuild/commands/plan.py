"""`restybuild plan`: write the Dockerfile, the effective conf and the context list."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from restybuild.plan import plan
    from restybuild.render import render_dockerfile
    from restybuild.resolve import load_project

    project = load_project(args.restyfile)
    bp = plan(project)
    dockerfile = render_dockerfile(bp)
    if not args.output:
        sys.stdout.write(dockerfile)
        return 0
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    for f in bp.effective.files:
        target = out / "conf" / f.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f.text, encoding="utf-8")
    listing = "".join(f"{e.arcname}{'/' if e.is_dir else ''}\n" for e in bp.context)
    (out / "context.txt").write_text("Dockerfile\n" + listing, encoding="utf-8")
    for note in bp.effective.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"wrote {out / 'Dockerfile'}, {len(bp.effective.files)} conf file(s) and "
          f"{out / 'context.txt'}", file=sys.stderr)
    return 0
