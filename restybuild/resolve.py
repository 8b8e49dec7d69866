"""Resolve a parsed Restyfile into a checked, typed :class:`~restybuild.model.Project`.

Every semantic error names the statement's span. Paths on the left of `->` are
relative to the Restyfile's folder and may not leave it, neither by `..`, nor
by an absolute path, nor through a symlink.
"""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restybuild import recipes
from restybuild.errors import ConfigError, InputError, RestyError, Span
from restybuild.model import (
    Base,
    Copy,
    EnvVar,
    Metrics,
    Native,
    Probe,
    Project,
    Resources,
    Rock,
    Rocks,
    SharedDict,
    SystemPackage,
    Workers,
)
from restybuild.units import parse_cpu, parse_duration, parse_size

if TYPE_CHECKING:
    from lark import Token

#: A node of the Lark tree; its children are heterogeneous (Node | Token | None).
Node = Any

LANGUAGE_VERSIONS = (1,)
SINGLE = ("restyfile", "name", "base", "prefix", "conf", "rocks", "workers", "resources", "metrics")
PROBE_KINDS = ("liveness", "readiness", "startup")

NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?")
PATH_RE = re.compile(r"[A-Za-z0-9._/@+=:,~-]+")
ROCK_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
ROCK_VERSION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~]*-\d+")
PACKAGE_RE = re.compile(r"[a-z0-9][a-z0-9+.:~_-]*")
DICT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
IMAGE_RE = re.compile(r"[a-z0-9][a-z0-9._/:@-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?")
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
MIN_DICT = 8192  # lua-nginx-module refuses smaller zones


@dataclass(frozen=True)
class Value:
    text: str
    span: Span


@dataclass
class _Seen:
    first: dict[str, Span] = field(default_factory=dict)


def load_project(path: str | Path) -> Project:
    """Read, parse and resolve the Restyfile at `path`."""
    from restybuild.parser import parse

    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {p}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ConfigError(
            "the file is not UTF-8 text", span=Span(str(p), line, 1)
        ) from None
    tree = parse(text, str(p))
    return resolve(tree, str(p), p.resolve().parent)


def _value(node: Node | None, filename: str) -> Value:
    assert node is not None
    tok: Token = node.children[0]
    text = str(tok)
    if tok.type == "STRING":
        text = re.sub(r'\\(["\\])', r"\1", text[1:-1])
    line, col = tok.line or 1, tok.column or 1
    return Value(text, Span(filename, line, col, tok.end_line or line, tok.end_column or col + 1))


def _span(node: Node, filename: str) -> Span:
    m = node.meta
    if getattr(m, "empty", True):
        return Span(filename, 1, 1)
    return Span(filename, m.line, m.column, m.end_line, m.end_column)


