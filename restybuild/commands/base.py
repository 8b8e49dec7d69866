"""`restybuild base`: list the base recipes, and bootstrap offline ones."""

from __future__ import annotations

import argparse
from typing import Any

HELP = """\
Base recipes describe base images: where nginx, its prefix and the Lua
libraries are, which libc, which package manager.

  restybuild base list
  restybuild base bootstrap debian-bookworm   # build it offline from Debian packages
  restybuild base snapshot debian-bookworm -o facts.json   # what lint knows of a base
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
                    "mmdebstrap and import them into the Docker engine, with an image of the "
                    "module files of its [modules] table (`module NAME`); no registry needed. "
                    "Images already present are kept unless --force. Progress (mmdebstrap's "
                    "output, each phase's time) goes to stderr: drawn on a terminal, plain "
                    "lines otherwise or with NO_COLOR; -q shows none.")
    bs.add_argument("recipe", help="e.g. debian-bookworm")
    bs.add_argument("--force", action="store_true", help="rebuild images that already exist")
    bs.add_argument("--mirror", help="Debian mirror URL or sources file (default: the host's "
                                     "apt sources when they are for the recipe's suite)")
    bs.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    bs.set_defaults(func=run_bootstrap)
    sn = bsub.add_parser(
        "snapshot", help="read a base image's facts: nginx, modules, directives, accounts",
        description="Read what a local base image has (nginx -V, its modules and the "
                    "directives they define, /etc/passwd and /etc/group, its packages, the "
                    "files of nginx's conf folder) and write them as JSON: the base facts lint "
                    "predicts the build with. Nothing is pulled; only `nginx -V` runs, with no "
                    "network. A recipe's shipped snapshot is made this way.")
    sn.add_argument("base", metavar="RECIPE|IMAGE",
                    help="a recipe (debian-bookworm, openresty:1.21.4.3-bookworm) or a local "
                         "image")
    sn.add_argument("--nginx", help="the image's nginx (default: the recipe's, else found)")
    sn.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    sn.set_defaults(func=run_snapshot)


def run_list(args: argparse.Namespace) -> int:
    from restybuild import recipes

    for name in recipes.available():
        r = recipes.load(name)
        print(f"{name}: {r.summary}")
        for fl in r.specs:
            mark = " (default)" if fl.name == r.default_flavor else ""
            print(f"  {fl.name}{mark}: {fl.libc}, {fl.image}")
        if r.modules:
            kind = "compiled in" if all(m.builtin for m in r.modules) else "packaged"
            print(f"  modules ({kind}, `module NAME`): " + ", ".join(m.name for m in r.modules))
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


def run_snapshot(args: argparse.Namespace) -> int:
    import sys

    from restybuild.commands.deps import _recipe_flavor
    from restybuild.elf.image import NGINX_PATHS
    from restybuild.engine import connect
    from restybuild.snapshot import read_facts, read_flavor_facts

    flavor = _recipe_flavor(args.base)
    ref = flavor.image if flavor is not None else args.base
    nginx = args.nginx or (flavor.nginx if flavor is not None else None)
    client = connect()
    if nginx is None:
        from restybuild.elf.image import ImageFiles
        from restybuild.engine import throwaway

        with throwaway(client, ref, ["/restybuild-snapshot"], entrypoint=[]) as container:
            files = ImageFiles(client, container)
            nginx = next((p for p in NGINX_PATHS if files.real(p)), None)
        if nginx is None:
            from restybuild.errors import ConfigError

            raise ConfigError(f"no nginx found in {ref}", hint="name it: --nginx PATH")
    facts = read_flavor_facts(client, flavor, ref, nginx) if flavor is not None \
        else read_facts(client, ref, nginx)
    text = facts.dumps()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
