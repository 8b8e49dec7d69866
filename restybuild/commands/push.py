"""`restybuild push`: push a local image to the registry its tag names; print its digest."""

from __future__ import annotations

import argparse
from typing import Any

HELP = """\
Push a local image (one `restybuild build` verified and tagged) to the registry
its tag names, HOST[:PORT]/NAME[:TAG] (a tag naming no registry is refused), and
print the digest it has there as REPO@sha256:..., the reference to deploy.

The engine (DOCKER_HOST) pushes it, with the credentials the docker CLI uses:
DOCKER_CONFIG/config.json, else ~/.docker/config.json: the credHelpers entry
for the host, else credsStore (docker-credential-NAME get), else `auths`
(`docker login HOST` writes them). A registry that refuses the push or cannot
be reached, or a credential helper that fails, is exit code 3; a helper not on
PATH, 4; an engine that went away, 5. Ctrl-C while layers go up stops the push
(the registry's tag stays; exit 130); once the manifest is being sent it is
waited out.
Progress (layers, bytes, time) goes to stderr: drawn on a terminal, plain lines
otherwise or with NO_COLOR; -q shows none.

example:
  restybuild push 127.0.0.1:5000/restydemo:1.0
"""


def register(sub: Any) -> None:
    p = sub.add_parser("push", help="push a local image to its registry; print its digest",
                       description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tag", help="the local image, HOST[:PORT]/NAME[:TAG]")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress on stderr (errors only); the digest on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from restybuild.engine import connect
    from restybuild.progress import Progress
    from restybuild.push import check_pushable, push_image
    from restybuild.reference import check_tag

    check_tag(args.tag, "the tag")
    check_pushable(args.tag)
    pushed = push_image(connect(), args.tag, Progress(quiet=args.quiet))
    print(pushed.reference)
    return 0
