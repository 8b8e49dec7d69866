"""What the lint rules read: the Project, the user's nginx conf, and the facts of its Lua code."""

from __future__ import annotations

import os
import posixpath
from functools import cached_property
from pathlib import Path
from typing import Any

from restybuild.basefacts import BaseFacts
from restybuild.conf.tree import ConfFile, ConfTree, Directive, load_conf, to_project
from restybuild.elf.libindex import LibraryIndex
from restybuild.errors import ConfigError, RestyError, RestySyntaxError, Span
from restybuild.lint import LuaChunk, show_path
from restybuild.lint.factcache import FactCache
from restybuild.lint.luascan import scan
from restybuild.lint.modules import Providers, providers, search_patterns
from restybuild.model import Project
from restybuild.records import dataclass, field
from restybuild.source import SourceTree

LUA_BLOCK_SUFFIX = "_by_lua_block"
LUA_FILE_SUFFIX = "_by_lua_file"


@dataclass(frozen=True)
class ConfDirective:
    """A directive of the user's conf as the rules see it: with an absolute file name."""

    file: str  # absolute
    directive: Directive

    @property
    def name(self) -> str:
        return self.directive.name

    @property
    def args(self) -> list[str]:
        return self.directive.args

    @property
    def ctx(self) -> tuple[str, ...]:
        return self.directive.ctx

    @property
    def span(self) -> Span:
        start = self.directive.node.start
        return Span(self.file, start.line, start.col)


def lua_file(d: ConfDirective) -> str | None:
    """The file a `*_by_lua_file` directive names (`set_by_lua_file $var FILE ARGS...`)."""
    index = 1 if d.name == "set_by_lua_file" else 0
    return d.args[index] if len(d.args) > index else None


@dataclass
class LintContext:
    project: Project
    options: dict[str, Any] = field(default_factory=dict)
    index: LibraryIndex | None = None  # the base's library index, as plan would choose it
    source: SourceTree = field(default_factory=SourceTree)
    conf_error: RestyError | None = None
    facts: BaseFacts | None = None  # what the base image has, as plan would choose it
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
        try:
            return load_conf(self.project, self.source)
        except (ConfigError, RestySyntaxError) as e:
            self.conf_error = e
            return None

    def absolute(self, f: ConfFile) -> str:
        return f.source or os.path.abspath(self.project.restyfile)

    @cached_property
    def directives(self) -> list[ConfDirective]:
        tree = self.conf_tree
        if tree is None or self.project.conf is None:
            return []
        return [ConfDirective(self.absolute(d.file), d) for d in tree.directives]

    def find(self, name: str, ctx: tuple[str, ...] | None = None) -> list[ConfDirective]:
        return [d for d in self.directives if d.name == name and (ctx is None or d.ctx == ctx)]

    def find_span(self, d: Directive) -> Span:
        """A tree directive's place, with the absolute file name the output shows."""
        return ConfDirective(self.absolute(d.file), d).span

    def children(self, d: ConfDirective) -> list[ConfDirective]:
        tree = self.conf_tree
        assert tree is not None
        return [ConfDirective(self.absolute(c.file), c) for c in tree.children(d.directive)]

    @cached_property
    def loaded_modules(self) -> tuple[str, ...]:
        """The dynamic modules nginx loads in the image (paths): the recipe's, the `module`
        lines' and the conf's own `load_module` lines."""
        own = tuple(self.image_path(d.args[0]) for d in self.find("load_module", ()) if d.args)
        declared = tuple(m.file for m in self.project.modules if m.file)
        return (*self.project.flavor.load_modules, *declared, *own)

    @cached_property
    def lua_files(self) -> list[tuple[str, str]]:
        """(project-relative path, path in the image) of every Lua file in a declared Lua
        folder and in the conf folder (apps keep Lua inside conf/)."""
        out: list[tuple[str, str]] = []
        for c in (*self.project.lua, *((self.project.conf,) if self.project.conf else ())):
            base = os.path.join(self.root, c.src)
            for dirpath, _dirnames, filenames in self.source.walk(base):
                below = os.path.relpath(dirpath, base).replace(os.sep, "/")
                below = "" if below == "." else below
                for name in filenames:
                    if name.endswith((".lua", ".ljbc")):
                        rel = posixpath.join(below, name)
                        out.append((posixpath.normpath(posixpath.join(c.src, rel)),
                                    posixpath.join(c.dst, rel)))
        return out

    def image_to_project(self, image_path: str) -> str | None:
        """The project file that will be at `image_path` in the image, if any."""
        return to_project(self.project, image_path)

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
            path = lua_file(d) if d.name.endswith(LUA_FILE_SUFFIX) else None
            if path is not None:
                target = self.image_to_project(self.image_path(path))
                if target:
                    phases[target] = (d.name, d.ctx[0] if d.ctx else "main")
        root = str(self.root)
        stored = FactCache()  # each file scanned only when its bytes are new
        read = getattr(self.source, "read_lua", self.source.read_bytes)  # see LintTree
        for rel, _image in self.lua_files:
            shown = os.path.join(root, rel)
            try:
                data = read(shown)
            except OSError:
                continue  # not a regular file, or gone: RB606 says so
            phase, sub = phases.get(rel, ("", "http"))
            chunks.append(LuaChunk(shown, stored.scan(data, shown), phase, sub))
        stored.save()
        for d in self.directives:
            lua = d.directive.node.lua
            if lua is not None:
                facts = scan(lua.text.encode("utf-8", "surrogateescape"), d.file,
                             line_offset=lua.start.line - 1, col_offset=lua.start.col - 1)
                chunks.append(LuaChunk(d.file, facts, d.name, d.ctx[0] if d.ctx else "main",
                                       block=True))
        return chunks

    @cached_property
    def providers(self) -> Providers:
        """Who provides a Lua module: declared folders, natives, rocks, the base, and what
        the conf's own `lua_package_path` / `lua_package_cpath` reach."""
        search: tuple[str, ...] = ()
        for name in ("lua_package_path", "lua_package_cpath"):
            for d in self.find(name, ("http",))[:1]:
                if d.args:
                    search += search_patterns(d.args[0], self.project.prefix)
        return providers(self.project, self.source, search)

    def natives_findings(self, check: Any) -> tuple[Any, ...]:
        """The native resolver's findings, computed once for RB501 and RB502."""
        if self._natives is None:
            self._natives = tuple(check(self.project, self.index, self.source))
        return self._natives

    @staticmethod
    def where(span: Span) -> str:
        """A span as the output shows it: relative to the working folder."""
        return f"{show_path(span.file)}:{span.line}:{span.col}"


def build_context(project: Project, options: dict[str, Any],
                  index: LibraryIndex | None = None,
                  source: SourceTree | None = None,
                  facts: BaseFacts | None = None) -> LintContext:
    ctx = LintContext(project, options, index=index, source=source or SourceTree(),
                      facts=facts)
    try:
        _ = ctx.conf_tree
    except RestyError as e:  # pragma: no cover - parse_main reports ConfigError
        ctx.conf_error = ConfigError(e.message, span=e.span)
    return ctx
