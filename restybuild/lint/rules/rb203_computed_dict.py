"""RB203 computed shared dict name.

What: `ngx.shared[name]` with a name computed at run time.
Why: lint cannot check the dict is declared.
Example: `local d = ngx.shared[conf.dict]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB203"
NAME = "computed-shared-dict"
SEVERITY = "info"


def check(ctx: LintContext) -> Iterator[Finding]:
    for chunk in ctx.lua_chunks:
        for use in chunk.facts.dicts:
            if use.name is None:
                yield Finding("a shared dict name computed at run time cannot be checked",
                              use.span)
