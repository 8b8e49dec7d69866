"""The user's nginx conf as one immutable tree: every directive with its file, place and context.

The conf is parsed once (:mod:`restybuild.conf.lexer`) and its includes are
followed the way nginx follows them, with the image's paths mapped back to the
project: an include pattern is relative to the conf's folder in the image (nginx's
conf prefix, the folder of ``-c``), and an image path below any declared folder's
destination is read from that folder's source. ``include
/usr/local/openresty/nginx/conf/vhosts/*.conf`` finds the project's
``conf/vhosts`` when the conf folder is copied there, and ``include
/opt/app/snippets/*.conf`` finds the snippets of a Lua folder copied to
``/opt/app``. An include that leads outside every declared folder cannot be
followed: it is recorded (:attr:`ConfTree.unfollowed`), never silently skipped.

Every read goes through the recorded :class:`~restybuild.source.SourceTree`,
and every file's real path must stay inside the project (a symlinked conf that
leads out is refused like a declared folder that does).
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

from restybuild.conf.lexer import Comment, ConfSyntaxError, Node, parse_document
from restybuild.errors import ConfigError, RestySyntaxError, Span
from restybuild.model import Project
from restybuild.records import dataclass, field
from restybuild.source import NotRegular, SourceTree

DEFAULT_CONF = "events {\n}\nhttp {\n}\n"
MAIN = "nginx.conf"


@dataclass(frozen=True)
class ConfFile:
    image_path: str  # where nginx reads it in the image
    source: str  # the file on this machine ("" for a conf restybuild writes itself)
    shown: str  # as the user knows it: beside the Restyfile, as they named it
    rel: str  # relative to the project folder ("" for a conf restybuild writes itself)
    text: str
    nodes: tuple[Node, ...]
    comments: tuple[Comment, ...] = ()

    @property
    def generated(self) -> bool:
        return not self.source


@dataclass(frozen=True, eq=False)
class Directive:
    """One directive of the tree, in the context nginx reads it in."""

    node: Node
    file: ConfFile
    ctx: tuple[str, ...]  # the enclosing blocks: ("http", "server")
    parent: Directive | None = field(default=None, repr=False)
    include: Directive | None = field(default=None, repr=False)  # the include it came from

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def args(self) -> list[str]:
        return [a.value for a in self.node.args]

    @property
    def span(self) -> Span:
        start = self.node.start
        return Span(self.file.shown, start.line, start.col)


@dataclass(frozen=True)
class Unfollowed:
    """An include restybuild cannot read: what it names and why."""

    directive: Directive
    image_pattern: str
    reason: str  # "outside" (no declared folder holds it) | "missing" (no file matches)


@dataclass(frozen=True)
class ConfTree:
    project: Project
    dst: str  # the conf folder in the image (nginx's conf prefix)
    main: ConfFile
    files: tuple[ConfFile, ...]  # main first, then in the order they were included
    directives: tuple[Directive, ...]  # every directive, includes expanded in place
    unfollowed: tuple[Unfollowed, ...]

    def find(self, name: str, ctx: tuple[str, ...] | None = None) -> list[Directive]:
        return [d for d in self.directives if d.name == name and (ctx is None or d.ctx == ctx)]

    def children(self, parent: Directive) -> list[Directive]:
        """The directives inside `parent`'s block (those of included files too)."""
        return [d for d in self.directives if d.parent is parent]

    def file(self, image_path: str) -> ConfFile:
        return next(f for f in self.files if f.image_path == image_path)

    def image_path(self, conf_path: str) -> str:
        """A path of the conf as nginx resolves it: relative ones are under the prefix."""
        if conf_path.startswith("/"):
            return posixpath.normpath(conf_path)
        return posixpath.normpath(posixpath.join(self.project.prefix, conf_path))


def conf_dst(project: Project) -> str:
    return project.conf.dst if project.conf else posixpath.join(project.prefix, "conf")


def sources(project: Project) -> list[tuple[str, str]]:
    """(destination in the image, source folder in the project) of every declared folder,
    longest destination first."""
    out = [(c.dst, c.src) for c in (*project.lua, *project.files)]
    if project.conf:
        out.append((project.conf.dst, project.conf.src))
    return sorted(out, key=lambda d: len(d[0]), reverse=True)


def to_project(project: Project, image_path: str) -> str | None:
    """The project-relative path that will be at `image_path` in the image, if any."""
    for dst, src in sources(project):
        if image_path == dst or image_path.startswith(dst.rstrip("/") + "/"):
            rel = image_path[len(dst.rstrip("/")):].lstrip("/")
            return posixpath.normpath(posixpath.join(src, rel)) if rel else src
    return None


