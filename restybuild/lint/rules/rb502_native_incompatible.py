"""RB502 native built for another system.

What: a `native` (or a library bundled for it) linked against the other libc
(a glibc module on a musl base or the reverse), built for another machine or
ELF class, or needing a symbol version (`GLIBC_2.34`, `GLIBCXX_3.4.30`,
`OPENSSL_3.0.0`) that the base image's provider does not define.
Why: the loader refuses it: `Error relocating`, `wrong ELF class`, or
`version 'GLIBC_2.34' not found`.
Example: a module compiled on Ubuntu 22.04 (glibc 2.35) for an OpenResty
centos7 image (glibc 2.17).
"""

from __future__ import annotations

from collections.abc import Iterator

from restybuild.lint import Finding
from restybuild.lint.context import LintContext
from restybuild.lint.rules.rb501_native_missing import native_findings

CODE = "RB502"
NAME = "native-incompatible"
SEVERITY = "error"
KINDS = ("libc-mismatch", "machine-mismatch", "class-mismatch", "glibc-too-old",
         "symbol-version")


def check(ctx: LintContext) -> Iterator[Finding]:
    yield from native_findings(ctx, KINDS)
