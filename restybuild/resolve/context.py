"""What every statement's resolver shares: the file, the project folder, path rules."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from restybuild.errors import ConfigError, Span
from restybuild.source import SourceTree
from restybuild.statements import STATEMENTS
from restybuild.syntax import Option, Value
from restybuild.units import parse_duration, parse_int

PATH_RE = re.compile(r"[A-Za-z0-9._/@+=:,~-]+")
PATH_HINT = "use letters, digits and . _ - / @ + = : , ~"


class Context:
    """One Restyfile being resolved: its name, its folder, and the recorded source tree."""

    def __init__(self, filename: str, root: Path, tree: SourceTree) -> None:
        self.filename = filename
        self.root = Path(tree.realpath(str(root)))
        self.tree = tree

    @staticmethod
    def err(msg: str, span: Span, hint: str | None = None) -> ConfigError:
        return ConfigError(msg, span=span, hint=hint)

    def src_path(self, val: Value, *, want: str, missing_hint: str | None = None) -> str:
        """A project-relative path that must exist inside the project folder."""
        text = val.text
        if text.startswith(("/", "~")):
            raise self.err(f"`{text}` is absolute; paths on the left of `->` are relative to the "
                           "Restyfile's folder", val.span, hint="move the files into the "
                           "project folder")
        if not PATH_RE.fullmatch(text):
            raise self.err(f"`{text}` has characters restybuild does not accept in a path",
                           val.span, hint=PATH_HINT)
        norm = posixpath.normpath(text)
        if norm == ".." or norm.startswith("../"):
            raise self.err(f"`{text}` leaves the project folder", val.span,
                           hint="paths may not leave the Restyfile's folder")
        full = str(self.root / norm)
        try:
            real = Path(self.tree.realpath(full))
        except OSError:
            raise self.err(f"`{text}` is a symlink loop", val.span,
                           hint="point the link at a real file or folder") from None
        if real != self.root and self.root not in real.parents:
            raise self.err(f"`{text}` is a symlink that points outside the project folder "
                           f"(to {real})", val.span,
                           hint="copy the files into the project instead of linking them")
        kind = self.tree.kind(full)
        if want == "dir" and kind != "dir":
            what = "is not a folder" if kind != "missing" else "does not exist"
            raise self.err(f"`{text}` {what}", val.span)
        if want == "file" and kind != "file":
            what = {"missing": "does not exist", "dir": "is not a file"}.get(
                kind, "is not a regular file")
            raise self.err(f"`{text}` {what}", val.span,
                           hint=missing_hint if kind == "missing" else None)
        return "." if norm == "." else norm

    def dst_path(self, val: Value, prefix: str) -> str:
        text = val.text
        if not PATH_RE.fullmatch(text):
            raise self.err(f"`{text}` has characters restybuild does not accept in a path",
                           val.span, hint=PATH_HINT)
        joined = text if text.startswith("/") else posixpath.join(prefix, text)
        if ".." in joined.split("/"):
            raise self.err(f"`{text}` may not contain `..`", val.span)
        return posixpath.normpath(joined)

    def port(self, val: Value) -> int:
        port = parse_int(val.text, 1, 65535)
        if port is None:
            raise self.err(f"`{val.text}` is not a port", val.span,
                           hint="ports go from 1 to 65535")
        return port

    def duration(self, val: Value | None) -> int | None:
        if val is None:
            return None
        secs = parse_duration(val.text)
        if secs is None or secs <= 0:
            raise self.err(f"`{val.text}` is not a duration", val.span, hint="e.g. 5s or 1m")
        return secs

    def options(self, opts: tuple[Option, ...], keyword: str) -> dict[str, Value]:
        """The options of a `keyword` statement, each allowed by the statement table."""
        allowed = STATEMENTS[keyword].options
        out: dict[str, Value] = {}
        for opt in opts:
            if opt.key not in allowed:
                raise self.err(f"`{keyword}` takes no `{opt.key}`", opt.span,
                               hint="it takes: " + ", ".join(allowed))
            if opt.key in out:
                raise self.err(f"`{opt.key}` is given twice", opt.span)
            out[opt.key] = opt.value
        return out

    def once(self, items: list[tuple[str, Span]]) -> None:
        """Statements the table allows once appear once; the error names the first."""
        first: dict[str, Span] = {}
        for keyword, span in items:
            if STATEMENTS[keyword].once and keyword in first:
                raise self.err(f"`{keyword}` is declared twice; the first is at "
                               f"{first[keyword]}", span, hint=f"keep one `{keyword}` statement")
            first.setdefault(keyword, span)
