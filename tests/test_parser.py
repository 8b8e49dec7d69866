"""The Restyfile grammar and the parser's syntax errors.

Every form of the language page parses to the expected tree; malformed input
gives one `Restyfile:LINE:COL: error: MESSAGE` line; and no input, however
mangled, makes the parser raise anything but RestySyntaxError.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from restybuild.errors import RestySyntaxError
from restybuild.parser import parse
from restybuild.syntax import Value

#: The complete example of the language page (RESTYFILE.md), verbatim.
EXAMPLE = """\
restyfile 1
name adserver

base openresty 1.21.4.3 bookworm          # recipe "openresty", flavor bookworm, that version
# base debian-bookworm                    # the offline base built from Debian packages
# base image registry.internal/openresty:1.13.6.2-2-centos recipe openresty-centos7
#      digest sha256:0123...              # pin an explicit image by digest

prefix /usr/local/openresty/nginx         # nginx prefix (-p) in the image; default: the recipe's
conf nginx/conf                           # nginx.conf, vhosts/, mime.types -> <prefix>/conf
lua  nginx/lua     -> lua                 # Lua sources -> <prefix>/lua
lua  nginx/lua_lib -> lua_lib

native lib/binary_protocol.so -> lua {    # a self-compiled Lua C module, on lua_package_cpath
    search vendor/lib                     # where its own missing dependencies can be found
}

rocks -> luarocks {                       # a luarocks tree at <prefix>/luarocks
    server vendor/rocks                   # optional private or offline rocks server (folder or URL)
    rock lua-cjson 2.1.0.10-1
    rock penlight 1.13.1-1
    rock lua-resty-http 0.17.1-0
    rock rocks/mmdblua-0.2-0.rockspec     # a local rockspec
    system libmaxminddb-dev -> libmaxminddb0   # build-time package -> runtime package
}

shared_dict monitor_status 150m
shared_dict prometheus_metrics 10m

workers 4                                 # or: workers cpu  (= the CPU limit, rounded up)
resources {
    request cpu 1000m memory 512Mi
    limit   cpu 2000m memory 1Gi
}

probe liveness  http /healthz port 80
probe readiness http /ready   port 80 period 5s

metrics prometheus port 8099 path /metrics

