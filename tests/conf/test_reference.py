"""Fuzz: the parser against a literal port of nginx's and lua-nginx-module's reader.

The inputs are long enough (3-14 KB) for nginx's 4096-byte buffer to be refilled many times,
with Lua long brackets and words near its limits, and some are mangled to hit the errors.
Both must give the same directives (names, values, nesting, Lua bodies) or the same error at
the same line.
"""

from __future__ import annotations

import random
from typing import Union

import pytest

from restybuild.conf import ConfSyntaxError, Node, parse
from tests.conf.confgen import ConfGen
from tests.conf.luagen import LuaGen
from tests.conf.nginx_ref import NginxError, Ref, Tree

Result = Union[Tree, tuple[str, int]]


def ours(text: str) -> Result:
    def tree(nodes: tuple[Node, ...]) -> Tree:
        out: Tree = []
        for n in nodes:
            body = n.lua.text if n.lua is not None else None if n.block is None else tree(n.block)
            out.append((n.name, [a.value for a in n.args], body))
        return out

    try:
        return tree(parse(text))
    except ConfSyntaxError as e:
        return (e.message, e.line)


def nginx(text: str) -> Result:
    try:
        return Ref(text.encode("utf-8", "surrogateescape")).parse()
    except NginxError as e:
        return (e.message, e.line)


def _lua_block(rnd: random.Random, lua: LuaGen) -> str:
    name = rnd.choice(("content_by_lua_block", "access_by_lua_block", "log_by_lua_block"))
    pick = rnd.random()
    if pick < 0.3:
        body = f" local s = [{'=' * rnd.randint(0, 2)}["
        body += "x" * rnd.randint(1000, 3500) + body[body.index("["):].replace("[", "]") + " "
    elif pick < 0.4:
        body = " " + "x = 1\n" * rnd.randint(250, 720) + "-- " + "y" * rnd.randint(0, 90) + " {\n"
    else:
        body = lua.chunk()
    return f"{name} {{{body}}}\n"


def conf(seed: int) -> str:
    rnd = random.Random(seed)
    gen, lua = ConfGen(seed, crossplane_safe=False), LuaGen(seed)
    parts, size, goal = [], 0, rnd.randint(3000, 14000)
    while size < goal:
        pick = rnd.random()
        if pick < 0.25:
            part = _lua_block(rnd, lua)
        elif pick < 0.26:
            part = "a " + rnd.choice("x\"é") + "y" * rnd.randint(4080, 4100) + ";\n"
        elif pick < 0.27:
            part = "#" + "c" * rnd.randint(4090, 4100) + "\n"
        else:
            part = gen.conf()[0] + "\n"
        parts.append(part)
        size += len(part.encode())
    text = "".join(parts)
    if rnd.random() < 0.3:  # mangle it
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(text))
            text = text[:at] + rnd.choice(("", "{", "}", '"', "'", ";", "#", "\\", "[[", "--"))\
                + text[at + 1:]
    return text


@pytest.mark.parametrize("block", range(6))
def test_same_as_a_literal_port_of_nginx(block: int) -> None:
    for seed in range(block * 20, block * 20 + 20):
        text = conf(seed)
        assert ours(text) == nginx(text), seed
