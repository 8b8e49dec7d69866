"""Differential test against crossplane on confs without Lua blocks.

Where both read nginx's grammar the same way, names, argument values and nesting must equal
crossplane's. Where they differ, nginx (src/core/ngx_conf_file.c) is right; each such case is
in DIVERGENCES with what nginx reads and what crossplane 0.5.8 (the venv's) reads instead. If
crossplane changes, update the table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import crossplane
import pytest

from restybuild.conf import Arg, ConfSyntaxError, Node, parse
from tests.conf.confgen import ConfGen, Expected
from tests.conf.util import tree

_PAIR = re.compile(r"\\(.)", re.S)
ROOT = Path(__file__).resolve().parents[2]
REPO_CONFS = sorted(p for p in [*ROOT.glob("tests/cases/*/conf/**/*.conf"),
                                *ROOT.glob("tests/cases/*/expected.nginx.conf"),
                                *ROOT.glob("examples/*/conf/**/*.conf")]
                    if "_by_lua_block" not in p.read_text(encoding="utf-8"))

HAND = [
    """
user nginx;
worker_processes auto;  # one per core
events { worker_connections 1024; }
http {
    include       mime.types;
    default_type  application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer"';
    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    upstream app { server 127.0.0.1:8080 weight=5; keepalive 16; }
    server {
        listen 443 ssl http2;
        server_name example.com *.example.com;
        location ~* \\.(?:css|js)$ { expires 30d; add_header Cache-Control "public"; }
        location / { proxy_pass http://app; proxy_set_header Host $host; }
        location = /health { return 200 "ok\\n"; }
        if ($request_method = POST) { return 405; }
        rewrite ^/old/(.*)$ /new/$1 permanent;
        set $x "${host}:${server_port}";
    }
}
""",
    "a\tb\r\nc;\r\nd { e 'f g' \"h;i\" ; }\r\n# end\r\n",
    "x a#b c'd e\"f $g${h}i;",
    "types { text/html html htm; image/png png; }",
]

X = {"directive": "x", "args": []}

# (conf, what nginx reads, what crossplane reads)
DIVERGENCES: list[tuple[str, Any, Any]] = [
    # "}" ends nothing inside a word
    ("a b}c;", [{"directive": "a", "args": ["b}c"]}], "error"),
    # a closing quote must be followed by space, ";" or "{"
    ('a "b"c;', 'unexpected "c"', [{"directive": "a", "args": ["b", "c"]}]),
    ("a ''x;", 'unexpected "x"', [{"directive": "a", "args": ["", "x"]}]),
    # only the "{" right after "$" is part of a word; ";" still ends it
    ("a ${x;y};", [{"directive": "a", "args": ["${x"]}, {"directive": "y}", "args": []}],
     [{"directive": "a", "args": ["${x;y}"]}]),
    # the word ends at the whitespace after "${x}" (crossplane glues it on)
    ("a ${x} b;", [{"directive": "a", "args": ["${x}", "b"]}],
     [{"directive": "a", "args": ["${x} b"]}]),
    # nginx applies \\ \" \' \t \r \n in every word, quoted or not
    ('a "b\\\\c" \'d\\"e\' f\\\\g \\"h \\ti;',
     [{"directive": "a", "args": ["b\\c", 'd"e', "f\\g", '"h', "\ti"]}],
     [{"directive": "a", "args": ["b\\\\c", 'd\\"e', "f\\\\g", '\\"h', "\\ti"]}]),
    # nginx keeps the parentheses of "if" as words; crossplane strips them
    ('if ($a = "b") { x; }',
     [{"directive": "if", "args": ["($a", "=", "b", ")"], "block": [X]}],
     [{"directive": "if", "args": ["$a", "=", "b"], "block": [X]}]),
    # nginx's whitespace is space, tab, CR and LF only
    ("a\fb c;", [{"directive": "a\fb", "args": ["c"]}], [{"directive": "a", "args": ["b", "c"]}]),
    # a comment among arguments is no directive (crossplane adds one even with comments=False)
    ("a b # x\n c;", [{"directive": "a", "args": ["b", "c"]}],
     [{"directive": "a", "args": ["b", "c"]}, {"directive": "#", "args": []}]),
]


def crossplane_tree(path: Path) -> Any:
    payload = crossplane.parse(str(path), single=True, comments=False, check_ctx=False,
                               check_args=False, catch_errors=False)
    if payload["errors"]:
        return "error"

    def strip(block: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for d in block:
            item: dict[str, Any] = {"directive": d["directive"], "args": d["args"]}
            if "block" in d:
                item["block"] = strip(d["block"])
            out.append(item)
        return out

    return strip(payload["config"][0]["parsed"])


def crossplane_value(arg: Arg) -> str:
    """The value crossplane gives a word: it drops the quotes and unescapes only the quote."""
    if not arg.quoted:
        value = arg.raw
    else:
        q = arg.raw[0]
        value = _PAIR.sub(lambda m: q if m.group(1) == q else m.group(0), arg.raw[1:-1])
    return value.replace("\r\n", "\n").replace("\r", "\n")  # it reads with universal newlines


def like_crossplane(nodes: tuple[Node, ...]) -> list[dict[str, Any]]:
    """Ours, as crossplane would put it.

    Where a word has no backslash and no CR its value is nginx's. crossplane also leaves
    escapes (but an escaped quote inside quotes) as written, turns CR LF into LF and drops
    the parentheses of "if".
    """
    out: list[dict[str, Any]] = []
    for node in nodes:
        args = [crossplane_value(a) for a in node.args]
        if node.name == "if" and args and args[0][:1] == "(" and args[-1][-1:] == ")":
            args[0], args[-1] = args[0][1:].lstrip(), args[-1][:-1].rstrip()
            args = args[int(not args[0]):len(args) - int(not args[-1])]
        item: dict[str, Any] = {"directive": node.name, "args": args}
        if node.block is not None:
            item["block"] = like_crossplane(node.block)
        out.append(item)
    return out


def without_comments(block: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(d, block=without_comments(d["block"])) if "block" in d else d
            for d in block if d["directive"] != "#"]


def expected_tree(nodes: list[Expected]) -> list[dict[str, Any]]:
    out = []
    for n in nodes:
        item: dict[str, Any] = {"directive": n.name, "args": n.args}
        if n.block is not None:
            item["block"] = expected_tree(n.block)
        out.append(item)
    return out


def test_repo_confs_are_found() -> None:
    assert len(REPO_CONFS) >= 8


@pytest.mark.parametrize("path", REPO_CONFS, ids=lambda p: str(p.relative_to(ROOT)))
def test_repo_confs_read_like_crossplane(path: Path) -> None:
    ours = like_crossplane(parse(path.read_text(encoding="utf-8")))
    assert ours == without_comments(crossplane_tree(path))


@pytest.mark.parametrize("text", HAND)
def test_hand_written_confs_read_like_crossplane(text: str, tmp_path: Path) -> None:
    path = tmp_path / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    ours = like_crossplane(parse(text))
    assert ours == without_comments(crossplane_tree(path))


@pytest.mark.parametrize("seed", range(6))
def test_generated_confs_read_like_crossplane(seed: int, tmp_path: Path) -> None:
    gen = ConfGen(1000 + seed, crossplane_safe=True)
    path = tmp_path / "nginx.conf"
    for _ in range(50):
        text, want = gen.conf()
        path.write_bytes(text.encode("utf-8"))
        nodes = parse(text)
        assert tree(nodes) == expected_tree(want), text
        assert like_crossplane(nodes) == without_comments(crossplane_tree(path)), text


@pytest.mark.parametrize(("text", "nginx", "theirs"), DIVERGENCES)
def test_where_nginx_and_crossplane_differ(text: str, nginx: Any, theirs: Any,
                                           tmp_path: Path) -> None:
    if isinstance(nginx, str):
        with pytest.raises(ConfSyntaxError) as caught:
            parse(text)
        assert caught.value.message == nginx
    else:
        assert tree(parse(text)) == nginx
    path = tmp_path / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    assert crossplane_tree(path) == theirs
