"""What runs when in a Lua chunk, for :mod:`restybuild.lint.luascan`: which code runs only
under pcall or xpcall (a require there is optional), and which failed open raises as the
chunk runs (a write at init that stops nginx). Read from tree-sitter's syntax tree; nothing
is run.
"""

from __future__ import annotations

from typing import Any


def node_text(node: Any) -> str:
    """A syntax node's source text (luascan's too)."""
    return bytes(node.text).decode("utf-8", "replace")



class Guards:
    """Which code of one chunk runs only under pcall or xpcall (asked of a require's node),
    and which failure raises as the chunk runs (asked of an io.open).

    The chunk's identifiers are indexed by name once, on the first question that needs
    them, and each function's answer is kept: a chunk is walked once, not per question."""

    def __init__(self) -> None:
        self.known: dict[tuple[int, int], bool] = {}  # a function's bytes -> only pcalled
        self.names: dict[str, list[Any]] | None = None  # identifier text -> its nodes

    def caught(self, node: Any) -> bool:
        """Whether `node` is inside a function whose failure is caught: a function literal
        passed straight to pcall or xpcall (`pcall(function() require "x" end)`), or a local
        function (`local function load() ... end`, `local load = function() ... end`) that
        the chunk only ever calls through them (`pcall(load)`)."""
        parent = node.parent
        while parent is not None:
            if parent.type in ("function_definition", "function_declaration"):
                if parent.type == "function_definition" and _pcall_argument(parent):
                    return True
                key = (parent.start_byte, parent.end_byte)
                if key not in self.known:
                    name = _local_function_name(parent)
                    self.known[key] = name is not None and self.only_pcalled(parent, name)
                return self.known[key]
            parent = parent.parent
        return False

    def uses_after(self, node: Any, name: str) -> list[Any]:
        """The identifiers `name` of the chunk after `node` (the chunk indexed once)."""
        if self.names is None:
            root = node
            while root.parent is not None:
                root = root.parent
            self.names = {}
            stack = [root]
            while stack:
                n = stack.pop()
                if n.type == "identifier":
                    self.names.setdefault(node_text(n), []).append(n)
                stack.extend(n.children)
        return [n for n in self.names.get(name, ()) if n.start_byte >= node.end_byte]

    def only_pcalled(self, fn: Any, name: str) -> bool:
        """Whether every use of `name` after its declaration `fn` is as pcall's or xpcall's
        first argument, and there is one: the function never runs unguarded."""
        uses = self.uses_after(fn, name)
        return bool(uses) and all(_pcall_argument(u) for u in uses)

    def raises_when_run(self, call: Any) -> bool:
        """Whether `call` runs when the chunk runs (outside every function) and a nil result
        raises there: `assert(io.open(...))`, `io.open(...):write(...)`, or `local f =
        io.open(...)` with `f` used (`f:write`, `f.x`, `assert(f)`) and never tested (`if
        f`, `not f`, `f and`, `f or`, `f == ...`)."""
        up = call.parent
        while up is not None:
            if up.type in ("function_definition", "function_declaration"):
                return False  # when it runs is not known
            up = up.parent
        if _dereferenced(call):
            return True
        values = call.parent
        assign = values.parent if values is not None and values.type == "expression_list" \
            else None
        if assign is None or assign.type != "assignment_statement" \
                or next((c for c in values.children if c.is_named), None) != call:
            return False
        first = next((c for c in assign.children[0].children if c.is_named), None)
        if first is None or first.type != "identifier":
            return False
        uses = self.uses_after(call, node_text(first))
        return any(_dereferenced(u) for u in uses) and not any(_tested(u) for u in uses)


def _dereferenced(node: Any) -> bool:
    """Whether a nil `node` raises where it is: indexed (`x:write()`, `x.y`, `x[k]`) or the
    first argument of assert."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("method_index_expression", "dot_index_expression",
                       "bracket_index_expression"):
        return bool(parent.children[0] == node)
    if parent.type == "arguments" and parent.parent is not None:
        name = parent.parent.child_by_field_name("name")
        first = next((c for c in parent.children if c.is_named and c.type != "comment"), None)
        return first == node and name is not None and node_text(name) == "assert"
    return False


#: The statements whose `condition` is a test of its value.
_CONDITIONED = ("if_statement", "elseif_statement", "while_statement", "repeat_statement")


def _tested(node: Any) -> bool:
    """Whether `node` is read by a test: an operand of `not`, `and`, `or` or a comparison, or
    a condition of if, elseif, while or repeat."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "unary_expression":
        return node_text(parent.children[0]) == "not"
    if parent.type == "binary_expression":
        op = parent.child_by_field_name("operator")
        return op is not None and node_text(op) in ("and", "or", "==", "~=")
    return parent.type in _CONDITIONED and parent.child_by_field_name("condition") == node


def _pcall_argument(node: Any) -> bool:
    """Whether `node` is the first argument of a pcall or xpcall."""
    args = node.parent
    if args is None or args.type != "arguments":
        return False
    first = next((c for c in args.children if c.is_named and c.type != "comment"), None)
    call = args.parent
    name = call.child_by_field_name("name") if call is not None else None
    return first == node and name is not None and node_text(name) in ("pcall", "xpcall")


def _local_function_name(fn: Any) -> str | None:
    """NAME of `local function NAME` or of `local NAME = function ... end` (one name, one
    value), for the function node `fn`; None for any other function."""
    if fn.type == "function_declaration":
        name = fn.child_by_field_name("name")
        local = fn.children and fn.children[0].type == "local"
        named = local and name is not None and name.type == "identifier"
        return node_text(name) if named else None
    values = fn.parent
    assign = values.parent if values is not None and values.type == "expression_list" else None
    if assign is None or assign.type != "assignment_statement" \
            or assign.parent is None or assign.parent.type != "variable_declaration":
        return None
    names = [c for c in assign.children[0].children if c.is_named]
    if len(names) != 1 or names[0].type != "identifier" \
            or [c for c in values.children if c.is_named] != [fn]:
        return None
    return node_text(names[0])
