"""Facts from Lua sources, read with tree-sitter's Lua grammar.

Rows and columns are kept and broken files are tolerated.

For each chunk (a file, or a `*_by_lua_block` body inside the nginx conf) this
collects: `require` calls (literal or computed), `ngx.shared` dict uses (also
through an alias such as `local s = ngx.shared`, and dict names passed to
known libraries), `os.getenv` names, cosocket use, `prometheus.init` calls, and files
opened for writing (`io.open(path, "w")`).
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache

from restybuild.errors import Span
from restybuild.lint.luaflow import Guards
from restybuild.lint.luaflow import node_text as _text
from restybuild.records import dataclass, field

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the fast paths
if TYPE_CHECKING:
    from typing import Any

#: module -> (function, index of the dict-name argument): libraries that take a dict name.
DICT_TAKERS: dict[str, tuple[tuple[str, int], ...]] = {
    "prometheus": (("init", 0),),
    "resty.lock": (("new", 0),),
    "resty.limit.req": (("new", 0),),
    "resty.limit.conn": (("new", 0),),
    "resty.limit.count": (("new", 0),),
    "resty.limit.traffic": (("new", 0),),
    "resty.lrucache.pureffi": (),
}
#: How a write's `via` says that a failed open raises as the chunk runs: "w raises".
RAISES = "raises"
COSOCKET_MODULES = ("resty.http", "resty.redis", "resty.mysql", "resty.memcached",
                    "resty.websocket.client", "resty.dns.resolver", "resty.postgres", "pgmoon")
COSOCKET_CALLS = ("ngx.socket.tcp", "ngx.socket.udp", "ngx.socket.connect", "ngx.socket.stream")


@dataclass(frozen=True)
class Use:
    """A name used at a place; `name` is None when it is computed at run time."""

    name: str | None
    span: Span
    via: str = ""


@dataclass
class LuaFacts:
    requires: list[Use] = field(default_factory=list)
    dicts: list[Use] = field(default_factory=list)
    getenv: list[Use] = field(default_factory=list)
    cosockets: list[Use] = field(default_factory=list)
    prometheus_init: list[Use] = field(default_factory=list)
    #: files opened for writing: the path (`$prefix/` for ngx.config.prefix()), the mode
    writes: list[Use] = field(default_factory=list)
    suppressions: dict[int, tuple[str, ...]] = field(default_factory=dict)


#: The only nodes the scanner looks at. tree-sitter finds them (predicates
#: included) without a Python visit of every node, which made the scan ~5x faster.
QUERY = """
(function_call name: (identifier) @_f (#any-of? @_f "require" "pcall" "xpcall")) @call
(function_call name: (dot_index_expression) @_f
  (#any-of? @_f "os.getenv" "ngx.socket.tcp" "ngx.socket.udp" "ngx.socket.connect"
                "ngx.socket.stream" "io.open")) @call
(function_call name: (method_index_expression method: (identifier) @_m
  (#any-of? @_m "new" "init"))) @call
(function_call name: (dot_index_expression field: (identifier) @_m
  (#any-of? @_m "new" "init"))) @call
(dot_index_expression table: (dot_index_expression) @_t (#eq? @_t "ngx.shared")) @index
(bracket_index_expression table: (dot_index_expression) @_t (#eq? @_t "ngx.shared")) @index
(assignment_statement (expression_list (dot_index_expression) @_v
  (#eq? @_v "ngx.shared"))) @assign
(assignment_statement (expression_list (function_call name: (identifier) @_f
  (#eq? @_f "require")))) @assign
((comment) @comment (#match? @comment "restybuild:"))
"""
#: Uses of a local alias of ngx.shared (`local s = ngx.shared; s.X`); run only when a
#: chunk has such an alias.
ALIAS_QUERY = """
(dot_index_expression table: (identifier)) @index
(bracket_index_expression table: (identifier)) @index
"""


@lru_cache(maxsize=1)
def language() -> Any:
    """tree-sitter's Lua language. Read from the tree_sitter_lua package's compiled binding
    without running the package's ``__init__``, which imports importlib.resources for its
    query files (about 10 ms, a lint after a Lua edit is about 50): the binding is found
    where the installed package is, never elsewhere; if it is not there, the package is
    imported as usual."""
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
    from importlib.util import find_spec, module_from_spec, spec_from_file_location

    from tree_sitter import Language

    if "tree_sitter_lua" not in sys.modules:
        package = find_spec("tree_sitter_lua")
        for folder in (package.submodule_search_locations or []) if package else []:
            for suffix in EXTENSION_SUFFIXES:
                path = os.path.join(folder, "_binding" + suffix)
                if os.path.isfile(path):
                    loader = ExtensionFileLoader("tree_sitter_lua._binding", path)
                    spec = spec_from_file_location("tree_sitter_lua._binding", path,
                                                   loader=loader)
                    if spec is not None:
                        binding = module_from_spec(spec)
                        loader.exec_module(binding)
                        return Language(binding.language())
    import tree_sitter_lua

    return Language(tree_sitter_lua.language())


@lru_cache(maxsize=1)
def parser() -> Any:
    """The tree-sitter Lua parser (one per process; also used by :mod:`restybuild.luatable`)."""
    from tree_sitter import Parser

    return Parser(language())


@lru_cache(maxsize=2)
def _query(text: str) -> Any:
    from tree_sitter import Query

    return Query(language(), text)


def _string_value(node: Any) -> str | None:
    """The value of a literal string node, or None."""
    if node is None or node.type != "string":
        return None
    content = [c for c in node.children if c.type == "string_content"]
    if content:
        return _text(content[0])
    raw = _text(node)
    if raw.startswith("[[") or raw.startswith("[="):
        return raw.strip("[]=")
    return raw[1:-1] if len(raw) >= 2 else ""


def _path_value(node: Any) -> str | None:
    """A literal path, or `ngx.config.prefix() .. "x"` as `$prefix/x`; None when computed."""
    if node.type == "string":
        return _string_value(node)
    if node.type == "binary_expression" and node.child_count == 3 \
            and _text(node.children[1]) == "..":
        left, right = node.children[0], node.children[2]
        name = left.child_by_field_name("name") if left.type == "function_call" else None
        tail = _string_value(right)
        if name is not None and _dotted(name) == "ngx.config.prefix" and tail is not None:
            return "$prefix/" + tail.lstrip("/")
    return None


def _dotted(node: Any) -> str | None:
    """`a.b.c` for an identifier/dot-index chain, else None."""
    if node.type == "identifier":
        return _text(node)
    if node.type == "dot_index_expression" and node.child_count == 3:
        left = _dotted(node.children[0])
        return f"{left}.{_text(node.children[2])}" if left else None
    return None


def _args(call: Any) -> list[Any]:
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    if args.type in ("string", "table_constructor"):
        return [args]
    return [c for c in args.children if c.is_named and c.type != "comment"]


class _Scanner:
    def __init__(self, file: str, line_offset: int, col_offset: int) -> None:
        self.file = file
        self.line_offset = line_offset
        self.col_offset = col_offset
        self.facts = LuaFacts()
        self.shared_aliases: set[str] = {"ngx.shared"}
        self.modules: dict[str, str] = {}  # local name -> required module
        self.guards = Guards()

    def span(self, node: Any) -> Span:
        (r, c), (er, ec) = node.start_point, node.end_point
        col = c + 1 + (self.col_offset if r == 0 else 0)
        end_col = ec + 1 + (self.col_offset if er == 0 else 0)
        return Span(self.file, r + 1 + self.line_offset, col, er + 1 + self.line_offset, end_col)

    def walk(self, root: Any) -> None:
        from tree_sitter import QueryCursor

        handlers = {"call": self.call, "index": self.index, "assign": self.assignment,
                    "comment": self.comment}
        captures = QueryCursor(_query(QUERY)).captures(root)
        found = {(node.start_byte, -node.end_byte, name): node
                 for name, nodes in captures.items() if name in handlers for node in nodes}
        for key in sorted(found):  # source order, outer first; each node once
            handlers[key[2]](found[key])
        if len(self.shared_aliases) > 1:
            aliases = QueryCursor(_query(ALIAS_QUERY)).captures(root)
            for node in sorted(aliases.get("index", []), key=lambda n: n.start_byte):
                self.index(node)

    def comment(self, node: Any) -> None:
        text = _text(node)
        marker = "restybuild: ignore="
        if marker in text:
            codes = text.split(marker, 1)[1].split()[0] if text.split(marker, 1)[1] else ""
            reason = text.split(marker, 1)[1][len(codes):].strip()
            line = node.start_point[0] + 1 + self.line_offset
            self.facts.suppressions[line] = (*codes.split(","), "reason" if reason else "")

    def required_module(self, node: Any) -> str | None:
        """The module of `require("x")`, or of a local bound to it."""
        if node.type == "function_call":
            name = node.child_by_field_name("name")
            if name is not None and _text(name) == "require":
                args = _args(node)
                return _string_value(args[0]) if args else None
        if node.type == "identifier":
            return self.modules.get(_text(node))
        return None

    def call(self, node: Any) -> None:
        name = node.child_by_field_name("name")
        if name is None:
            return
        fname = _dotted(name)
        args = _args(node)
        if fname in ("pcall", "xpcall"):
            # pcall(require, "x"): an optional module, the code goes on without it
            if len(args) > 1 and args[0].type == "identifier" and _text(args[0]) == "require":
                self.facts.requires.append(Use(_string_value(args[1]), self.span(node),
                                               via="pcall"))
            return
        if fname == "require":
            value = _string_value(args[0]) if args else None
            self.facts.requires.append(Use(value, self.span(node),
                                           via="pcall" if self.guards.caught(node) else ""))
            if value in COSOCKET_MODULES:
                self.facts.cosockets.append(Use(value, self.span(node)))
            return
        if fname == "os.getenv":
            if args:
                self.facts.getenv.append(Use(_string_value(args[0]), self.span(node)))
            return
        if fname == "io.open":
            mode = (_string_value(args[1]) if len(args) > 1 else "r") or ""
            if args and any(m in mode for m in "wa+"):
                how = f"{mode} {RAISES}" if self.guards.raises_when_run(node) else mode
                self.facts.writes.append(Use(_path_value(args[0]), self.span(node), via=how))
            return
        if fname in COSOCKET_CALLS:
            self.facts.cosockets.append(Use(fname, self.span(node)))
            return
        # library calls that take a dict name: M.new("x") or M:new("x")
        if name.type in ("dot_index_expression", "method_index_expression"):
            target = name.children[0]
            method = _text(name.children[-1])
            module = self.required_module(target) or (
                "prometheus" if _dotted(target) == "prometheus" else None)
            for fn, index in DICT_TAKERS.get(module or "", ()):
                if method == fn:
                    arg = args[index] if len(args) > index else None
                    value = _string_value(arg)
                    self.facts.dicts.append(Use(value, self.span(arg or node), via=module or ""))
            if module == "prometheus" and method == "init":
                self.facts.prometheus_init.append(Use("init", self.span(node)))

    def index(self, node: Any) -> None:
        table = node.children[0]
        base = _dotted(table)
        if base not in self.shared_aliases:
            return
        if node.type == "dot_index_expression":
            self.facts.dicts.append(Use(_text(node.children[2]), self.span(node.children[2])))
        else:
            key = node.child_by_field_name("field")
            key = key if key is not None else node.children[2]
            self.facts.dicts.append(Use(_string_value(key), self.span(key)))

    def assignment(self, node: Any) -> None:
        lists = [c for c in node.children if c.type == "variable_list"]
        values = [c for c in node.children if c.type == "expression_list"]
        if not lists or not values:
            return
        targets = [c for c in lists[0].children if c.type == "identifier"]
        exprs = [c for c in values[0].children if c.is_named]
        for target, expr in zip(targets, exprs):
            if _dotted(expr) in self.shared_aliases:
                self.shared_aliases.add(_text(target))
            module = self.required_module(expr)
            if module:
                self.modules[_text(target)] = module


def scan(source: bytes, file: str, line_offset: int = 0, col_offset: int = 0) -> LuaFacts:
    """Scan one Lua chunk; `line_offset`/`col_offset` place a conf block in its file."""
    tree = parser().parse(source)
    scanner = _Scanner(file, line_offset, col_offset)
    scanner.walk(tree.root_node)
    return scanner.facts
