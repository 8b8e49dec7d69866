"""`restybuild base`: list the base recipes, and bootstrap offline ones."""

from __future__ import annotations

import argparse
from typing import Any

HELP = """\
Base recipes describe base images: where nginx, its prefix and the Lua
libraries are, which libc, which package manager.

  restybuild base list
  restybuild base bootstrap debian-bookworm   # build it offline from Debian packages
"""


def register(sub: Any) -> None:
    p = sub.add_parser("base", help="list base recipes; bootstrap offline base images",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    bsub = p.add_subparsers(dest="base_command", metavar="ACTION")
    bsub.required = True
    ls = bsub.add_parser("list", help="list the base recipes and their flavors")
    ls.set_defaults(func=run_list)
    bs = bsub.add_parser(
        "bootstrap", help="build a recipe's runtime and builder images with mmdebstrap",
        description="Build the runtime and builder images of a package-built recipe with "
                    "mmdebstrap and import them into the Docker engine; no registry needed. "
                    "Images already present are kept unless --force. Progress (mmdebstrap's "
                    "output, each phase's time) goes to stderr: drawn on a terminal, plain "
                    "lines otherwise or with NO_COLOR; -q shows none.")
    bs.add_argument("recipe", help="e.g. debian-bookworm")
    bs.add_argument("--force", action="store_true", help="rebuild images that already exist")
    bs.add_argument("--mirror", help="Debian mirror URL or sources file (default: the host's "
                                     "apt sources when they are for the recipe's suite)")
    bs.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    bs.set_defaults(func=run_bootstrap)


def run_list(args: argparse.Namespace) -> int:
    from restybuild import recipes

    for name in recipes.available():
        r = recipes.load(name)
        print(f"{name}: {r.summary}")
        for fl in r.specs:
            mark = " (default)" if fl.name == r.default_flavor else ""
            print(f"  {fl.name}{mark}: {fl.libc}, {fl.image}")
    return 0


def run_bootstrap(args: argparse.Namespace) -> int:
    from restybuild.bootstrap import bootstrap
    from restybuild.engine import connect
    from restybuild.progress import Progress

    made = bootstrap(connect(), args.recipe, force=args.force, mirror=args.mirror,
                     progress=Progress(quiet=args.quiet))
    for tag in made:
        print(tag)
    return 0
