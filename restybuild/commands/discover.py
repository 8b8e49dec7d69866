"""`restybuild discover`: write an app's first Restyfile from an old host or a checkout."""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = """\
Write a first Restyfile for an app from what is on its old host, and say what
will break. ROOT is a copy of the old host's files (or `/` on the host itself,
read-only), or the app's source checkout.

For a host copy, -o DIR (required) receives a project folder: the Restyfile and
copies of the conf, Lua folders, assets, natives and the libraries they need.
For a checkout the Restyfile is written to ROOT/Restyfile (or -o PATH), never
over an existing one. Nothing else is written; no program under ROOT is run
(`nginx -V` comes from --nginx-v FILE, or from the binary --nginx-bin names).

Steps: nginx -V (version, compiler, OpenSSL, configure: the base, end of life,
modules the base lacks); the conf (the unit's -c, --conf-path, the prefix;
includes followed); luarocks trees (manifests read as data; rocks pinned);
natives no rock owns (their libraries resolved on the host's files); the
layout; then lint, and with --build TAG a build and its verification.

exit codes: 0 written and lint found no error, 1 errors were found (the
Restyfile is still written) or the build failed, 3 the output exists or
cannot be written, 4 a bad option (unknown --base).

example:
  restybuild discover /srv/oldhost --nginx-v oldhost-nginx-V.txt -o adserver/
"""


def register(sub: Any) -> None:
    p = sub.add_parser("discover", help="write a first Restyfile from an old host or a checkout",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", metavar="ROOT", help="a copy of the old host's files, or a checkout")
    p.add_argument("--nginx-v", metavar="FILE", help="the output of `nginx -V` on the old host")
    p.add_argument("--nginx-bin", metavar="PATH", help="run PATH -V to read it (only when named)")
    p.add_argument("--base", metavar="RECIPE", help="the base to use (RECIPE, RECIPE:VERSION-"
                                                    "FLAVOR) instead of the one chosen")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="host copy: the project folder to write; checkout: the Restyfile "
                        "(default ROOT/Restyfile)")
    p.add_argument("--rocks-server", metavar="DIR",
                   help="an offline rocks server folder holding the rocks (copied into the "
                        "project; named in the rocks block)")
    p.add_argument("--build", metavar="TAG", help="then build and verify the image as TAG")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from restybuild.discover import Options, discover
    from restybuild.discover.check import build, lint_written, what_breaks
    from restybuild.discover.write import write
    from restybuild.errors import Exit, InputError

    if not Path(args.root).is_dir():
        raise InputError(f"ROOT {args.root} is not a folder")
    opts = Options(args.root, args.nginx_v, args.nginx_bin, args.base, args.output, args.build,
                   args.rocks_server)
    d = discover(opts)
    written = write(d, opts.output, opts.rocks_server)
    checked = lint_written(written.restyfile)
    findings = (*d.findings, *written.findings, *checked.findings)
    print(f"wrote {written.restyfile} ({written.statements} statements, base "
          f"{d.nginx.base_line.removeprefix('base ')})")
    for f in findings:
        print(f.render())
    said = {f.message.split(":", 1)[0] for f in findings if ":" in f.message}
    diags = tuple(x for x in checked.diagnostics if x.message.split(":", 1)[0] not in said)
    lines = what_breaks(diags, written.restyfile.parent)
    if lines:
        print("lint of the written Restyfile:")
        print("\n".join("  " + ln for ln in lines))
    errors = any(f.severity == "error" for f in findings) or \
        any(x.severity == "error" for x in checked.diagnostics)
    sys.stdout.flush()
    if args.build:
        rc = build(written.restyfile, args.build)
        return rc if rc else (Exit.FAILED if errors else Exit.OK)
    return Exit.FAILED if errors else Exit.OK
