"""`restybuild lock`: pin the base image, its library index and its base facts in
Restyfile.lock."""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = """\
Read the Restyfile's base image from the Docker engine (never pulled) and write
Restyfile.lock beside the Restyfile: the image's ID and its library index, with
the index's digest, and its base facts (nginx -V, run with no network, the
directives its modules define, accounts, packages: restybuild base snapshot)
with their digest; the facts themselves too unless they are the snapshot the
recipe ships; and the ID of the recipe's modules image (`module NAME`), whose
modules' directives the facts hold. plan, lint and build then use the lock
instead of the recipe's snapshots, so the same Restyfile and lock give the
same Dockerfile on any machine; build refuses to run when the engine's image
(or modules image) is no longer the one the lock pins. Commit the lock; write
it again when the base image moves.

example:
  restybuild lock Restyfile
"""


def register(sub: Any) -> None:
    p = sub.add_parser("lock", help="pin the base image, its library index and base facts",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("restyfile", nargs="?", default="Restyfile", help="default: ./Restyfile")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from restybuild.elf.image import read_index
    from restybuild.engine import connect, require_image
    from restybuild.lock import dumps, facts_digest, index_digest, lock_path, shipped_facts
    from restybuild.resolve import load_project
    from restybuild.snapshot import read_flavor_facts

    project = load_project(args.restyfile)
    ref = project.runtime_image
    client = connect()
    require_image(client, ref, "make or load it on this engine first (restybuild base "
                  "bootstrap, docker pull); restybuild lock never pulls")
    fl = project.flavor
    index = read_index(client, ref, (fl.nginx, *fl.load_modules), use_cache=False)
    facts = read_flavor_facts(client, fl, ref)
    modules = None
    if fl.modules_image and fl.offered_files:  # the facts read its modules: pin it too
        modules = (fl.modules_image, require_image(
            client, fl.modules_image, "make it, offline: restybuild base bootstrap"))
    shipped = shipped_facts(project)
    path = lock_path(args.restyfile)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(ref, index, facts, shipped, modules), encoding="utf-8")
    tmp.replace(path)
    same = shipped is not None and facts_digest(shipped) == facts_digest(facts)
    print(f"wrote {path}: {ref} is {index.image_id[:19]}, library index "
          f"{index_digest(index)[:19]} ({len(index.objects)} files), base facts "
          f"{facts_digest(facts)[:19]} ({len(facts.directives)} directives"
          f"{', the recipe snapshot' if same else ''})"
          + (f", {modules[0]} is {modules[1][:19]}" if modules else ""), file=sys.stderr)
    return 0