class _Loader:
    def __init__(self, project: Project, tree: SourceTree,
                 problems: list[ConfigError | RestySyntaxError] | None = None) -> None:
        self.project = project
        self.problems = problems  # lenient: an include that fails is recorded here, skipped
        self.tree = tree
        self.root = Path(project.root)
        self.real_root = Path(tree.realpath(project.root))
        self.dst = conf_dst(project)
        self.files: dict[str, ConfFile] = {}
        self.directives: list[Directive] = []
        self.unfollowed: list[Unfollowed] = []

    def shown(self, rel: str) -> str:
        return os.path.normpath(os.path.join(os.path.dirname(self.project.restyfile), rel))

    def load(self, image_path: str, rel: str, via: Directive | None) -> ConfFile:
        if image_path in self.files:
            return self.files[image_path]
        source = str(self.root / rel)
        shown = self.shown(rel)
        span = via.span if via else (self.project.conf.span if self.project.conf else None)
        real = Path(self.tree.realpath(source))
        if real != self.real_root and self.real_root not in real.parents:
            raise ConfigError(f"{shown} is a symlink that points outside the project (to {real})",
                              span=span, hint="copy the file into the project instead of "
                                              "linking to it")
        try:
            text = self.tree.read_bytes(source).decode("utf-8", "surrogateescape")
        except NotRegular as e:
            raise ConfigError(f"{shown} is {e.strerror}", span=span) from None
        except OSError as e:
            raise ConfigError(f"cannot read {shown}: {e.strerror}", span=span) from None
        return self._parsed(image_path, source, shown, rel, text)

    def _parsed(self, image_path: str, source: str, shown: str, rel: str,
                text: str) -> ConfFile:
        try:
            doc = parse_document(text)
        except ConfSyntaxError as e:
            raise RestySyntaxError(f"nginx conf: {e.message}", span=Span(shown, e.line, e.col),
                                   hint="fix the nginx configuration; restybuild reads it as "
                                        "nginx does before building") from None
        f = ConfFile(image_path, source, shown, rel, text, doc.nodes, doc.comments)
        self.files[image_path] = f
        return f

    def walk(self, f: ConfFile, nodes: tuple[Node, ...], ctx: tuple[str, ...],
             parent: Directive | None, include: Directive | None, stack: tuple[str, ...]) -> None:
        for node in nodes:
            d = Directive(node, f, ctx, parent, include)
            self.directives.append(d)
            if node.name == "include" and len(node.args) == 1:
                self.include(d, stack)
            if node.block is not None:
                self.walk(f, node.block, (*ctx, node.name), d, include, stack)

    def include(self, d: Directive, stack: tuple[str, ...]) -> None:
        pattern = d.args[0]
        image = pattern if pattern.startswith("/") else posixpath.join(self.dst, pattern)
        image = posixpath.normpath(image)
        rel = to_project(self.project, image)
        if rel is None:
            self.unfollowed.append(Unfollowed(d, image, "outside"))
            return
        matches = self.tree.glob(str(self.root / rel)) if any(c in pattern for c in "*?[") \
            else ([str(self.root / rel)] if self.tree.is_file(str(self.root / rel)) else [])
        files = [m for m in matches if self.tree.is_file(m)]
        if not files:
            self.unfollowed.append(Unfollowed(d, image, "missing"))
            return
        for host in files:
            sub_rel = os.path.relpath(host, self.root).replace(os.sep, "/")
            sub_image = posixpath.join(posixpath.dirname(image), posixpath.basename(host)) \
                if any(c in pattern for c in "*?[") else image
            try:
                if sub_image in stack:
                    chain = " -> ".join(self.shown_of(s) for s in (*stack, sub_image))
                    raise ConfigError(f"include loop: {chain}", span=d.span,
                                      hint="an included file may not include itself, directly "
                                           "or through others")
                inc = self.load(sub_image, sub_rel, d)
            except (ConfigError, RestySyntaxError) as e:
                if self.problems is None:
                    raise
                self.problems.append(e)
                continue
            self.walk(inc, inc.nodes, d.ctx, d.parent, d, (*stack, sub_image))

    def shown_of(self, image_path: str) -> str:
        f = self.files.get(image_path)
        return f.shown if f else image_path


def load_conf(project: Project, tree: SourceTree,
              problems: list[ConfigError | RestySyntaxError] | None = None,
              main_name: str = MAIN) -> ConfTree:
    """Parse the project's conf and everything it includes (see the module docstring).

    With `problems`, an included file that cannot be read or parsed, or that closes an
    include loop, is recorded there and skipped instead of raised (``discover`` reads a
    legacy host's conf that way, to say everything at once). `main_name` is the main file
    of the conf folder: restybuild's nginx reads nginx.conf; discover reads a host's that
    ran with another `-c`."""
    loader = _Loader(project, tree, problems)
    main_image = posixpath.join(loader.dst, main_name)
    if project.conf is None:
        main = loader._parsed(main_image, "", "the Restyfile", "", DEFAULT_CONF)
    else:
        main = loader.load(main_image, posixpath.join(project.conf.src, main_name), None)
    loader.walk(main, main.nodes, (), None, None, (main_image,))
    return ConfTree(project, loader.dst, main, tuple(loader.files.values()),
                    tuple(loader.directives), tuple(loader.unfollowed))