env TZ=Asia/Shanghai
expose 80
"""

#: The statements of EXAMPLE as `shape` gives them.
EXAMPLE_SHAPE: list[object] = [
    ("restyfile_stmt", "1"),
    ("name_stmt", "adserver"),
    ("base_stmt", "openresty", "1.21.4.3", "bookworm"),
    ("prefix_stmt", "/usr/local/openresty/nginx"),
    ("conf_stmt", "nginx/conf", None),
    ("lua_stmt", "nginx/lua", "lua"),
    ("lua_stmt", "nginx/lua_lib", "lua_lib"),
    (
        "native_stmt",
        "lib/binary_protocol.so",
        "lua",
        ("native_block", ("search_item", "vendor/lib")),
    ),
    (
        "rocks_stmt",
        "luarocks",
        (
            "rocks_block",
            ("server_item", "vendor/rocks"),
            ("rock_item", "lua-cjson", "2.1.0.10-1"),
            ("rock_item", "penlight", "1.13.1-1"),
            ("rock_item", "lua-resty-http", "0.17.1-0"),
            ("rock_item", "rocks/mmdblua-0.2-0.rockspec", None),
            ("system_item", "libmaxminddb-dev", "libmaxminddb0"),
        ),
    ),
    ("shared_dict_stmt", "monitor_status", "150m"),
    ("shared_dict_stmt", "prometheus_metrics", "10m"),
    ("workers_stmt", "4"),
    (
        "resources_stmt",
        (
            "resources_block",
            (
                "resource_item",
                "request",
                ("resource_pair", "cpu", "1000m"),
                ("resource_pair", "memory", "512Mi"),
            ),
            (
                "resource_item",
                "limit",
                ("resource_pair", "cpu", "2000m"),
                ("resource_pair", "memory", "1Gi"),
            ),
        ),
    ),
    ("probe_stmt", "liveness", "http", "/healthz", ("option", "port", "80")),
    (
        "probe_stmt",
        "readiness",
        "http",
        "/ready",
        ("option", "port", "80"),
        ("option", "period", "5s"),
    ),
    ("metrics_stmt", "prometheus", ("option", "port", "8099"), ("option", "path", "/metrics")),
    ("env_stmt", "TZ=Asia/Shanghai", None),
    ("expose_stmt", "80"),
]


BLOCKS = {("native_stmt", "search"): "native_block", ("rocks_stmt", "items"): "rocks_block",
          ("resources_stmt", "items"): "resources_block"}
NOT_SHOWN = {"span", "key_span"}


def shape(node: object) -> object:
    """A syntax node as nested tuples, (rule, fields...): values become their text as written
    (quotes kept), blocks `(owner_block, items...)` as in the grammar."""
    if node is None or isinstance(node, str):
        return node
    if isinstance(node, Value):
        return node.raw
    assert dataclasses.is_dataclass(node)
    rule = str(node.__dict__.get("RULE") or type(node).__dict__["RULE"])
    out: list[object] = [rule]
    for f in dataclasses.fields(node):
        if f.name in NOT_SHOWN:
            continue
        value = getattr(node, f.name)
        if (rule, f.name) in BLOCKS:
            out.append((BLOCKS[rule, f.name], *(shape(v) for v in value))
                       if value or rule != "native_stmt" else None)
        elif isinstance(value, tuple):
            out.extend(shape(v) for v in value)
        else:
            out.append(shape(value))
    return tuple(out)


def statements(text: str) -> list[object]:
    return [shape(st) for st in parse(text).statements]


def values(text: str) -> list[Value]:
    """Every value of every statement, in order."""
    out: list[Value] = []

    def walk(node: object) -> None:
        if isinstance(node, Value):
            out.append(node)
        elif isinstance(node, tuple):
            for v in node:
                walk(v)
        elif dataclasses.is_dataclass(node):
            for f in dataclasses.fields(node):
                walk(getattr(node, f.name))

    for st in parse(text).statements:
        walk(st)
    return out


def token_types(text: str) -> list[str]:
    """The token types of the values of the first statement, in order."""
    return ["STRING" if v.quoted else "WORD" for v in values(text)]


def first_error_line(src: str) -> str:
    with pytest.raises(RestySyntaxError) as info:
        parse(src)
    return info.value.render(src).splitlines()[0]


# -- (a) every form on the language page parses ------------------------------------------------


def test_the_language_page_example_parses_to_the_expected_statements() -> None:
    assert statements(EXAMPLE) == EXAMPLE_SHAPE


def test_the_example_keeps_positions_of_its_statements() -> None:
    by_name = {st.RULE: st.span for st in parse(EXAMPLE).statements}
    assert (by_name["restyfile_stmt"].line, by_name["restyfile_stmt"].col) == (1, 1)
    native = by_name["native_stmt"]
    assert (native.line, native.end_line) == (14, 16)
    rocks = by_name["rocks_stmt"]
    assert (rocks.line, rocks.end_line) == (18, 25)
    expose = by_name["expose_stmt"]
    assert (expose.line, expose.col) == (42, 1)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("restyfile 1", [("restyfile_stmt", "1")]),
        ("name adserver", [("name_stmt", "adserver")]),
        ("base debian-bookworm", [("base_stmt", "debian-bookworm", None, None)]),
        ("base openresty 1.21.4.3", [("base_stmt", "openresty", "1.21.4.3", None)]),
        ("base openresty 1.21.4.3 bookworm", [("base_stmt", "openresty", "1.21.4.3", "bookworm")]),
        (
            "base image registry.internal/openresty:1.13.6.2-2-centos recipe openresty",
            [
                (
                    "base_image_stmt",
                    "registry.internal/openresty:1.13.6.2-2-centos",
                    "openresty",
                    None,
                )
            ],
        ),
        (
            "base image reg.example/app:1 recipe openresty digest sha256:" + "0a" * 32,
            [("base_image_stmt", "reg.example/app:1", "openresty", "sha256:" + "0a" * 32)],
        ),
        ("prefix /usr/local/openresty/nginx", [("prefix_stmt", "/usr/local/openresty/nginx")]),
        ("conf nginx/conf", [("conf_stmt", "nginx/conf", None)]),
        ("conf nginx/conf -> conf", [("conf_stmt", "nginx/conf", "conf")]),
        ("lua nginx/lua -> lua", [("lua_stmt", "nginx/lua", "lua")]),
        ("native lib/x.so -> lua", [("native_stmt", "lib/x.so", "lua", None)]),
        (
            "native lib/x.so -> lua {\n    search vendor/lib other/lib\n}",
            [
                (
                    "native_stmt",
                    "lib/x.so",
                    "lua",
                    ("native_block", ("search_item", "vendor/lib", "other/lib")),
                )
            ],
        ),
        ("rocks -> luarocks {\n}", [("rocks_stmt", "luarocks", ("rocks_block",))]),
        (
            "rocks -> luarocks {\n    server https://luarocks.example/rocks\n}",
            [
                (
                    "rocks_stmt",
                    "luarocks",
                    ("rocks_block", ("server_item", "https://luarocks.example/rocks")),
                )
            ],
        ),
        (
            "rocks -> t {\n    rock penlight 1.13.1-1\n}",
            [("rocks_stmt", "t", ("rocks_block", ("rock_item", "penlight", "1.13.1-1")))],
        ),
        (
            "rocks -> t {\n    rock rocks/mmdblua-0.2-0.rockspec\n}",
            [
                (
                    "rocks_stmt",
                    "t",
                    ("rocks_block", ("rock_item", "rocks/mmdblua-0.2-0.rockspec", None)),
                )
            ],
        ),
        (
            "rocks -> t {\n    rock rocks/x-1.0-1.src.rock\n}",
            [("rocks_stmt", "t", ("rocks_block", ("rock_item", "rocks/x-1.0-1.src.rock", None)))],
        ),
        (
            "rocks -> t {\n    system libmaxminddb-dev -> libmaxminddb0\n}",
            [
                (
                    "rocks_stmt",
                    "t",
                    ("rocks_block", ("system_item", "libmaxminddb-dev", "libmaxminddb0")),
                )
            ],
        ),
        (
            "rocks -> t {\n    system build-essential\n}",
            [("rocks_stmt", "t", ("rocks_block", ("system_item", "build-essential", None)))],
        ),
        ("shared_dict monitor_status 150m", [("shared_dict_stmt", "monitor_status", "150m")]),
        ("workers 4", [("workers_stmt", "4")]),
        ("workers cpu", [("workers_stmt", "cpu")]),
        (
            "resources {\n    request cpu 500m\n    limit memory 1Gi cpu 1.5\n}",
            [
                (
                    "resources_stmt",
                    (
                        "resources_block",
                        ("resource_item", "request", ("resource_pair", "cpu", "500m")),
                        (
                            "resource_item",
                            "limit",
                            ("resource_pair", "memory", "1Gi"),
                            ("resource_pair", "cpu", "1.5"),
                        ),
                    ),
                )
            ],
        ),
        (
            "probe startup http /started port 8080 period 2s timeout 1s",
            [
                (
                    "probe_stmt",
                    "startup",
                    "http",
                    "/started",
                    ("option", "port", "8080"),
                    ("option", "period", "2s"),
                    ("option", "timeout", "1s"),
                )
            ],
        ),
        (
            "metrics prometheus port 9145",
            [("metrics_stmt", "prometheus", ("option", "port", "9145"))],
        ),
        ("env TZ=Asia/Shanghai", [("env_stmt", "TZ=Asia/Shanghai", None)]),
        ('env NAME="a b"', [("env_stmt", "NAME=", '"a b"')]),
        ('env "NAME=a b"', [("env_stmt", '"NAME=a b"', None)]),
        ("expose 80", [("expose_stmt", "80")]),
        ("expose 80 443 8099", [("expose_stmt", "80", "443", "8099")]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_statement_form(src: str, expected: list[object]) -> None:
    assert statements(src) == expected


def test_quoted_strings_keep_spaces_hashes_braces_and_escapes() -> None:
    src = 'lua "my src # not a comment {x}" -> "dst \\" dir"\n'
    assert statements(src) == [("lua_stmt", '"my src # not a comment {x}"', '"dst \\" dir"')]
    assert token_types(src) == ["STRING", "STRING"]
    assert statements('name ""') == [("name_stmt", '""')]


def test_env_with_a_quoted_value_is_a_word_and_a_string() -> None:
    assert token_types('env NAME="a b"') == ["WORD", "STRING"]


def test_keywords_are_values_where_a_value_is_expected() -> None:
    src = "name lua\nprefix rock\nworkers cpu\nexpose port\n"
    assert statements(src) == [
        ("name_stmt", "lua"),
        ("prefix_stmt", "rock"),
        ("workers_stmt", "cpu"),
        ("expose_stmt", "port"),
    ]


def test_comments_at_line_ends_and_on_their_own_lines() -> None:
    src = (
        "# a comment first\n"
        "name app # the app\n"
        "    # an indented comment\n"
        "workers 2#no space before the hash\n"
        "rocks -> t { # after the brace\n"
        "    rock a 1-1 # after an item\n"
        "} # after the closing brace\n"
    )
    assert statements(src) == [
        ("name_stmt", "app"),
        ("workers_stmt", "2"),
        ("rocks_stmt", "t", ("rocks_block", ("rock_item", "a", "1-1"))),
    ]


def test_blank_lines_and_whitespace_only_lines() -> None:
    src = "\n\n   \n\t\nname app\n\n\n  \t  \nworkers 2\n\n"
    assert statements(src) == [("name_stmt", "app"), ("workers_stmt", "2")]


def test_empty_and_comment_only_files_parse() -> None:
    assert statements("") == []
    assert statements("\n\n") == []
    assert statements("# nothing yet\n") == []


def test_no_newline_at_the_end_of_the_file() -> None:
    assert statements("name app\nworkers 2") == [("name_stmt", "app"), ("workers_stmt", "2")]
    assert statements("rocks -> t {\n    rock a 1-1\n}") == [
        ("rocks_stmt", "t", ("rocks_block", ("rock_item", "a", "1-1")))
    ]


def test_crlf_line_endings() -> None:
    crlf = EXAMPLE.replace("\n", "\r\n")
    assert statements(crlf) == EXAMPLE_SHAPE
    workers = parse("name app\r\nworkers 2\r\n").statements[1]
    assert (workers.span.line, workers.span.col) == (2, 1)


def test_blocks_on_one_line() -> None:
    assert statements("native a.so -> lua { search a }") == [
        ("native_stmt", "a.so", "lua", ("native_block", ("search_item", "a")))
    ]
    assert statements("rocks -> t { rock a 1-1 }") == [
        ("rocks_stmt", "t", ("rocks_block", ("rock_item", "a", "1-1")))
    ]
    assert statements("rocks -> t {}") == [("rocks_stmt", "t", ("rocks_block",))]
    assert statements("resources { limit cpu 2 memory 1Gi }") == [
        (
            "resources_stmt",
            (
                "resources_block",
                (
                    "resource_item",
                    "limit",
                    ("resource_pair", "cpu", "2"),
                    ("resource_pair", "memory", "1Gi"),
                ),
            ),
        )
    ]


def test_block_opening_on_one_line_and_closing_later() -> None:
    src = "rocks -> t { rock a 1-1\n    rock b 2-1\n}\n"
    assert statements(src) == [
        ("rocks_stmt", "t", ("rocks_block", ("rock_item", "a", "1-1"), ("rock_item", "b", "2-1")))
    ]


def test_values_carry_line_and_column() -> None:
    positions = [(v.span.line, v.span.col) for v in values("name app\n\nlua  src   ->   dst\n")]
    assert positions == [(1, 6), (3, 6), (3, 17)]


# -- (b) malformed input: one exact `file:line:col: error: message` line -----------------------

MALFORMED: list[tuple[str, str, str]] = [
    (
        "misspelt-shared_dict",
        "name a\nshared_dic x 1m\n",
        "Restyfile:2:1: error: unknown statement `shared_dic`; did you mean `shared_dict`?",
    ),
    (
        "misspelt-lua",
        "name a\nlau src -> lua\n",
        "Restyfile:2:1: error: unknown statement `lau`; did you mean `lua`?",
    ),
    (
        "misspelt-workers",
        "worker 4\n",
        "Restyfile:1:1: error: unknown statement `worker`; did you mean `workers`?",
    ),
    (
        "misspelt-name",
        "nam app\n",
        "Restyfile:1:1: error: unknown statement `nam`; did you mean `name`?",
    ),
    (
        "misspelt-rock",
        "rocks -> t {\n    rok x 1-1\n}\n",
        "Restyfile:2:5: error: unknown item `rok` in the `rocks` block; did you mean `rock`?",
    ),
    (
        "misspelt-server",
        "rocks -> t {\n    serer x\n}\n",
        "Restyfile:2:5: error: unknown item `serer` in the `rocks` block; did you mean `server`?",
    ),
    (
        "misspelt-search",
        "native a.so -> lua {\n    serch x\n}\n",
        "Restyfile:2:5: error: unknown item `serch` in the `native` block; did you mean `search`?",
    ),
    (
        "misspelt-limit",
        "resources {\n  limt cpu 1\n}\n",
        "Restyfile:2:3: error: unknown item `limt` in the `resources` block; did you mean `limit`?",
    ),
    (
        "unknown-statement",
        "name a\nfrobnicate 3\n",
        "Restyfile:2:1: error: unknown statement `frobnicate`",
    ),
    (
        "missing-arrow-lua",
        "lua src lua\n",
        "Restyfile:1:9: error: expected `->` before `lua` in `lua`",
    ),
    (
        "missing-arrow-conf",
        "conf src lua\n",
        "Restyfile:1:10: error: expected `->` before `lua` in `conf`",
    ),
    (
        "missing-arrow-rocks",
        "rocks luarocks {\n}\n",
        "Restyfile:1:7: error: expected `->` before `luarocks` in `rocks`",
    ),
    (
        "missing-arrow-native-eol",
        "native x.so\n",
        "Restyfile:1:12: error: `native` is incomplete: expected `->` before the end of the line",
    ),
    (
        "missing-arrow-system",
        "rocks -> t {\n  system a b\n}\n",
        "Restyfile:2:12: error: expected `->` before `b` in `system`",
    ),
    (
        "missing-value-name",
        "name\n",
        "Restyfile:1:5: error: `name` is incomplete: expected a value before the end of the line",
    ),
    (
        "missing-value-shared_dict",
        "shared_dict cache\n",
        "Restyfile:1:18: error: `shared_dict` is incomplete: expected a value before the end of the line",
    ),
    (
        "missing-value-lua-dst",
        "lua src ->\n",
        "Restyfile:1:11: error: `lua` is incomplete: expected a value before the end of the line",
    ),
    (
        "missing-value-probe-port",
        "probe liveness http /h port\n",
        "Restyfile:1:28: error: `probe` is incomplete: expected a value before the end of the line",
    ),
    (
        "missing-value-request",
        "resources {\n  request cpu\n}\n",
        "Restyfile:2:14: error: `request` is incomplete: expected a value before the end of the line",
    ),
    (
        "missing-block-rocks",
        "rocks -> t\n",
        "Restyfile:1:11: error: `rocks` is incomplete: expected `{` before the end of the line",
    ),
    ("missing-value-before-brace", "name }\n", "Restyfile:1:6: error: `}` closes no block"),
    (
        "extra-value-name",
        "name a b\n",
        "Restyfile:1:8: error: unexpected `b` in `name`; expected end of line",
    ),
    (
        "extra-value-shared_dict",
        "shared_dict x 1m 2m\n",
        "Restyfile:1:18: error: unexpected `2m` in `shared_dict`; expected end of line",
    ),
    (
        "extra-value-workers",
        "workers 1 2\n",
        "Restyfile:1:11: error: unexpected `2` in `workers`; expected end of line",
    ),
    (
        "extra-value-rock",
        "rocks -> t {\n  rock a 1-1 c\n}\n",
        "Restyfile:2:14: error: unexpected `c` in `rock`; expected `}`, end of line",
    ),
    (
        "extra-arrow-conf",
        "conf a -> b -> c\n",
        "Restyfile:1:13: error: expected a value before `->` in `conf`",
    ),
    ("stray-brace-first", "}\n", "Restyfile:1:1: error: `}` closes no block"),
    (
        "stray-brace-after-block",
        "rocks -> t {\n    rock x 1-1\n}\n}\n",
        "Restyfile:4:1: error: `}` closes no block",
    ),
    (
        "unclosed-block-eof",
        "rocks -> t {\n",
        "Restyfile:1:1: error: the `rocks` block opened here is never closed",
    ),
    (
        "unclosed-block-eof-no-newline",
        "resources {",
        "Restyfile:1:1: error: the `resources` block opened here is never closed",
    ),
    ("unterminated-string", 'name "abc\n', "Restyfile:1:6: error: unterminated string"),
    (
        "unterminated-string-second-line",
        'name a\nenv A="x\n',
        "Restyfile:2:7: error: unterminated string",
    ),
    ("newline-inside-string", 'env A="x\ny"\n', "Restyfile:1:7: error: unterminated string"),
    ("block-on-name", "name a {\n}\n", "Restyfile:1:8: error: `name` takes no block"),
    ("block-on-workers", "workers 2 {\n}\n", "Restyfile:1:11: error: `workers` takes no block"),
    (
        "block-on-rock",
        "rocks -> t {\n  rock x 1-1 {\n  }\n}\n",
        "Restyfile:2:14: error: `rock` takes no block",
    ),
    ("nul-byte", "name a\nbase x\x00\n", "Restyfile:2:1: error: the file contains a NUL byte"),
    (
        "lone-open-brace",
        "{\n",
        "Restyfile:1:1: error: `{` must follow the statement it belongs to, on its line",
    ),
    (
        "brace-before-arrow",
        "rocks {\n}\n",
        "Restyfile:1:7: error: unexpected `{` in `rocks`; expected `->`",
    ),
    (
        "unknown-probe-option",
        "probe liveness http /h port 80 bogus 3\n",
        "Restyfile:1:32: error: unexpected `bogus` in `probe`; expected an option (`port`, `period`, `timeout`, `initial_delay`, `failure_threshold`), end of line",
    ),
    (
        "unknown-resource",
        "resources {\n  request gpu 1\n}\n",
        "Restyfile:2:11: error: unexpected `gpu` in `request`; expected `cpu` or `memory`",
    ),
    (
        "base-image-without-recipe",
        "base image reg/app:1 digest sha256:0\n",
        "Restyfile:1:22: error: unexpected `digest` in `base`; expected `recipe`",
    ),
    (
        "item-outside-block",
        "name a\n  rock x 1-1\n",
        "Restyfile:2:3: error: `rock` belongs inside a `rocks` block",
    ),
    (
        "statement-inside-block",
        "rocks -> t {\n  name x\n}\n",
        "Restyfile:2:3: error: `name` cannot appear inside the `rocks` block",
    ),
    ("arrow-as-statement", "-> x\n", "Restyfile:1:1: error: unknown statement `->`"),
    (
        "crlf-error",
        "name a\r\nname\r\n",
        "Restyfile:2:5: error: `name` is incomplete: expected a value before the end of the line",
    ),
    (
        "after-comment",
        "name a  # the app\nworkers\n",
        "Restyfile:2:8: error: `workers` is incomplete: expected a value before the end of the line",
    ),
    ("lone-cr", "name a\rbase b\n", "Restyfile:1:7: error: unexpected '\\r' in `name`"),
    ("vertical-tab", "name a\x0b\n", "Restyfile:1:7: error: unexpected '\\x0b' in `name`"),
]


@pytest.mark.parametrize(
    ("src", "expected"), [(s, e) for _i, s, e in MALFORMED], ids=[i for i, _s, _e in MALFORMED]
)
def test_malformed_input_gives_one_exact_error_line(src: str, expected: str) -> None:
    assert first_error_line(src) == expected


def test_there_are_enough_malformed_cases() -> None:
    assert len(MALFORMED) >= 25


def test_misspelt_statement_hint_lists_the_known_statements() -> None:
    with pytest.raises(RestySyntaxError) as info:
        parse("shared_dic x 1m\n")
    assert info.value.hint is not None
    assert "shared_dict" in info.value.hint


def test_incomplete_statement_hint_shows_the_usage() -> None:
    with pytest.raises(RestySyntaxError) as info:
        parse("lua src\n")
    assert info.value.hint == "usage: lua SRC -> DST"


def test_rendered_error_shows_the_line_and_a_caret_under_the_token() -> None:
    src = "name app\nshared_dict cache 1m 2m\n"
    with pytest.raises(RestySyntaxError) as info:
        parse(src)
    lines = info.value.render(src).splitlines()
    assert lines[1] == "    shared_dict cache 1m 2m"
    assert lines[2] == "    " + " " * 21 + "^^"


def test_the_file_name_is_the_one_given() -> None:
    with pytest.raises(RestySyntaxError) as info:
        parse("nam x\n", "apps/web/Restyfile")
    assert str(info.value.span) == "apps/web/Restyfile:1:1"


def test_syntax_errors_exit_with_2() -> None:
    with pytest.raises(RestySyntaxError) as info:
        parse("}\n")
    assert info.value.exit_code == 2


# -- (c) brute check: truncations and single-character mutations of the example ----------------

MUTATION_ALPHABET = 'ab0{}"#\\-> \t\n\r=./\x00\x0b\x0c\u00e9\u2028'


def _parse_or_syntax_error(text: str) -> None:
    """Parse `text`; a failure must be a RestySyntaxError pointing at a real place."""
    try:
        parse(text)
    except RestySyntaxError as e:
        assert e.span is not None, repr(text)
        assert e.span.line >= 1 and e.span.col >= 1, (repr(text), e.span)
        e.render(text)  # rendering never fails either


def test_every_prefix_of_the_example_parses_or_is_a_syntax_error() -> None:
    for end in range(len(EXAMPLE) + 1):
        _parse_or_syntax_error(EXAMPLE[:end])


def _mutate(text: str, rng: random.Random) -> str:
    pos = rng.randrange(len(text))
    op = rng.choice(("replace", "insert", "delete"))
    char = rng.choice(MUTATION_ALPHABET)
    if op == "replace":
        return text[:pos] + char + text[pos + 1 :]
    if op == "insert":
        return text[:pos] + char + text[pos:]
    return text[:pos] + text[pos + 1 :]


def test_random_single_character_mutations_parse_or_are_syntax_errors() -> None:
    rng = random.Random(0)
    mutants = [_mutate(EXAMPLE, rng) for _ in range(300)]
    assert len(set(mutants)) > 250  # the mutations really differ
    for text in mutants:
        _parse_or_syntax_error(text)
