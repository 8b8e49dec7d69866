"""Base facts: nginx -V, accounts and packages read from a base image's files."""

from __future__ import annotations

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
