"""Every Lua block survives the effective conf byte for byte (crossplane's rebuild did not),
and every byte of the user's conf outside the edits stays as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from restybuild.conf import parse
from restybuild.conf.lexer import Node
from restybuild.inputs import load
from restybuild.plan import plan
from tests.conf.luagen import LuaGen
from tests.conf.test_lua_roundtrip import HTTP_CONTEXTS
from tests.conftest import write_tree

RESTYFILE = ("name app\nbase debian-bookworm\nconf conf\nshared_dict hits 1m\nworkers 2\n"
             "probe readiness http /ready port 8080\n")


def _bodies(nodes: tuple[Node, ...]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for n in nodes:
        if n.lua is not None:
            out.append((n.name, n.lua.text))
        if n.block:
            out += _bodies(n.block)
    return out


def _conf(directive: str, where: str, lua: str) -> str:
    """`directive` with `lua`, placed in `where` (http, server, location /, upstream)."""
    args = " $v" if directive == "set_by_lua_block" else ""
    block = f"{directive}{args} {{{lua}}}\n"
    if where == "http":
        inner = block + "    server {\n        listen 8080;\n    }\n"
    elif where == "server":
        inner = f"    server {{\n        listen 8080;\n        {block}    }}\n"
    elif where == "location /":
        inner = f"    server {{\n        listen 8080;\n        location / {{\n{block}}}\n    }}\n"
    else:
        inner = (f"    upstream backend {{\n        server 127.0.0.1:1;\n        {block}    }}\n"
                 "    server {\n        listen 8080;\n    }\n")
    return ("# a conf with comments, odd spacing and quoting\nworker_processes  auto ;\n"
            "events {  worker_connections 64;  }\nhttp {\n    # keep me\n"
            "    default_type  'text/plain';\n" + inner + "}\n# the end\n")


CASES = [(d, w) for d, places in sorted(HTTP_CONTEXTS.items()) for w in places]


@pytest.mark.parametrize(("directive", "where"), CASES)
def test_lua_survives_byte_exact_in_every_lua_block_directive(
        tmp_path: Path, directive: str, where: str) -> None:
    gen = LuaGen(hash((directive, where)) % 1000)
    for i in range(6):
        lua = gen.chunk()
        root = tmp_path / str(i)
        text = _conf(directive, where, lua)
        write_tree(root, {"Restyfile": RESTYFILE, "conf/nginx.conf": text})
        inputs = load(root / "Restyfile")
        bp = plan(inputs.project, inputs.base.index, inputs.tree)
        effective = bp.effective.file("nginx.conf")
        assert effective is not None
        got = _bodies(parse(effective.text))
        assert (directive, lua) in got, (directive, where, lua)
        # the user's lines outside the edits are all there, in order
        lines = iter(effective.text.splitlines())
        for line in text.splitlines():
            if "worker_processes" in line:
                continue  # `auto` was replaced by the Restyfile's `workers 2`
            assert any(line == out for out in lines), line


def test_only_the_edited_spans_change(tmp_path: Path) -> None:
    text = ("worker_processes   auto;   # the node's CPUs\n"
            "error_log  /var/log/nginx/error.log  warn ;\n"
            "events {}\nhttp {\n    lua_package_path  '$prefix/lua/?.lua;;' ;\n"
            "    server { listen 8080; location / { return 200 \"a;b\\n\"; } }\n}\n")
    write_tree(tmp_path, {"Restyfile": RESTYFILE + "lua lua -> lua\n",
                          "conf/nginx.conf": text, "lua/a.lua": "return 1\n"})
    inputs = load(tmp_path / "Restyfile")
    effective = plan(inputs.project, inputs.base.index, inputs.tree).effective.file("nginx.conf")
    assert effective is not None
    out = effective.text
    assert "worker_processes   2;   # the node's CPUs\n" in out
    assert "error_log  stderr  warn ;\n" in out
    assert ("    lua_package_path  \"$prefix/lua/?.lua;/usr/share/nginx/lua/?/init.lua;;\" ;\n"
            in out)
    assert "location / { return 200 \"a;b\\n\"; }" in out
    # every output line knows where it comes from
    user_line = effective.origin(out.splitlines().index("error_log  stderr  warn ;") + 1)
    assert user_line is not None
    assert (user_line.file, user_line.line) == (str(tmp_path / "conf/nginx.conf"), 2)
    added = effective.origin(out.splitlines().index("    lua_shared_dict hits 1m;") + 1)
    assert added is not None and (added.file, added.line) == (str(tmp_path / "Restyfile"), 4)
