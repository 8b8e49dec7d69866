"""Checks shared by the conf tests."""

from __future__ import annotations

import re
from typing import Any

from restybuild.conf import Node, Pos

_COMMENT = re.compile(r"#[^\n]*")


def between_words(gap: str) -> bool:
    """Whether ``gap`` is what nginx allows between words: its whitespace and "#" comments."""
    return _COMMENT.sub("", gap).strip(" \t\r\n") == ""


def where(text: str, offset: int) -> Pos:
    """The Pos of ``offset`` worked out the plain way."""
    line_start = text.rfind("\n", 0, offset) + 1
    return Pos(offset, text.count("\n", 0, offset) + 1, offset - line_start + 1)


def check_positions(text: str, nodes: tuple[Node, ...], lo: int = 0, hi: int = -1) -> None:
    """Every position right, every slice what it claims, nothing but space between words."""
    hi = len(text) if hi < 0 else hi
    for node in nodes:
        assert lo <= node.start.offset < node.end.offset <= hi
        lo = node.end.offset
        assert node.name_start == node.start == where(text, node.start.offset)
        assert node.end == where(text, node.end.offset)
        for arg in node.args:
            assert arg.start == where(text, arg.start.offset)
            assert arg.end == where(text, arg.end.offset)
            assert arg.raw == text[arg.start.offset:arg.end.offset]
            if arg.quoted:
                assert arg.raw[0] in "\"'" and arg.raw[-1] == arg.raw[0]
        slice_ = text[node.start.offset:node.end.offset]
        inner = (0, 0)
        if node.block is None and node.lua is None:
            assert slice_.endswith(";")
            assert node.open_brace is None and node.close_brace is None
            tail = node.end.offset - 1
        else:
            assert node.open_brace is not None and node.close_brace is not None
            assert text[node.open_brace.offset] == "{"
            assert text[node.close_brace.offset] == "}"
            assert node.close_brace.offset + 1 == node.end.offset
            assert node.open_brace == where(text, node.open_brace.offset)
            assert node.close_brace == where(text, node.close_brace.offset)
            tail = node.open_brace.offset
            inner = (node.open_brace.offset + 1, node.close_brace.offset)
        assert node.name_end == where(text, node.name_end.offset)
        ends = [node.name_end.offset, *(a.end.offset for a in node.args)]
        starts = [*(a.start.offset for a in node.args), tail]
        for prev, nxt in zip(ends, starts):
            assert prev <= nxt and between_words(text[prev:nxt]), (text[prev:nxt], slice_)
        if node.lua is not None:
            body = node.lua
            assert (body.start.offset, body.end.offset) == inner
            assert body.text == text[body.start.offset:body.end.offset]
            assert body.start == where(text, body.start.offset)
            assert body.end == where(text, body.end.offset)
        if node.block is not None:
            check_positions(text, node.block, *inner)


def tree(nodes: tuple[Node, ...]) -> list[dict[str, Any]]:
    """Names, argument values and nesting, shaped like crossplane's output."""
    out: list[dict[str, Any]] = []
    for node in nodes:
        item: dict[str, Any] = {"directive": node.name, "args": [a.value for a in node.args]}
        if node.block is not None:
            item["block"] = tree(node.block)
        out.append(item)
    return out
