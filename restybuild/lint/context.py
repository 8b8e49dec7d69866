"""What the lint rules read: the Project, the user's nginx conf, and the facts of its Lua code."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from restybuild.elf.libindex import LibraryIndex
from restybuild.errors import ConfigError, RestyError, RestySyntaxError, Span
from restybuild.lint.luascan import LuaFacts, scan
from restybuild.model import Project
from restybuild.nginxconf import ConfTree, Directive

LUA_BLOCK_SUFFIX = "_by_lua_block"
LUA_FILE_SUFFIX = "_by_lua_file"


@dataclass(frozen=True)
class LuaChunk:
    """A piece of Lua: a file of a declared folder, or a `*_by_lua_block` of the conf."""

    file: str  # absolute; output shows it relative to the working folder
    facts: LuaFacts
    phase: str = ""  # the directive for a conf block or a *_by_lua_file target
    subsystem: str = "http"


@dataclass(frozen=True)
class ConfDirective:
    file: str  # absolute
    directive: Directive
    ctx: tuple[str, ...]

    @property
    def name(self) -> str:
        return str(self.directive["directive"])

    @property
    def args(self) -> list[str]:
        return list(self.directive.get("args", []))

    @property
    def span(self) -> Span:
        return Span(self.file, int(self.directive.get("line", 1)), 1)


@dataclass
class LintContext:
    project: Project
    options: dict[str, Any] = field(default_factory=dict)
    index: LibraryIndex | None = None  # the base's library index, as plan would choose it
    conf_error: RestyError | None = None
    _lines: dict[str, list[str]] = field(default_factory=dict)
    _natives: tuple[Any, ...] | None = None

    @property
    def root(self) -> Path:
        return Path(self.project.root)

    def rel(self, path: Path | str) -> str:
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @cached_property
    def conf_tree(self) -> ConfTree | None:
        tree = ConfTree(self.project)
        try:
            tree.parse_main()
        except (ConfigError, RestySyntaxError) as e:
            self.conf_error = e
            return None
        return tree

    @cached_property
    def directives(self) -> list[ConfDirective]:
        tree = self.conf_tree
        if tree is None or self.project.conf is None:
            return []
        src = self.project.conf.src
        return [ConfDirective(str(self.root / posixpath.normpath(posixpath.join(src, f.rel))),
                              d, ctx) for f, _block, d, ctx in tree.walk()]

    def find(self, name: str, ctx: tuple[str, ...] | None = None) -> list[ConfDirective]:
        return [d for d in self.directives if d.name == name and (ctx is None or d.ctx == ctx)]

    @cached_property
    def lua_files(self) -> list[tuple[str, str]]:
        """(project-relative path, path in the image) of every Lua file in a declared folder."""
        out: list[tuple[str, str]] = []
        for c in self.project.lua:
            base = os.path.join(self.root, c.src)
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames.sort()
                below = os.path.relpath(dirpath, base).replace(os.sep, "/")
                below = "" if below == "." else below
                for name in sorted(filenames):
                    if name.endswith((".lua", ".ljbc")):
                        rel = posixpath.join(below, name)
                        out.append((posixpath.normpath(posixpath.join(c.src, rel)),
                                    posixpath.join(c.dst, rel)))
        return out

    def image_to_project(self, image_path: str) -> str | None:
        """The project file that will be at `image_path` in the image, if any."""
        sources = [(c.dst, c.src) for c in self.project.lua]
        if self.project.conf:
            sources.append((self.project.conf.dst, self.project.conf.src))
        for dst, src in sources:
            if image_path.startswith(dst.rstrip("/") + "/"):
                rel = posixpath.join(src, image_path[len(dst.rstrip("/")) + 1:])
                return posixpath.normpath(rel)
        return None

    def image_path(self, conf_path: str) -> str:
        """A conf path as nginx resolves it: relative paths are under the prefix."""
        if conf_path.startswith("/"):
            return posixpath.normpath(conf_path)
        return posixpath.normpath(posixpath.join(self.project.prefix, conf_path))

    @cached_property
    def lua_chunks(self) -> list[LuaChunk]:
        chunks: list[LuaChunk] = []
        phases: dict[str, tuple[str, str]] = {}
        for d in self.directives:
            if d.name.endswith(LUA_FILE_SUFFIX) and d.args:
                target = self.image_to_project(self.image_path(d.args[-1]))
                if target:
                    phases[target] = (d.name, d.ctx[0] if d.ctx else "main")
        root = str(self.root)
        for rel, _image in self.lua_files:
            shown = os.path.join(root, rel)
            try:
                with open(shown, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            phase, sub = phases.get(rel, ("", "http"))
            chunks.append(LuaChunk(shown, scan(data, shown), phase, sub))
        for d in self.directives:
            if d.name.endswith(LUA_BLOCK_SUFFIX) and d.args:
                chunks.append(self.block_chunk(d))
        return chunks

    def block_chunk(self, d: ConfDirective) -> LuaChunk:
        body = d.args[-1]
        line = int(d.directive.get("line", 1))
        # crossplane keeps the text after `{`, which starts on the directive's line at the
        # column after that `{`
        text = self.file_lines(d.file)
        col = 0
        if 0 < line <= len(text):
            at = text[line - 1].find(d.name)
            brace = text[line - 1].find("{", at + len(d.name)) if at >= 0 else -1
            col = brace + 1 if brace >= 0 else 0
        facts = scan(body.encode(), d.file, line_offset=line - 1, col_offset=col)
        return LuaChunk(d.file, facts, d.name, d.ctx[0] if d.ctx else "main")

    def file_lines(self, path: str) -> list[str]:
        if path not in self._lines:
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    self._lines[path] = fh.read().splitlines()
            except OSError:
                self._lines[path] = []
        return self._lines[path]

    def natives_findings(self, check: Any) -> tuple[Any, ...]:
        """The native resolver's findings, computed once for RB501 and RB502."""
        if self._natives is None:
            self._natives = tuple(check(self.project, self.index))
        return self._natives

    @staticmethod
    def where(span: Span) -> str:
        """A span as the output shows it: relative to the working folder."""
        return f"{show_path(span.file)}:{span.line}:{span.col}"


def show_path(path: str) -> str:
    """`path` relative to the working folder when it is below or beside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith(os.pardir + os.sep + os.pardir) else rel


def build_context(project: Project, options: dict[str, Any],
                  index: LibraryIndex | None = None) -> LintContext:
    ctx = LintContext(project, options, index=index)
    try:
        _ = ctx.conf_tree
    except RestyError as e:  # pragma: no cover - parse_main reports ConfigError
        ctx.conf_error = ConfigError(e.message, span=e.span)
    return ctx
