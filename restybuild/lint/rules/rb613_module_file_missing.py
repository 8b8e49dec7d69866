"""RB613 a `load_module` of a file the image will not have.

What: a `load_module` line naming a module file that is neither in the base's modules
folder (the base facts) nor brought by a `module` line of the Restyfile. When the
base's distribution packages it (the recipe's [modules]), the hint names the `module`
line that brings it. A path with a variable is left to verification.
Why: nginx loads modules first: `nginx -t` fails with `dlopen() ... failed (...: cannot
open shared object file)`, and the image never starts.
Example: `load_module modules/ngx_http_echo_module.so;` on `base debian-bookworm`
without `module echo`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB613"
NAME = "module-file-missing"
SEVERITY = "error"


def check(ctx: LintContext) -> Iterator[Finding]:
    facts = ctx.facts
    if facts is None or not facts.directives:  # no snapshot of the base's files
        return
    present = {posixpath.basename(f) for f in (
        *facts.dynamic_modules, *(m.file for m in ctx.project.modules if m.file))}
    offered = {posixpath.basename(m.file): m for m in ctx.project.flavor.modules if m.file}
    for d in ctx.find("load_module", ()):
        if not d.args or "$" in d.args[0]:
            continue
        name = posixpath.basename(d.args[0])
        if name in present:
            continue
        module = offered.get(name)
        hint = (f"add `module {module.name}` to the Restyfile (it copies {name} from "
                f"{module.package}, built for the base's nginx) and drop this line"
                if module is not None else
                "the base has no such module: use a base that has it, or drop the line")
        yield Finding(f"`load_module {d.args[0]}`: the image will have no {name} (nginx "
                      "fails to dlopen it)", d.span, hint=hint)
