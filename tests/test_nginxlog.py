"""nginx's messages in the user's terms: the effective conf's place mapped to the user's line."""

from __future__ import annotations

from pathlib import Path

from restybuild.inputs import load
from restybuild.nginxlog import interesting, locate, strip_ansi
from restybuild.plan import plan
from tests.conftest import write_tree


def test_messages_are_mapped_deduplicated_and_clean(tmp_path: Path) -> None:
    write_tree(tmp_path, {"Restyfile": "name app\nbase debian-bookworm\nconf conf\n"
                                       "shared_dict hits 1m\n",
                          "conf/nginx.conf": "events {}\nhttp {\n    bogus on;\n}\n"})
    inputs = load(tmp_path / "Restyfile")
    bp = plan(inputs.project, inputs.base.index, inputs.tree)
    main = bp.effective.file("nginx.conf")
    assert main is not None
    n = main.text.splitlines().index("    bogus on;") + 1
    added = main.text.splitlines().index("    lua_shared_dict hits 1m;") + 1
    log = (f"2026/12/02 01:00:00 [emerg] 1#1: unknown directive \"bogus\" in "
           f"/usr/share/nginx/conf/nginx.conf:{n}\n") * 2 + \
        f"nginx: [emerg] zone \"hits\" is bad in /usr/share/nginx/conf/nginx.conf:{added}\n" \
        "\x1b[31mnginx: [warn] something\x1b[0m\n"
    lines = interesting(log, bp.effective)
    assert [x.line for x in lines] == [
        f"{tmp_path}/conf/nginx.conf:3:1: emerg: unknown directive \"bogus\"",
        f"{tmp_path}/Restyfile:4:1: emerg: zone \"hits\" is bad"]
    assert locate("2026/12/02 01:00:00 [error] 7#7: *1 open() failed", bp.effective).span is None
    assert strip_ansi("\x1b[1mStep 1/3\x1b[0m") == "Step 1/3"


def test_a_lua_block_error_is_shown_at_the_users_line(tmp_path: Path) -> None:
    write_tree(tmp_path, {"Restyfile": "name app\nbase debian-bookworm\nconf conf\n",
                          "conf/nginx.conf": "events {}\nhttp {\n    init_by_lua_block {\n"
                                             "        local x = 1\n"
                                             '        ngx.shared.sessions:set("a", 1)\n'
                                             "    }\n}\n"})
    inputs = load(tmp_path / "Restyfile")
    bp = plan(inputs.project, inputs.base.index, inputs.tree, inputs.facts)
    main = bp.effective.file("nginx.conf")
    assert main is not None
    n = main.text.splitlines().index("    init_by_lua_block {") + 1
    log = (f"nginx: [error] init_by_lua error: init_by_lua(nginx.conf:{n}):3: attempt to "
           "index field 'sessions' (a nil value)\n")
    [line] = interesting(log, bp.effective)
    assert line.span is not None and (line.span.line, line.span.col) == (5, 1)
    assert line.line == (f"{tmp_path}/conf/nginx.conf:5:1: error: init_by_lua error: attempt "
                         "to index field 'sessions' (a nil value)")
