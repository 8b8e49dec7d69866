"""RB614 a parameter only OpenResty's nginx takes, on a base whose nginx is not OpenResty.

What: `resolver local=on` (OpenResty reads the resolv.conf's name servers then) where the
base's nginx is a distribution's or nginx.org's (its recipe says it has no `local=on`).
Why: that nginx reads `local=on` as a host name: `nginx -t` fails with `host not found in
resolver "local=on"`, and the image never starts. Confs written for an OpenResty host
have it; moving them to Debian's nginx breaks on it.
Example: `resolver local=on ipv6=off;` on `base debian-bookworm`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB614"
NAME = "openresty-only-parameter"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    if ctx.project.flavor.resolver_local:
        return
    base = ctx.facts.version if ctx.facts is not None and ctx.facts.version else "nginx"
    for d in ctx.find("resolver"):
        local = next((a for a in d.args if a.startswith("local=")), None)
        if local is None:
            continue
        others = [a for a in d.args if a != local]
        keep = f"`resolver {' '.join(others)};`" if any("=" not in a for a in others) else \
            "`resolver ADDRESS valid=30s;` with the cluster DNS address"
        yield Finding(f"`resolver {local}` is OpenResty's: this base's nginx ({base}) takes "
                      f"addresses only (nginx -t: host not found in resolver \"{local}\")",
                      d.span, hint=f"write {keep} (kube-dns's Service address, as the pod's "
                                   "/etc/resolv.conf names it), or build on an OpenResty base")
