"""restybuild discover: a first Restyfile from a CentOS host's files or an app's checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.discover import Options, discover
from restybuild.discover.nginx import host_modules, read_nginx
from restybuild.discover.tables import table
from restybuild.lint.runner import lint
from restybuild.resolve import load_project
from tests.discover.fixtures import NGINX_V, PREFIX, ROCKS, TREE, centos_host, checkout


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = main(["discover", *args])
    return rc, capsys.readouterr().out


@pytest.fixture()
def host(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "host"
    return root, centos_host(root)


def test_nginx_v_of_an_old_centos_openresty_picks_the_centos7_flavor(tmp_path: Path) -> None:
    facts, findings = read_nginx(NGINX_V, tmp_path, None)
    assert (facts.version, facts.family, facts.base_line) == (
        "openresty/1.13.6.2", "centos", "base openresty 1.13.6.2 centos7")
    assert facts.openssl.startswith("OpenSSL 1.0.2k-fips")
    assert facts.option("prefix") == "/usr/local/openresty/nginx"
    assert facts.lacking == ("ngx_cache_purge",)
    assert any("end of life: test 1.27.1.2 (the last centos7 image) next" in c
               for c in facts.comments)
    assert findings == []


def test_module_names_lose_their_versions_and_old_names() -> None:
    mods = host_modules(("--add-module=../ngx_lua-0.10.13", "--add-module=/b/ngx_coolkit-0.2rc3",
                         "--add-dynamic-module=/x/ngx_brotli/"), ("http_ssl_module",))
    assert mods == ("http_ssl_module", "lua-nginx-module", "ngx_coolkit", "ngx_brotli")


def test_the_table_shipped_with_the_recipes_loads() -> None:
    data = table()
    assert data["openresty"]["lines"] and data["modules"]["openresty"]["added"]


def test_discover_on_a_centos_host_writes_a_project_that_lints_with_the_expected_findings(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    before = sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*"))
    out = tmp_path / "adserver"
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(out))
    assert rc == 0, text
    assert sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*")) == before  # read only
    restyfile = (out / "Restyfile").read_text()
    for line in ("base openresty 1.13.6.2 centos7", "prefix /usr/local/openresty/nginx",
                 "conf conf ", "lua lua -> lua ", "files html -> html ", "data data 64Mi",
                 "native natives/binary_protocol.so -> lua_lib {", "search natives/lib",
                 "rocks -> /usr/local/openresty/luajit {", "workers 2 ",
                 "probe readiness http /healthz port 8080", "expose 8080"):
        assert line in restyfile, line
    assert [ln.split()[1:3] for ln in restyfile.splitlines() if ln.startswith("    rock ")] \
        == [["adargparse", "0.7.1-1"], ["adids", "0.3-2"], ["adinspect", "3.1.3-0"],
            ["adsay", "1.4.1-3"], ["adpenlight", "1.14.0-2"], ["adutil", "1.2-1"],
            ["lua-resty-adcookie", "0.1.0-1"], ["lua-resty-adhmac", "0.06-1"],
            ["lua-resty-adjwt", "0.2.3-0"], ["lua-resty-adlimit", "1.0.0-1"],
            ["lua-resty-adlog", "0.9-1"], ["lua-resty-adtemplate", "2.0-1"]]  # deps first
    assert len(ROCKS) == 12
    assert sorted(os.listdir(out / "natives/lib")) == ["libadfmt.so.1", "libadlog.so.1"]
    assert (out / "conf/vhosts/ads.conf").is_file() and (out / "conf/common").is_dir()
    assert not (out / "lua_lib").exists()  # the native is declared, not copied as Lua
    os.chdir(out)
    project = load_project("Restyfile")
    assert project.flavor.label == "openresty:1.13.6.2-centos7"
    found = sorted((d.code, d.severity) for d in lint("Restyfile", {}).diagnostics)
    # no library index of the centos7 image; the rocks' modules are not readable offline;
    # the host's `user nobody` is ignored in the non-root image
    assert found == [("RB101", "warning")] * 3 + [("RB501", "warning"), ("RB610", "info")]
    assert "ngx_cache_purge" in text and "end of life" in restyfile


def test_a_checkout_gets_its_restyfile_beside_it_and_it_is_never_overwritten(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = checkout(tmp_path / "quotes")
    rc, text = run(capsys, str(root))
    assert rc == 0, text
    restyfile = (root / "Restyfile").read_text()
    for line in ("name quotes", "base debian-bookworm", "conf conf ", "lua lua -> lua ",
                 "workers 1 ", "probe readiness http /health port 8080",
                 "probe liveness http /ready port 8080"):
        assert line in restyfile, line
    assert "prefix " not in restyfile
    os.chdir(root)
    assert [d for d in lint("Restyfile", {}).diagnostics if d.severity != "info"] == []
    rc, text = run(capsys, str(root))
    assert rc == 3 and (root / "Restyfile").read_text() == restyfile


def _findings(d_findings: tuple[object, ...], step: str) -> list[str]:
    return [f.message for f in d_findings if getattr(f, "step", "") == step  # type: ignore
            and getattr(f, "severity", "") == "error"]


def test_bad_inputs_give_one_finding_each_and_the_rest_is_written(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    conf = root / PREFIX / "conf"
    (conf / "vhosts/loop.conf").write_text("include vhosts/loop2.conf;\n")
    (conf / "vhosts/loop2.conf").write_text("include vhosts/loop.conf;\n")
    (root / TREE / "lib/luarocks/rocks-5.1/manifest").write_text("repository = {\n  x = {\n")
    (root / PREFIX / "lua_lib/legacy.so").write_text("not a shared object\n")
    d = discover(Options(str(root), nginx_v=str(nginx_v)))
    errors = [(f.step, f.message) for f in d.findings if f.severity == "error"]
    assert len(errors) == 3, errors
    assert errors[0][0] == "conf" and errors[0][1].startswith("include loop: ")
    assert errors[1][0] == "rocks" and "the manifest does not parse" in errors[1][1]
    assert errors[2][0] == "natives" and "legacy.so is on lua_package_cpath but is not an " \
        "ELF shared object" in errors[2][1]
    assert len(d.rocks[0].rocks) == 12  # from the tree's folders
    out = tmp_path / "project"
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(out))
    assert rc == 1
    restyfile = (out / "Restyfile").read_text()
    assert "native natives/binary_protocol.so" in restyfile and "legacy" not in restyfile
    assert "rock adutil 1.2-1" in restyfile and "lua lua -> lua" in restyfile
    assert text.count("include loop") == 1  # lint's own copy of it is not repeated


def test_an_unreadable_conf_is_one_finding_and_the_rest_is_written(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    main_conf = root / PREFIX / "conf/nginx.conf"
    main_conf.unlink()
    os.mkfifo(main_conf)  # not a file nginx (or anyone) can read as a conf
    out = tmp_path / "project"
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(out))
    assert rc == 1
    assert text.count("the conf cannot be read") == 1, text
    restyfile = (out / "Restyfile").read_text()
    assert "# conf conf" in restyfile and "rocks -> /usr/local/openresty/luajit {" in restyfile
    load_project(out / "Restyfile")  # parses and resolves


def test_the_output_folder_must_be_new_and_not_root(
        host: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    assert run(capsys, str(root), "--nginx-v", str(nginx_v))[0] == 4  # -o is required
    assert run(capsys, str(root), "-o", str(root))[0] == 3  # ROOT: not empty
    assert run(capsys, str(root), "-o", str(root.parent))[0] == 3  # not empty


def test_an_unknown_base_is_a_configuration_error(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = host
    assert run(capsys, str(root), "--base", "centos6", "-o", str(tmp_path / "o"))[0] == 4


def test_the_hosts_openresty_bundle_is_found_by_its_prefix_and_never_shipped(
        tmp_path: Path) -> None:
    """OpenResty built with --prefix=/opt/openresty: its bundled lualib (resty.core, cjson,
    redis.parser) is the base's and is neither a `lua` folder nor a native, while a .so the
    team put into that lualib by hand is a native of its own."""
    from tests.conftest import write_tree
    from tests.discover.fixtures import NATIVE
    from tests.test_elf_fixtures import cc

    root = tmp_path / "host"
    conf = ("events {}\nhttp {\n"
            '  lua_package_path "/opt/openresty/lualib/?.lua;/opt/app/lua/?.lua;;";\n'
            '  lua_package_cpath "/opt/openresty/lualib/?.so;;";\n'
            "  server { listen 8080; location / { content_by_lua_block "
            "{ require('app').run() } } }\n}\n")
    write_tree(root, {
        "etc/redhat-release": "CentOS Linux release 7.9.2009 (Core)\n",
        "opt/openresty/nginx/conf/nginx.conf": conf,
        "opt/openresty/lualib/resty/core.lua": "return {}\n",
        "opt/openresty/lualib/cjson.so": "not read: the bundle's\n",
        "opt/openresty/lualib/redis/parser.so": "not read: the bundle's\n",
        "opt/app/lua/app.lua": "return { run = function() ngx.say('ok') end }\n",
    })
    cc(root / "opt/openresty/lualib/binary_protocol.so",
       NATIVE.replace("const char *adfmt_frame(void);",
                      'static const char *adfmt_frame(void) { return "x"; }'))
    nginx_v = tmp_path / "nginx-V.txt"
    nginx_v.write_text(NGINX_V.replace("--prefix=/usr/local/openresty/nginx",
                                       "--prefix=/opt/openresty/nginx"), encoding="utf-8")
    found = discover(Options(root=str(root), nginx_v=str(nginx_v)))
    assert found.bundle == "/opt/openresty/lualib"
    assert [n.path for n in found.natives] == ["/opt/openresty/lualib/binary_protocol.so"]
    out = tmp_path / "project"
    assert main(["discover", str(root), "--nginx-v", str(nginx_v), "-o", str(out)]) == 0
    restyfile = (out / "Restyfile").read_text()
    lua = [ln.split("#")[0].strip() for ln in restyfile.splitlines() if ln.startswith("lua ")]
    assert lua == ["lua opt/app/lua -> /opt/app/lua"], restyfile
    assert "native natives/binary_protocol.so -> /opt/openresty/lualib" in restyfile
    assert "cjson" not in restyfile and "parser" not in restyfile
