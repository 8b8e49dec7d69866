"""discover: the modules the old nginx had that the base lacks, and the directives of the conf
the base's nginx does not define, computed from the base facts the recipe ships (a recipe
without them falls back on recipes/discover.toml's list, and says so)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from restybuild import recipes
from restybuild.basefacts import flavor_facts
from restybuild.cli import main
from restybuild.discover.model import Finding
from restybuild.discover.modules import BaseModules, base_modules
from restybuild.discover.nginx import module_findings, read_nginx
from tests.discover.fixtures import NGINX_V, checkout

MODS = "/usr/lib/nginx/modules"


def bookworm() -> BaseModules:
    return base_modules(recipes.load("debian-bookworm").flavor(None, None))


def with_facts(**changes: Any) -> BaseModules:
    base = bookworm()
    assert base.facts is not None
    return dataclasses.replace(base, facts=dataclasses.replace(base.facts, **changes))


def test_the_debian_base_is_checked_against_its_facts(tmp_path: Path) -> None:
    facts, _ = read_nginx(NGINX_V, tmp_path, "debian-bookworm")
    # the facts' modules folder has ndk and lua only; stream is `--with-stream=dynamic`
    # without ngx_stream_module.so, so the host's stream_ssl_module is not there either
    assert "stream_ssl_module" in facts.lacking and "ngx_cache_purge" in facts.lacking
    for have in ("http_ssl_module", "http_realip_module", "lua-nginx-module", "ngx_devel_kit"):
        assert have not in facts.lacking, have
    assert any("modules checked against the base facts the debian-bookworm recipe ships "
               "(nginx/1.22.1, 2 dynamic modules)" in c for c in facts.comments)


def test_the_openresty_recipe_has_no_facts_and_says_the_table_is_used(tmp_path: Path) -> None:
    facts, _ = read_nginx(NGINX_V, tmp_path, None)
    assert facts.recipe == "openresty" and facts.lacking == ("ngx_cache_purge",)
    assert any("the openresty recipe ships no base facts: its modules come from the table in "
               "recipes/discover.toml" in c for c in facts.comments)


def test_what_the_facts_hold_decides_not_a_list() -> None:
    base = with_facts(dynamic_modules=(f"{MODS}/ndk_http_module.so",
                                       f"{MODS}/ngx_http_headers_more_filter_module.so",
                                       f"{MODS}/ngx_stream_module.so"))
    assert base.has("headers-more-nginx-module") and base.has("stream_ssl_module")
    assert base.unloaded("headers-more-nginx-module") == \
        f"{MODS}/ngx_http_headers_more_filter_module.so"
    assert base.unloaded("ngx_devel_kit") is None  # loaded by the recipe
    # an added module the base compiles in, from its configure line
    configured = with_facts(configure=(*bookworm().facts.configure,  # type: ignore[union-attr]
                                       "--add-module=/build/echo-nginx-module-0.63"))
    assert configured.has("echo-nginx-module") and not bookworm().has("echo-nginx-module")


def test_lua_is_lacking_when_the_facts_lack_its_file_and_directives() -> None:
    base = bookworm()
    assert base.facts is not None
    gone = with_facts(dynamic_modules=(f"{MODS}/ndk_http_module.so",),
                      directives=tuple(d for d in base.facts.directives
                                       if not d[1].endswith("ngx_http_lua_module.so")))
    assert base.has("lua-nginx-module") and not gone.has("lua-nginx-module")


def _errors(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.message, f.where, f.hint) for f in findings if f.severity == "error"]


def test_conf_directives_the_base_does_not_define_are_errors_with_their_module(
        tmp_path: Path) -> None:
    nginx, _ = read_nginx(NGINX_V, tmp_path, "debian-bookworm")
    geoip = ("geoip_country", f"{MODS}/ngx_http_geoip_module.so", ("http_main",))
    base = with_facts(directives=(*bookworm().facts.directives, geoip))  # type: ignore
    used = (("more_set_headers", "conf/a.conf:3:5"), ("lua_shared_dict", "conf/a.conf:4:5"),
            ("geoip_country", "conf/a.conf:5:5"), ("frobnicate", "conf/a.conf:6:5"))
    found = module_findings(nginx, base, used)
    errors = _errors(found)
    assert [e[:2] for e in errors] == [
        ("unknown directive `more_set_headers`: it is headers-more-nginx-module's, which the "
         "old nginx had and the base debian-bookworm lacks (nginx -t fails)", "conf/a.conf:3:5"),
        ("unknown directive `geoip_country`: the base debian-bookworm's nginx does not define "
         "it (nginx -t fails)", "conf/a.conf:5:5"),
        ("unknown directive `frobnicate`: the base debian-bookworm's nginx does not define it "
         "(nginx -t fails)", "conf/a.conf:6:5")]
    assert errors[1][2] == f"the base has it in {MODS}/ngx_http_geoip_module.so: add " \
        f"`load_module {MODS}/ngx_http_geoip_module.so;` to the conf"
    note = next(f.message for f in found if f.severity == "info")
    assert "headers-more-nginx-module" not in note and "echo-nginx-module" in note


def test_without_facts_only_the_lacking_modules_table_directives_count(tmp_path: Path) -> None:
    nginx, _ = read_nginx(NGINX_V, tmp_path, None)
    base = base_modules(recipes.load("openresty").flavor(nginx.flavor, nginx.base_version))
    assert base.facts is None and flavor_facts(recipes.load("openresty").flavor(None, None)) \
        is None
    used = (("proxy_cache_purge", "x.conf:1:1"), ("more_set_headers", "x.conf:2:1"),
            ("frobnicate", "x.conf:3:1"))
    assert [e[0].split(":")[0] for e in _errors(module_findings(nginx, base, used))] == [
        "unknown directive `proxy_cache_purge`"]


def test_a_checkout_using_a_module_the_base_lacks_is_told_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = checkout(tmp_path / "quotes")
    vhost = root / "conf/vhosts/quotes.conf"
    vhost.write_text(vhost.read_text().replace("listen 8080;", "listen 8080;\n    "
                                               "xss_get on;"))
    (root / "conf/mime.types").write_text("types {\n    text/html html;\n}\n")
    conf = root / "conf/nginx.conf"
    conf.write_text(conf.read_text().replace("http {", "http {\n    include mime.types;"))
    os.chdir(tmp_path)
    rc = main(["discover", str(root)])
    out = capsys.readouterr().out
    assert rc == 1, out
    assert out.count("unknown directive `xss_get`") == 1, out  # lint's RB611 folded in
    assert "conf/vhosts/quotes.conf:3:5: error: [nginx] unknown directive `xss_get`" \
        in out, out
    assert "text/html" not in out  # lines of a types block are not directives
    assert (root / "Restyfile").is_file()


def test_a_directive_of_a_packaged_module_gets_its_module_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = checkout(tmp_path / "quotes")
    vhost = root / "conf/vhosts/quotes.conf"
    vhost.write_text(vhost.read_text().replace("listen 8080;", "listen 8080;\n    "
                                               "more_set_headers \"Server: quotes\";"))
    os.chdir(tmp_path)
    rc = main(["discover", str(root)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "more_set_headers" not in out
    text = (root / "Restyfile").read_text()
    assert "module headers-more" in text.splitlines()[
        next(i for i, x in enumerate(text.splitlines()) if x.startswith("module "))], text
    assert "the conf uses its directives, and the base's distribution packages it" in text


def test_only_the_modules_the_conf_needs_are_declared(tmp_path: Path) -> None:
    from restybuild.discover.nginx import with_module_lines

    nginx, _ = read_nginx(NGINX_V, tmp_path, "debian-bookworm")
    base = bookworm()
    used = (("echo", "a.conf:1:1"), ("stream", "a.conf:2:1"), ("listen", "a.conf:3:1"))
    out = with_module_lines(nginx, base, used)
    assert out.declare == (("echo", ("echo-nginx-module",)), ("stream", ("stream_ssl_module",)))
    assert "echo-nginx-module" not in out.lacking and "stream_ssl_module" not in out.lacking
    assert "headers-more-nginx-module" in out.lacking  # had, not used: not declared
    assert module_findings(out, base, used) == [f for f in module_findings(out, base, used)
                                                if f.severity != "error"]
