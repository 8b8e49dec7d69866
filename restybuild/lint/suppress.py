"""Inline suppressions: `# restybuild: ignore=CODES reason` (or `--` in Lua) on a finding's line
or alone on the line above. Light: the incremental lint (restybuild.lint.incremental) runs it
without the compiler."""

from __future__ import annotations

import re

from restybuild.errors import Span
from restybuild.lint import Diagnostic

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from restybuild.source import SourceTree

SUPPRESS = re.compile(r"(?:#|--)\s*restybuild:\s*ignore=(?P<codes>[A-Z0-9,]+)(?P<reason>[^\n]*)")

Comments = dict[int, tuple[set[str], bool, bool]]


def comments(text: str) -> Comments:
    """line -> (codes, has a reason, the comment stands on a line of its own)."""
    out: Comments = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = SUPPRESS.search(line)
        if m:
            alone = line[: m.start()].strip() == ""
            out[lineno] = (set(m.group("codes").split(",")), bool(m.group("reason").strip()),
                           alone)
    return out


def _reader(tree: SourceTree) -> Callable[[str], str]:
    """How the suppressions of a file are read: through the tree (recorded), as
    :meth:`restybuild.lint.incremental.LintTree.read_comments` when it has it."""
    read = getattr(tree, "read_comments", None)
    return read if read is not None else tree.read_text


def suppress(diags: list[Diagnostic], tree: SourceTree) -> tuple[Diagnostic, ...]:
    """`diags` without the suppressed ones, RB004 for a suppression without a reason; sorted."""
    read = _reader(tree)
    cache: dict[str, Comments] = {}
    out: list[Diagnostic] = []
    flagged: set[tuple[str, int]] = set()
    for d in diags:
        file = d.span.file
        if file not in cache:
            try:
                cache[file] = comments(read(file)) if tree.is_file(file) else {}
            except OSError:
                cache[file] = {}
        sup = cache[file]
        hit = None
        same, above = sup.get(d.span.line), sup.get(d.span.line - 1)
        if same is not None and d.code in same[0]:
            hit = (d.span.line, same[1])
        elif above is not None and above[2] and d.code in above[0]:
            hit = (d.span.line - 1, above[1])
        if hit is None:
            out.append(d)
            continue
        line, has_reason = hit
        if not has_reason and (file, line) not in flagged:
            flagged.add((file, line))
            out.append(Diagnostic("RB004", "warning",
                                  f"`restybuild: ignore={d.code}` gives no reason",
                                  Span(file, line, 1), "say why after the codes"))
    out.sort(key=lambda d: (d.span.file, d.span.line, d.span.col, d.code))
    return tuple(out)
