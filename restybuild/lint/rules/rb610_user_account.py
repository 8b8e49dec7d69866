"""RB610 `user` line, ignored in the image.

What: a `user` directive of the conf, with whether the base has the account and group it
names (CentOS names nginx's group `nginx` or `nobody`, Debian `www-data` or `nogroup`;
apps name accounts of their own).
Why: the image runs as a non-root USER (10001:0, as Kubernetes runs it), and nginx
ignores `user` unless its master runs as root, so the line changes nothing and can
never fail verification; as root on the old host it chose the workers' account, which
the new base may lack (`getgrnam("nobody") failed`). The effective conf keeps the line.
Example: `user nginx;` from a CentOS host, on a Debian base.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB610"
NAME = "user-ignored"
SEVERITY = "info"


def _has(names: tuple[str, ...], name: str) -> str:
    return "has" if name in names else "lacks"


def check(ctx: LintContext) -> Iterator[Finding]:
    facts = ctx.facts
    for d in ctx.find("user", ()):
        if not d.args:
            continue
        account = d.args[0]
        group = d.args[1] if len(d.args) > 1 else account
        said = ""
        if facts is not None and facts.users:
            said = (f" (the base {_has(facts.users, account)} account `{account}` and "
                    f"{_has(facts.groups, group)} group `{group}`)")
        yield Finding(f"`user {' '.join(d.args)}` is ignored{said}: the image runs nginx as "
                      "the non-root 10001:0, and nginx applies `user` only to a master "
                      "running as root", d.span,
                      hint="harmless as it stands; remove the line to say what runs")
