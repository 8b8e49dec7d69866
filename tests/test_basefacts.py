"""Base facts: nginx -V, accounts and packages read from a base image's files."""

from __future__ import annotations

from pathlib import Path

from restybuild.basefacts import BaseFacts, accounts, packages, parse_nginx_v

NGINX_V = """\
nginx version: nginx/1.22.1
built with OpenSSL 3.0.11 19 Sep 2023
TLS SNI support enabled
configure arguments: --with-cc-opt='-g -O2 -ffile-prefix-map=/build/nginx=.' \
--prefix=/usr/share/nginx --conf-path=/etc/nginx/nginx.conf --with-http_ssl_module \
--with-http_v2_module --add-dynamic-module=/build/nginx/debian/modules/http-echo
"""


def test_nginx_v_gives_version_configure_arguments_and_modules() -> None:
    version, configure, modules = parse_nginx_v(NGINX_V)
    assert version == "nginx/1.22.1"
    assert "--with-cc-opt=-g -O2 -ffile-prefix-map=/build/nginx=." in configure
    assert modules == ("http_ssl_module", "http_v2_module", "http-echo")


def test_accounts_and_packages() -> None:
    assert accounts("root:x:0:0::/root:/bin/sh\n# c\nwww-data:x:33:33::/var/www:/bin/sh\n") \
        == ("root", "www-data")
    status = ("Package: nginx\nStatus: install ok installed\nVersion: 1\n\n"
              "Package: gone\nStatus: deinstall ok config-files\n")
    assert packages(status, "P:musl\nV:1\n\nP:pcre\n") == ("musl", "nginx", "pcre")


def test_facts_round_trip_and_answer_questions() -> None:
    _v, configure, modules = parse_nginx_v(NGINX_V)
    facts = BaseFacts(
        image="x", image_id="sha256:1", nginx="/usr/sbin/nginx", version="nginx/1.22.1",
        configure=configure, modules=modules,
        dynamic_modules=("/usr/lib/nginx/modules/ngx_http_echo_module.so",),
        directives=(("echo", "/usr/lib/nginx/modules/ngx_http_echo_module.so", ("loc",)),
                    ("worker_processes", "/usr/sbin/nginx", ("main",))),
        users=("root",), groups=("root",))
    assert BaseFacts.from_json(facts.to_json()) == facts
    assert facts.conf_dir == "/etc/nginx"
    assert facts.known("worker_processes", ()) is True
    assert facts.known("echo", ()) is False
    assert facts.known("echo", ("/usr/lib/nginx/modules/ngx_http_echo_module.so",)) is True
    assert facts.providers("echo") == ("/usr/lib/nginx/modules/ngx_http_echo_module.so",)
    assert '"users": [\n  "root"\n]' in facts.dumps()


def test_the_shipped_snapshot_parses_and_fits_the_recipe() -> None:
    """recipes/facts/debian-bookworm-runtime.json: canonical (a re-snapshot diffs line by
    line), and true to the flavor's image contract."""
    from pathlib import Path

    from restybuild import recipes
    from restybuild.basefacts import flavor_facts

    fl = recipes.load("debian-bookworm").flavor(None, None)
    facts = flavor_facts(fl)
    assert facts is not None and fl.base_facts.endswith("facts/debian-bookworm-runtime.json")
    assert Path(fl.base_facts).read_text(encoding="utf-8") == facts.dumps()
    assert facts.image == fl.image and facts.nginx == fl.nginx
    assert set(fl.load_modules) <= set(facts.dynamic_modules)
    assert list(facts.directives) == sorted(set(facts.directives))
    for field in (facts.users, facts.groups, facts.packages, facts.files):
        assert list(field) == sorted(set(field))
    lua = "/usr/lib/nginx/modules/ngx_http_lua_module.so"
    assert facts.known("worker_processes", ()) and facts.known("proxy_pass", ())
    assert facts.known("content_by_lua_block", ()) is False
    assert facts.known("content_by_lua_block", fl.load_modules) is True
    assert facts.providers("lua_shared_dict") == (lua,)
    assert ("content_by_lua_block", lua, ("http_lif", "http_loc")) in facts.directives
    assert ("include", fl.nginx, ("any",)) in facts.directives
    assert {"root", "www-data", "nobody"} <= set(facts.users)
    assert "nogroup" in facts.groups and "nobody" not in facts.groups
    assert f"{facts.conf_dir}/mime.types" in facts.files
    assert {"nginx", "libnginx-mod-http-lua"} <= set(facts.packages)


def test_the_base_facts_key_is_checked(tmp_path: Path) -> None:
    import pytest

    from restybuild import recipes
    from restybuild.errors import ConfigError

    bases = tmp_path / "bases"
    bases.mkdir()
    text = Path(recipes.recipe_path("debian-bookworm")).read_text()
    (bases / "debian-bookworm.toml").write_text(
        text.replace('library_index = "indexes/debian-bookworm-runtime.json"\n', ""))
    with pytest.raises(ConfigError, match="`base_facts` must name a file below"):
        recipes.load_recipe_file(bases / "debian-bookworm.toml")
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "debian-bookworm-runtime.json").write_text("{}")
    recipe = recipes.load_recipe_file(bases / "debian-bookworm.toml")
    fl = recipe.flavor(None, None)
    assert fl.base_facts == str(tmp_path / "facts" / "debian-bookworm-runtime.json")
    from restybuild.basefacts import flavor_facts

    with pytest.raises(ConfigError, match="is not a base-facts snapshot"):
        flavor_facts(fl)


def test_a_runtime_package_the_base_has_gets_no_package_step(tmp_path: Path) -> None:
    from tests.conftest import planned, write_tree

    rocks = ("rocks -> /usr/local/rocks {{\n    rock lua-cjson 2.1.0.10-1\n"
             "    system libssl-dev -> {run}\n}}\n")
    for run, step in (("ca-certificates", False), ("libmaxminddb0", True)):
        root = tmp_path / run
        write_tree(root, {"Restyfile": "name app\nbase debian-bookworm\n" + rocks.format(run=run)})
        bp = planned(root / "Restyfile")
        assert (bp.runtime_packages_cmd is not None) == step, run
        assert bp.build_packages_cmd is not None and "libssl-dev" in bp.build_packages_cmd
