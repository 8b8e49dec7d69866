"""nginx configuration parsing with exact positions (see :mod:`restybuild.conf.lexer`)."""

from __future__ import annotations

from restybuild.conf.lexer import (
    LUA_BLOCK_DIRECTIVES,
    Arg,
    Comment,
    ConfSyntaxError,
    Document,
    LuaBody,
    Node,
    Pos,
    parse,
    parse_document,
)

__all__ = ["LUA_BLOCK_DIRECTIVES", "Arg", "Comment", "ConfSyntaxError", "Document", "LuaBody",
           "Node", "Pos", "parse", "parse_document"]