class _Resolver:
    def __init__(self, filename: str, root: Path) -> None:
        self.filename = filename
        self.root = root.resolve()
        self.seen = _Seen()

    # -- helpers -----------------------------------------------------------
    def v(self, node: Node | None) -> Value:
        return _value(node, self.filename)

    def err(self, msg: str, span: Span, hint: str | None = None) -> ConfigError:
        return ConfigError(msg, span=span, hint=hint)

    def src_path(self, val: Value, *, want: str) -> str:
        """A project-relative path that must exist inside the project folder."""
        text = val.text
        if text.startswith("/") or text.startswith("~"):
            raise self.err(
                f"`{text}` is absolute; paths on the left of `->` are relative to the "
                "Restyfile's folder", val.span, hint="move the files into the project folder",
            )
        if not PATH_RE.fullmatch(text):
            raise self.err(f"`{text}` has characters restybuild does not accept in a path",
                           val.span, hint="use letters, digits and . _ - / @ + = : , ~")
        norm = posixpath.normpath(text)
        if norm == ".." or norm.startswith("../"):
            raise self.err(f"`{text}` leaves the project folder", val.span,
                           hint="paths may not leave the Restyfile's folder")
        full = self.root / norm
        try:
            real = full.resolve()
        except (OSError, RuntimeError):
            raise self.err(f"cannot resolve `{text}`", val.span) from None
        if real != self.root and self.root not in real.parents:
            raise self.err(f"`{text}` is a symlink that points outside the project folder "
                           f"(to {real})", val.span,
                           hint="copy the files into the project instead of linking them")
        if want == "dir" and not full.is_dir():
            what = "is not a folder" if full.exists() else "does not exist"
            raise self.err(f"`{text}` {what}", val.span)
        if want == "file" and not full.is_file():
            what = "is not a file" if full.exists() else "does not exist"
            raise self.err(f"`{text}` {what}", val.span)
        return "." if norm == "." else norm

    def dst_path(self, val: Value, prefix: str) -> str:
        text = val.text
        if not PATH_RE.fullmatch(text):
            raise self.err(f"`{text}` has characters restybuild does not accept in a path",
                           val.span, hint="use letters, digits and . _ - / @ + = : , ~")
        joined = text if text.startswith("/") else posixpath.join(prefix, text)
        if ".." in joined.split("/"):
            raise self.err(f"`{text}` may not contain `..`", val.span)
        return posixpath.normpath(joined)

    def once(self, kw: str, span: Span) -> None:
        if kw in SINGLE and kw in self.seen.first:
            first = self.seen.first[kw]
            raise self.err(f"`{kw}` is declared twice; the first is at {first}", span,
                           hint=f"keep one `{kw}` statement")
        self.seen.first.setdefault(kw, span)

    # -- the statements ------------------------------------------------------
    def run(self, tree: Node) -> Project:
        stmts = [c for c in tree.children if hasattr(c, "data")]
        by_kind: dict[str, list[Node]] = {}
        for st in stmts:
            kind = str(st.data).removesuffix("_stmt")
            kw = "base" if kind == "base_image" else kind
            self.once(kw, _span(st, self.filename))
            by_kind.setdefault(kind, []).append(st)

        version = 1
        if "restyfile" in by_kind:
            val = self.v(by_kind["restyfile"][0].children[0])
            if not val.text.isdigit() or int(val.text) not in LANGUAGE_VERSIONS:
                raise self.err(f"unknown Restyfile version `{val.text}`", val.span,
                               hint="this restybuild reads: restyfile 1")
            version = int(val.text)

        if "name" not in by_kind:
            raise self.err("the Restyfile has no `name`", Span(self.filename, 1, 1),
                           hint="add a line: name my-app")
        name_v = self.v(by_kind["name"][0].children[0])
        if not NAME_RE.fullmatch(name_v.text):
            raise self.err(f"`{name_v.text}` is not a valid name", name_v.span,
                           hint="lowercase letters, digits, `.`, `_` and `-`, at most 63, "
                                "starting and ending with a letter or digit")

        base, flavor = self.base(by_kind)
        prefix = flavor.prefix
        if "prefix" in by_kind:
            pv = self.v(by_kind["prefix"][0].children[0])
            if not pv.text.startswith("/") or not PATH_RE.fullmatch(pv.text) or ".." in pv.text:
                raise self.err(f"prefix `{pv.text}` must be an absolute path", pv.span,
                               hint="for example: prefix /usr/local/openresty/nginx")
            prefix = posixpath.normpath(pv.text)

        conf = None
        if "conf" in by_kind:
            st = by_kind["conf"][0]
            src = self.v(st.children[0])
            dst_node = st.children[1]
            dst = self.dst_path(self.v(dst_node), prefix) if dst_node is not None else \
                posixpath.join(prefix, "conf")
            conf = Copy(self.src_path(src, want="dir"), dst, _span(st, self.filename))
            if not (self.root / conf.src / "nginx.conf").is_file():
                raise self.err(f"`{src.text}` has no nginx.conf", src.span)

        lua = tuple(
            Copy(self.src_path(self.v(st.children[0]), want="dir"),
                 self.dst_path(self.v(st.children[1]), prefix), _span(st, self.filename))
            for st in by_kind.get("lua", [])
        )
        natives = tuple(self.native(st, prefix) for st in by_kind.get("native", []))
        rocks = self.rocks(by_kind["rocks"][0], prefix) if "rocks" in by_kind else None
        dicts = self.shared_dicts(by_kind.get("shared_dict", []))
        resources = self.resources(by_kind["resources"][0]) if "resources" in by_kind else None
        workers = self.workers(by_kind["workers"][0], resources) if "workers" in by_kind else None
        probes = self.probes(by_kind.get("probe", []))
        metrics = self.metrics(by_kind["metrics"][0]) if "metrics" in by_kind else None
        env = self.env(by_kind.get("env", []))
        expose = tuple(
            self.port(self.v(n)) for st in by_kind.get("expose", []) for n in st.children
        )
        self.check_destinations(conf, lua, natives, rocks)
        return Project(
            restyfile=self.filename, root=str(self.root), version=version, name=name_v.text,
            base=base, flavor=flavor, prefix=prefix, conf=conf, lua=lua, natives=natives,
            rocks=rocks, shared_dicts=dicts, workers=workers, resources=resources,
            probes=probes, metrics=metrics, env=env, expose=expose,
        )

    def base(self, by_kind: dict[str, list[Node]]) -> tuple[Base, recipes.Flavor]:
        if "base" in by_kind:
            st = by_kind["base"][0]
            vals = [self.v(c) if c is not None else None for c in st.children]
            recipe_v = vals[0]
            assert recipe_v is not None
            version_v, flavor_v = vals[1], vals[2]
            base = Base(recipe_v.text, version_v.text if version_v else None,
                        flavor_v.text if flavor_v else None, None, None,
                        _span(st, self.filename))
            try:
                recipe = recipes.load(recipe_v.text)
            except RestyError as e:
                raise self.err(e.message, recipe_v.span, e.hint) from None
            try:
                flavor = recipe.flavor(base.flavor, base.version)
            except RestyError as e:
                where = flavor_v if flavor_v and "flavor" in e.message else version_v
                raise self.err(e.message, (where or recipe_v).span, e.hint) from None
            return base, flavor
        if "base_image" in by_kind:
            st = by_kind["base_image"][0]
            ref, rec = self.v(st.children[0]), self.v(st.children[1])
            digest = self.v(st.children[2]) if st.children[2] is not None else None
            if not IMAGE_RE.fullmatch(ref.text):
                raise self.err(f"`{ref.text}` is not an image reference", ref.span)
            if digest is not None and not DIGEST_RE.fullmatch(digest.text):
                raise self.err(f"`{digest.text}` is not a digest", digest.span,
                               hint="write sha256: followed by 64 hex digits")
            try:
                recipe, flavor_name = _recipe_and_flavor(rec.text)
                flavor = recipe.flavor(flavor_name, None)
            except RestyError as e:
                raise self.err(e.message, rec.span, e.hint) from None
            return Base(rec.text, None, None, ref.text, digest.text if digest else None,
                        _span(st, self.filename)), flavor
        raise self.err("the Restyfile has no `base`", Span(self.filename, 1, 1),
                       hint="add a line such as: base debian-bookworm")

    def native(self, st: Node, prefix: str) -> Native:
        src_v = self.v(st.children[0])
        src = self.src_path(src_v, want="file")
        dst = self.dst_path(self.v(st.children[1]), prefix)
        search: list[str] = []
        block = st.children[2]
        if block is not None:
            for item in block.children:
                search.extend(self.src_path(self.v(n), want="dir") for n in item.children)
        return Native(src, dst, tuple(search), _span(st, self.filename))

    def rocks(self, st: Node, prefix: str) -> Rocks:
        tree = self.dst_path(self.v(st.children[0]), prefix)
        server: str | None = None
        is_url = False
        items: list[Rock] = []
        system: list[SystemPackage] = []
        for item in st.children[1].children:
            span = _span(item, self.filename)
            if item.data == "server_item":
                sv = self.v(item.children[0])
                if server is not None:
                    raise self.err("`server` is declared twice in this block", span)
                if "://" in sv.text:
                    if not re.fullmatch(r"(https?|file)://[^\s'\"`$\\;]+", sv.text):
                        raise self.err(f"`{sv.text}` is not a server URL restybuild accepts",
                                       sv.span)
                    server, is_url = sv.text, True
                else:
                    server = self.src_path(sv, want="dir")
            elif item.data == "rock_item":
                first = self.v(item.children[0])
                second = self.v(item.children[1]) if item.children[1] is not None else None
                items.append(self.rock(first, second, span))
            else:
                build = self.v(item.children[0])
                run = self.v(item.children[1]) if item.children[1] is not None else None
                for pv in (build, run):
                    if pv is not None and not PACKAGE_RE.fullmatch(pv.text):
                        raise self.err(f"`{pv.text}` is not a package name", pv.span)
                system.append(SystemPackage(build.text, run.text if run else None, span))
        seen: dict[str, Span] = {}
        for r in items:
            key = r.name or r.path or ""
            if key in seen:
                raise self.err(f"rock `{key}` is declared twice; the first is at {seen[key]}",
                               r.span)
            seen[key] = r.span
        return Rocks(tree, server, is_url, tuple(items), tuple(system), _span(st, self.filename))

    def rock(self, first: Value, second: Value | None, span: Span) -> Rock:
        if first.text.endswith((".rockspec", ".rock")):
            if second is not None:
                raise self.err("a rock given by file takes no version", second.span)
            return Rock(None, None, self.src_path(first, want="file"), span)
        if not ROCK_NAME_RE.fullmatch(first.text):
            raise self.err(f"`{first.text}` is not a rock name", first.span)
        if second is None:
            raise self.err(f"rock `{first.text}` has no version; rocks are pinned", first.span,
                           hint=f"write: rock {first.text} VERSION-REVISION (e.g. 1.0-1)")
        if not ROCK_VERSION_RE.fullmatch(second.text):
            raise self.err(f"`{second.text}` is not a rock version", second.span,
                           hint="rock versions carry a revision, e.g. 1.13.1-1")
        return Rock(first.text, second.text, None, span)

    def shared_dicts(self, stmts: list[Node]) -> tuple[SharedDict, ...]:
        out: list[SharedDict] = []
        seen: dict[str, Span] = {}
        for st in stmts:
            n, s = self.v(st.children[0]), self.v(st.children[1])
            if not DICT_RE.fullmatch(n.text):
                raise self.err(f"`{n.text}` is not a valid shared dict name", n.span)
            if n.text in seen:
                raise self.err(f"shared dict `{n.text}` is declared twice; the first is at "
                               f"{seen[n.text]}", n.span)
            size = parse_size(s.text)
            if size is None:
                raise self.err(f"`{s.text}` is not a size", s.span,
                               hint="sizes look like 150m, 10M, 512Mi, 1Gi or 64k")
            if size < MIN_DICT:
                raise self.err(f"shared dict `{n.text}` is too small ({s.text})", s.span,
                               hint="lua-nginx-module needs at least 8k")
            seen[n.text] = n.span
            out.append(SharedDict(n.text, size, s.text, _span(st, self.filename)))
        return tuple(out)

    def resources(self, st: Node) -> Resources:
        vals: dict[str, int] = {}
        for item in st.children[0].children:
            kind = str(item.children[0])
            for pair in item.children[1:]:
                res = str(pair.children[0])
                val = self.v(pair.children[1])
                key = f"{kind}_{res}"
                if key in vals:
                    raise self.err(f"`{kind} {res}` is given twice", val.span)
                parsed = parse_cpu(val.text) if res == "cpu" else parse_size(val.text)
                if parsed is None or parsed <= 0:
                    example = "500m, 2 or 1.5" if res == "cpu" else "512Mi, 1Gi or 256m"
                    raise self.err(f"`{val.text}` is not a {res} quantity", val.span,
                                   hint=f"for example {example}")
                vals[key] = parsed
        span = _span(st, self.filename)
        for res in ("cpu", "memory"):
            req, lim = vals.get(f"request_{res}"), vals.get(f"limit_{res}")
            if req is not None and lim is not None and req > lim:
                raise self.err(f"the {res} request is above the {res} limit", span)
        return Resources(vals.get("request_cpu"), vals.get("request_memory"),
                         vals.get("limit_cpu"), vals.get("limit_memory"), span)

    def workers(self, st: Node, resources: Resources | None) -> Workers:
        val = self.v(st.children[0])
        span = _span(st, self.filename)
        if val.text == "cpu":
            if resources is None or resources.limit_cpu is None:
                raise self.err("`workers cpu` needs a CPU limit", val.span,
                               hint="add: resources { limit cpu 2 memory 1Gi }")
            return Workers(max(1, math.ceil(resources.limit_cpu / 1000)), True, span)
        if val.text == "auto":
            raise self.err("`workers auto` counts the node's CPUs, not the container's limit",
                           val.span, hint="write `workers N` or `workers cpu`")
        if not val.text.isdigit() or not 1 <= int(val.text) <= 1024:
            raise self.err(f"`{val.text}` is not a worker count", val.span,
                           hint="write a number from 1 to 1024, or `cpu`")
        return Workers(int(val.text), False, span)

    def port(self, val: Value) -> int:
        if not val.text.isdigit() or not 1 <= int(val.text) <= 65535:
            raise self.err(f"`{val.text}` is not a port", val.span, hint="ports go from 1 to 65535")
        return int(val.text)

    def options(self, nodes: list[Node], allowed: tuple[str, ...], what: str) -> dict[str, Value]:
        out: dict[str, Value] = {}
        for opt in nodes:
            key = str(opt.children[0])
            val = self.v(opt.children[1])
            span = _span(opt, self.filename)
            if key not in allowed:
                raise self.err(f"`{what}` takes no `{key}`", span,
                               hint="it takes: " + ", ".join(allowed))
            if key in out:
                raise self.err(f"`{key}` is given twice", span)
            out[key] = val
        return out

    def duration(self, val: Value | None) -> int | None:
        if val is None:
            return None
        secs = parse_duration(val.text)
        if secs is None or secs <= 0:
            raise self.err(f"`{val.text}` is not a duration", val.span, hint="e.g. 5s or 1m")
        return secs

    def probes(self, stmts: list[Node]) -> tuple[Probe, ...]:
        out: list[Probe] = []
        seen: dict[str, Span] = {}
        for st in stmts:
            kind, typ, path = (self.v(c) for c in st.children[:3])
            span = _span(st, self.filename)
            if kind.text not in PROBE_KINDS:
                import difflib

                guess = difflib.get_close_matches(kind.text, PROBE_KINDS, n=1)
                raise self.err(f"unknown probe kind `{kind.text}`", kind.span,
                               hint=(f"did you mean `{guess[0]}`? " if guess else "")
                               + "kinds: " + ", ".join(PROBE_KINDS))
            if kind.text in seen:
                raise self.err(f"the {kind.text} probe is declared twice; the first is at "
                               f"{seen[kind.text]}", span)
            if typ.text != "http":
                raise self.err(f"unknown probe type `{typ.text}`", typ.span,
                               hint="restybuild knows: http")
            if not path.text.startswith("/") or not PATH_RE.fullmatch(path.text):
                raise self.err(f"`{path.text}` is not a URL path", path.span,
                               hint="write a path such as /healthz")
            opts = self.options(list(st.children[3:]), ("port", "period", "timeout"), "probe")
            if "port" not in opts:
                raise self.err("the probe has no `port`", span,
                               hint=f"probe {kind.text} http {path.text} port 80")
            seen[kind.text] = span
            out.append(Probe(kind.text, typ.text, path.text, self.port(opts["port"]),
                             self.duration(opts.get("period")),
                             self.duration(opts.get("timeout")), span))
        return tuple(out)

    def metrics(self, st: Node) -> Metrics:
        kind = self.v(st.children[0])
        span = _span(st, self.filename)
        if kind.text != "prometheus":
            raise self.err(f"unknown metrics kind `{kind.text}`", kind.span,
                           hint="restybuild knows: prometheus")
        opts = self.options(list(st.children[1:]), ("port", "path"), "metrics")
        if "port" not in opts:
            raise self.err("`metrics` has no `port`", span, hint="metrics prometheus port 9145")
        path = opts["path"].text if "path" in opts else "/metrics"
        if not path.startswith("/") or not PATH_RE.fullmatch(path):
            raise self.err(f"`{path}` is not a URL path", opts["path"].span)
        return Metrics(kind.text, self.port(opts["port"]), path, span)

    def env(self, stmts: list[Node]) -> tuple[EnvVar, ...]:
        out: list[EnvVar] = []
        seen: dict[str, Span] = {}
        for st in stmts:
            val = self.v(st.children[0])
            if st.children[1] is not None:  # env NAME="a quoted value"
                rest = self.v(st.children[1])
                if not val.text.endswith("="):
                    raise self.err("`env` takes one NAME=VALUE", rest.span,
                                   hint='write env NAME=VALUE, or env NAME="VALUE with spaces"')
                val = Value(val.text + rest.text, Span(val.span.file, val.span.line,
                                                       val.span.col, rest.span.end_line,
                                                       rest.span.end_col))
            key, eq, value = val.text.partition("=")
            if not eq or not ENV_KEY_RE.fullmatch(key):
                raise self.err(f"`{val.text}` is not NAME=VALUE", val.span,
                               hint='write env NAME=VALUE, or env "NAME=VALUE with spaces"')
            if any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise self.err(f"the value of `{key}` contains a control character", val.span)
            if key in seen:
                raise self.err(f"`{key}` is set twice; the first is at {seen[key]}", val.span)
            seen[key] = val.span
            out.append(EnvVar(key, value, _span(st, self.filename)))
        return tuple(out)

    def check_destinations(self, conf: Copy | None, lua: tuple[Copy, ...],
                           natives: tuple[Native, ...], rocks: Rocks | None) -> None:
        """Two declarations may not write the same folder of the image."""
        owners: dict[str, Span] = {}
        dests = [(c.dst, c.span) for c in lua]
        if conf is not None:
            dests.append((conf.dst, conf.span))
        if rocks is not None:
            dests.append((rocks.tree, rocks.span))
        dests.sort(key=lambda d: (d[1].line, d[1].col))
        for dst, span in dests:
            if dst in owners:
                raise self.err(f"`{dst}` is the destination of two statements; the other is at "
                               f"{owners[dst]}", span)
            owners[dst] = span
        for n in natives:
            if rocks is not None and n.dst == rocks.tree:
                raise self.err("a native may not be copied into the rocks tree", n.span)


