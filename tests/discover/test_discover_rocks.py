"""discover on a host with two luarocks trees: the system tree and an app tree, both on the
conf's Lua path; every rock of both pinned once, as Lua would load it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.discover import Options, discover
from restybuild.resolve import load_project
from tests.discover.fixtures import ROCKS, add_app_tree, centos_host


@pytest.fixture()
def host(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "host"
    nginx_v = centos_host(root)
    add_app_tree(root)
    return root, nginx_v


def test_both_trees_are_read_and_the_one_earlier_on_the_path_wins(
        host: tuple[Path, Path]) -> None:
    root, nginx_v = host
    d = discover(Options(str(root), nginx_v=str(nginx_v)))
    assert [r.tree for r in d.rocks] == ["/opt/app/rocks", "/usr/local/openresty/luajit"]
    assert [len(r.rocks) for r in d.rocks] == [2, 12]
    pins = {p.name: (p.version, p.tree) for p in d.pins}
    assert len(d.pins) == len(ROCKS) + 1  # adutil once
    assert pins["adutil"] == ("1.3-1", "/opt/app/rocks")
    assert pins["lua-resty-adqueue"] == ("0.4-1", "/opt/app/rocks")
    assert pins["lua-resty-adjwt"] == ("0.2.3-0", "/usr/local/openresty/luajit")
    order = [p.name for p in d.pins]
    assert order.index("adutil") < order.index("lua-resty-adqueue")  # its dependency first
    assert order.index("lua-resty-adhmac") < order.index("lua-resty-adjwt")
    dups = [f for f in d.findings if "is in two trees" in f.message]
    assert [(f.severity, f.message, f.where) for f in dups] == [(
        "warning", "the rock adutil is in two trees: /opt/app/rocks (1.3-1) and "
        "/usr/local/openresty/luajit (1.2-1); /opt/app/rocks is earlier on lua_package_path, "
        "so Lua loads its copy: 1.3-1 is pinned",
        "/usr/local/openresty/luajit/lib/luarocks/rocks-5.1/adutil/1.2-1")]


def test_the_written_rocks_block_pins_every_rock_of_both_trees(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    out = tmp_path / "adserver"
    main(["discover", str(root), "--nginx-v", str(nginx_v), "-o", str(out)])
    text = capsys.readouterr().out
    assert text.count("the rock adutil is in two trees") == 1, text
    restyfile = (out / "Restyfile").read_text()
    rocks = [ln.split()[1:3] for ln in restyfile.splitlines() if ln.startswith("    rock ")]
    assert ["adutil", "1.3-1"] in rocks and ["adutil", "1.2-1"] not in rocks
    assert ["lua-resty-adqueue", "0.4-1"] in rocks and len(rocks) == 13
    assert "rocks -> /opt/app/rocks {" in restyfile
    assert "# the old host had 2 trees: /opt/app/rocks, /usr/local/openresty/luajit; the " \
        "rocks of all go into /opt/app/rocks, the first on the Lua path" in restyfile
    line = next(ln for ln in restyfile.splitlines() if "rock lua-resty-adtemplate" in ln)
    assert line.endswith("# installed version (from the tree /usr/local/openresty/luajit)")
    os.chdir(out)
    project = load_project("Restyfile")
    assert project.rocks is not None and len(project.rocks.rocks) == 13
