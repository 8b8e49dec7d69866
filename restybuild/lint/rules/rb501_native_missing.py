"""RB501 native library not found.

What: a `native` whose ELF closure, resolved as the loader does against the
base image's library index (the recipe's snapshot when no daemon is there),
needs a library that neither the base nor the `search` folders provide; or a
library that cannot be loaded, a link out of the project, a file that is not ELF.
Why: `module 'binary_protocol' not found` or `libtolua++.so: cannot open
shared object file` when nginx loads the module.
Example: `native lib/binary_protocol.so -> lua` that needs `libtolua++.so`
with no `search` folder holding it.
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB501"
NAME = "native-missing-library"
SEVERITY = "error"
#: the native findings this rule reports; RB502 reports the incompatible ones
KINDS = ("missing-library", "unloadable-library", "outside-project", "not-elf", "no-index")


def native_findings(ctx: LintContext, kinds: tuple[str, ...]) -> Iterator[Finding]:
    if not ctx.project.natives:
        return
    from restybuild.natives import check_natives

    for f in ctx.natives_findings(check_natives):
        if f.kind in kinds or (not f.kind and "missing-library" in kinds):
            hint = f.hint
            if f.notes:
                hint = "; ".join(filter(None, (hint, *f.notes)))
            yield Finding(f.message, f.span, hint=hint, severity=f.severity)


def check(ctx: LintContext) -> Iterator[Finding]:
    yield from native_findings(ctx, KINDS)
