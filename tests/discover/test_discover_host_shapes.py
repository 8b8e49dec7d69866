"""discover on host shapes seen on real legacy boxes beyond the standard one: a SysV init
script whose nginx runs a main conf not named nginx.conf through shell variables, a
`--conf-path` in `nginx -V`, a symlink loop among the shipped files, the project written
inside a folder discover copies (`discover /`), and an OpenResty host whose `nginx -V`
was not saved. Every one must still give a project that resolves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.discover import Options, discover
from restybuild.discover.conf import find_conf
from restybuild.discover.launch import find_launch
from restybuild.discover.nginx import read_nginx
from restybuild.lint.runner import lint
from restybuild.resolve import load_project
from tests.conftest import write_tree
from tests.discover.fixtures import NGINX_V, PREFIX, centos_host, init_script_host


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = main(["discover", *args])
    captured = capsys.readouterr()
    return rc, captured.out + captured.err


def test_an_init_scripts_shell_variables_give_the_conf_and_the_library_path(
        tmp_path: Path) -> None:
    root = tmp_path / "host"
    init_script_host(root)
    launch = find_launch(root)
    assert (launch.conf, launch.prefix, launch.ld_library_path, launch.source) == (
        f"/{PREFIX}/conf/ads.conf", None, ("/usr/local/vendor/lib",), "/etc/init.d/openresty")


def test_a_main_conf_not_named_nginx_conf_is_read_and_shipped_as_nginx_conf(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "host"
    nginx_v = init_script_host(root)
    d = discover(Options(str(root), nginx_v=str(nginx_v)))
    assert d.conf is not None and d.conf.main == f"/{PREFIX}/conf/ads.conf"
    assert d.conf.dicts == (("ad_cache", "10m"), ("monitor_status", "1m"))
    assert f"/{PREFIX}/conf/vhosts/ads.conf" in d.conf.files  # its includes were followed
    out = tmp_path / "adserver"
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(out))
    assert rc == 0, text
    host_main = (root / PREFIX / "conf/ads.conf").read_text()
    assert (out / "conf/nginx.conf").read_text() == host_main
    assert (out / "conf/ads.conf").read_text() == host_main  # the folder is shipped whole
    restyfile = (out / "Restyfile").read_text()
    assert "its main file ads.conf (the host's -c) is copied as nginx.conf" in restyfile
    assert "search natives/lib" in restyfile  # the init script's LD_LIBRARY_PATH was used
    os.chdir(out)
    project = load_project("Restyfile")
    assert [n.src for n in project.natives] == ["natives/binary_protocol.so"]
    assert [d for d in lint("Restyfile", {}).diagnostics if d.severity == "error"] == []


def test_nginx_v_conf_path_names_the_main_conf_when_nothing_starts_nginx(
        tmp_path: Path) -> None:
    root = tmp_path / "host"
    centos_host(root)
    (root / "etc/systemd/system/openresty.service").unlink()
    write_tree(root, {"etc/openresty/main.conf": "events {}\n"})
    text = NGINX_V.replace("--prefix=/usr/local/openresty/nginx",
                           "--prefix=/usr/local/openresty/nginx "
                           "--conf-path=/etc/openresty/main.conf")
    nginx, _ = read_nginx(text, root, None)
    assert find_conf(root, True, nginx, find_launch(root)) == (
        "/etc/openresty/main.conf", "/usr/local/openresty/nginx")
    relative = read_nginx(text.replace("=/etc/openresty/main.conf", "=conf/other.conf"),
                          root, None)[0]
    assert find_conf(root, True, relative, find_launch(root))[0] == \
        "/usr/local/openresty/nginx/conf/other.conf"  # relative to the prefix, as nginx does


def test_a_symlink_loop_among_shipped_files_is_a_warning_not_a_crash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "host"
    nginx_v = centos_host(root)
    write_tree(root, {f"{PREFIX}/html/static/a": f"@symlink {root}/{PREFIX}/html/static/b",
                      f"{PREFIX}/html/static/b": f"@symlink {root}/{PREFIX}/html/static/a"})
    out = tmp_path / "adserver"
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(out))
    assert rc == 0, text
    assert f"/{PREFIX}/html/static/a is a symlink loop: not copied" in text
    assert (out / "html/static/banner.txt").is_file()
    assert not (out / "html/static/a").exists() and not (out / "html/static/a").is_symlink()


def test_the_project_may_be_written_inside_a_folder_discover_copies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`discover / -o /srv/project` on the host itself: the output folder is never walked,
    so the copy is not copied into itself, and nothing else of ROOT changes."""
    root = tmp_path / "host"
    nginx_v = centos_host(root)
    before = sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*"))
    out = root / PREFIX / "html/restyproj"
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(out))
    assert rc == 0, text
    after = sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*")
                   if out != p and out not in p.parents)
    assert [p for p, _ in after] == [p for p, _ in before]
    assert [x for x in after if x[0] != out.parent] == [x for x in before if x[0] != out.parent]
    assert (out / "html/static/banner.txt").is_file()
    assert not (out / "html/restyproj").exists()  # not copied into itself
    os.chdir(out)
    load_project("Restyfile")
    assert run(capsys, str(root), "-o", str(root))[0] == 3  # ROOT itself: never written


def test_an_openresty_host_without_nginx_v_gets_the_newest_image_of_its_family(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "host"
    centos_host(root)
    out = tmp_path / "adserver"
    rc, text = run(capsys, str(root), "-o", str(out))
    assert rc == 0, text
    restyfile = (out / "Restyfile").read_text()
    base = next(ln for ln in restyfile.splitlines() if ln.startswith("base "))
    assert base.split()[:2] == ["base", "openresty"] and base.split()[3] == "centos7", base
    assert "its release not known: guess: the newest official image of that family" \
        in restyfile
    os.chdir(out)
    assert load_project("Restyfile").flavor.label == f"openresty:{base.split()[2]}-centos7"


def test_a_rock_that_builds_against_a_system_library_gets_its_packages(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.discover.fixtures import ROCKS, TREE, tree_files

    root = tmp_path / "host"
    nginx_v = centos_host(root)
    write_tree(root, tree_files(TREE, [*ROCKS, ("luasec", "1.3.2-1", {"ssl": "return {}\n"},
                                                {})]))
    out = tmp_path / "adserver"
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(out))
    assert rc == 0, text
    restyfile = (out / "Restyfile").read_text()
    assert "    rock luasec 1.3.2-1" in restyfile
    assert "builds against openssl-devel (runtime openssl-libs)" in restyfile
    assert "    system openssl-devel -> openssl-libs" in restyfile
    os.chdir(out)
    load_project("Restyfile")


def test_a_missing_root_or_nginx_v_file_is_an_input_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, text = run(capsys, str(tmp_path / "nope"), "-o", str(tmp_path / "o"))
    assert rc == 3 and "is not a folder" in text
    root = tmp_path / "host"
    centos_host(root)
    rc, text = run(capsys, str(root), "--nginx-v", str(tmp_path / "none.txt"),
                   "-o", str(tmp_path / "o"))
    assert rc == 3 and "none.txt cannot be read" in text and "Traceback" not in text
    assert not (tmp_path / "o").exists()
