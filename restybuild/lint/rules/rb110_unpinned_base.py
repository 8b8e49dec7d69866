"""RB110 explicit base image without a digest.

What: `base image REF recipe R` with no `digest sha256:...`.
Why: a tag moves; the same Restyfile then builds on another image, with
other libraries, without anyone changing a line.
Example: `base image registry.example/openresty:1.21 recipe openresty` — add
`digest sha256:...` (`docker inspect --format '{{index .RepoDigests 0}}' REF`).
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext

CODE = "RB110"
NAME = "base-image-unpinned"
SEVERITY = "warning"


def check(ctx: LintContext) -> Iterator[Finding]:
    base = ctx.project.base
    if base.image and not base.digest and "@sha256:" not in base.image:
        yield Finding(f"base image {base.image} is not pinned by digest", base.span,
                      hint="add `digest sha256:...` to the `base image` line")
