"""RB801 os.getenv of a variable nginx strips.

What: `os.getenv("X")` in Lua with no `env X;` in the effective conf (the
Restyfile's `env X=...` adds one).
Why: nginx clears the environment of its processes except TZ and the
variables `env` names: `os.getenv` returns nil.
Example: `os.getenv("REDIS_HOST")` with only `ENV REDIS_HOST` in a Dockerfile.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB801"
NAME = "getenv-stripped"
SEVERITY = "warning"


def check(ctx: LintContext) -> Iterator[Finding]:
    kept = {"TZ"} | {e.key for e in ctx.project.env}
    kept |= {d.args[0].split("=", 1)[0] for d in ctx.find("env", ()) if d.args}
    for chunk in ctx.lua_chunks:
        for use in chunk.facts.getenv:
            if use.name is not None and use.name not in kept:
                yield Finding(f'os.getenv("{use.name}") is nil: nginx strips the environment',
                              use.span,
                              hint=f"add `env {use.name}=VALUE` to the Restyfile, or "
                                   f"`env {use.name};` to the conf's main context")
