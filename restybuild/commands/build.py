"""`restybuild build`: build the image, verify it, and only then move the tag."""

from __future__ import annotations

import argparse
from typing import Any

HELP = """\
Build a Restyfile into an image through the Docker engine (DOCKER_HOST), prove
it with `nginx -t` and a boot check (nginx started with no network; any
[emerg], [alert], [crit] or [error] while starting fails it), then tag it.
A failed build or verification leaves the previous image under the tag and
removes the candidate.

With --push, the verified and tagged image is then pushed to the registry the
tag names (HOST[:PORT]/NAME:TAG; a tag naming no registry is refused), with the
credentials the docker CLI uses (DOCKER_CONFIG or ~/.docker/config.json, its
credential helpers too), and its digest printed as REPO@sha256:...; a candidate
that failed is never pushed.

Progress (steps, their output, layers pushed, time) goes to stderr: drawn live
on a terminal, plain lines when stderr is not one or NO_COLOR is set; -q shows
none of it, and stdout has the result only.

Several Restyfiles are built as a fleet: all are linted first (an app with
lint errors is not built), then each is built, verified (and with --push
pushed) by a build process of its own, --jobs N at a time; one app's failure
never stops the others nor moves its own tag. -t is then a pattern with
{name} (default {name}:latest). It ends with a table on stdout: app, result,
image size, bytes added over the base, digest, time. Ctrl-C starts no new app,
stops the running ones (no tag of an unfinished app moves) and still prints
the table. The exit code is the first failed app's (in the order given), 0
when all are ok, 130 after Ctrl-C.

Checks that passed before are not run again: the library and module load
checks when the layers they read did not change (a Lua-only edit), every check
when the image itself passed before (nothing changed). Each says so.

--no-cache builds cold, as `docker build --no-cache` does: every step runs
again, none is taken from the engine's build cache, and every check runs.
--explain prints, after the result, each layer the final stage adds on top of
the runtime base: its size, its digest, the step that makes it and what
invalidates it.

examples:
  restybuild build Restyfile.example -t restydemo:dev
  restybuild build Restyfile.example --no-cache --explain
  restybuild build Restyfile.example -t 127.0.0.1:5000/restydemo:1.0 --push
  restybuild build apps/*/Restyfile -t 127.0.0.1:5000/team/{name}:1.0 --jobs 2 --push
"""


def register(sub: Any) -> None:
    p = sub.add_parser("build", help="build, verify and tag the image",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("restyfiles", nargs="*", metavar="RESTYFILE",
                   help="default: the apps of the [fleet] table of ./restybuild.toml, else "
                        "./Restyfile; several: build them all (see above)")
    p.add_argument("-t", "--tag", help="image tag (default: NAME:latest from the Restyfile); "
                                       "with several Restyfiles a pattern with {name}")
    p.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                   help="with several Restyfiles: build N at a time (default 1, or the "
                        "[fleet] table's `jobs`)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress on stderr (warnings and errors only); the result on stdout")
    p.add_argument("--push", action="store_true",
                   help="push the verified image to the tag's registry; print its digest")
    p.add_argument("--pull", action="store_true",
                   help="let the engine pull missing or newer base images from a registry")
    p.add_argument("--no-cache", action="store_true",
                   help="build cold: run every step again, take none from the build cache")
    p.add_argument("--explain", action="store_true",
                   help="print each final layer: its size and what invalidates it")
    p.add_argument("--index", metavar="FILE",
                   help="the base image's library index (default: Restyfile.lock, else the "
                        "recipe's snapshot, else read from the engine's image)")
    p.set_defaults(func=run)


def low_ports(plan: Any) -> list[int]:
    """The ports below 1024 the effective conf listens on."""
    from restybuild.conf.servers import listens

    tree = plan.effective.tree
    ports = {x.port for s in tree.find("server", ("http",)) for x in listens(tree, s)}
    return sorted(p for p in ports if p < 1024)


def check_tag(tag: str, push: bool) -> None:
    """Refuse a bad tag, and with --push one naming no registry, before any build."""
    from restybuild.reference import check_tag as check_reference_tag

    check_reference_tag(tag, "-t")
    if push:
        from restybuild.push import check_pushable

        check_pushable(tag)


def run(args: argparse.Namespace) -> int:
    restyfiles = args.restyfiles
    fleet = None
    if not restyfiles:  # a fleet table is looked for only then: one app imports no fleet
        from pathlib import Path

        from restybuild.fleet import fleet_config

        fleet = fleet_config(Path.cwd())
    if fleet is not None:  # the command line's options win over the table's
        restyfiles = list(fleet.apps)
        args.tag = args.tag or fleet.tag
        args.jobs = args.jobs if args.jobs is not None else fleet.jobs
        args.push = args.push or fleet.push
        return _run_many(args, restyfiles)
    restyfiles = restyfiles or ["Restyfile"]
    if len(restyfiles) > 1:
        return _run_many(args, restyfiles)
    from restybuild import timings

    timings.mark("start")  # the interpreter and the command line
    from restybuild.build import build_and_tag
    from restybuild.inputs import load

    timings.mark("imports")
    inputs = load(restyfiles[0], args.index)
    timings.mark("load")
    project = inputs.project
    tag = (args.tag or "{name}:latest").replace("{name}", project.name)
    check_tag(tag, args.push)  # before the build, not after it
    result = build_and_tag(project, tag, quiet=args.quiet, pull=args.pull, base=inputs.base,
                           push=args.push, no_cache=args.no_cache)
    print(f"verified and tagged {tag} ({result.image_id[:19]})")
    if result.pushed is not None:
        print(result.pushed.reference)
    if args.explain:
        _explain(project, result)
    timed = timings.line()
    if timed is not None:
        import sys

        print(timed, file=sys.stderr)
    low = low_ports(result.plan)
    if low:
        import sys

        print(f"note: the image runs as UID {result.plan.user}; it listens on port "
              f"{', '.join(map(str, low))}: below 1024 works in the container's own network "
              "(Docker and Kubernetes allow it there), but with --network host it needs root",
              file=sys.stderr)
    return 0


def _explain(project: Any, result: Any) -> None:
    import sys

    from restybuild.engine import connect
    from restybuild.explain import explain

    client = connect()
    image = client.images.get(result.image_id)
    base = client.images.get(result.plan.runtime_image)
    sys.stdout.write(explain(project, result.plan, image, client.api.history(result.image_id),
                             base.id))


def _run_many(args: argparse.Namespace, restyfiles: list[str]) -> int:
    from restybuild.errors import ConfigError
    from restybuild.fleet import build_many

    if args.index:
        raise ConfigError("--index names one base index: give it with one Restyfile",
                          hint="or write each app's Restyfile.lock (restybuild lock)")
    jobs = 1 if args.jobs is None else args.jobs
    if jobs < 1:
        raise ConfigError(f"--jobs {args.jobs}: give 1 or more")
    if args.explain:
        raise ConfigError("--explain explains one image: give it with one Restyfile")
    return build_many(restyfiles, template=args.tag or "{name}:latest", jobs=jobs,
                      push=args.push, pull=args.pull, quiet=args.quiet, no_cache=args.no_cache)