def project_inputs(project: Project) -> list[str]:
    """Every file or folder a result about `project` (plan, lint) is computed from."""
    root = Path(project.root)
    paths = [project.restyfile, recipes.recipe_path(project.flavor.recipe)]
    if project.conf:
        paths.append(str(root / project.conf.src))
    paths += [str(root / c.src) for c in project.lua]
    for n in project.natives:
        paths.append(str(root / n.src))
        paths += [str(root / s) for s in n.search]
    if project.natives:  # image library indexes read since (restybuild deps --base IMAGE)
        from restybuild.elf.libindex import cache_dir

        folder = cache_dir()
        if folder is not None:
            paths.append(str(folder))
    if project.rocks:
        if project.rocks.server and not project.rocks.server_is_url:
            paths.append(str(root / project.rocks.server))
        paths += [str(root / r.path) for r in project.rocks.rocks if r.path]
    return paths


def _recipe_and_flavor(name: str) -> tuple[recipes.Recipe, str | None]:
    """`openresty` (default flavor) or `openresty-centos7` (recipe `openresty`, flavor centos7)."""
    if name in recipes.available() or "-" not in name:
        return recipes.load(name), None
    for cut in range(len(name) - 1, 0, -1):
        if name[cut] == "-" and name[:cut] in recipes.available():
            recipe = recipes.load(name[:cut])
            if name[cut + 1:] in recipe.flavors:
                return recipe, name[cut + 1:]
    return recipes.load(name), None


def resolve(tree: Node, filename: str, root: Path) -> Project:
    """Turn the parse tree of the Restyfile `filename` in folder `root` into a Project."""
    return _Resolver(filename, root).run(tree)
