"""The contract corpus: one small project per way a build's verification can fail, and
the shapes that look as if they would but do not (an account, no `;;`).

Each case names the cause lint must report as an error, at the user's line, or None
when verification passes (and lint then reports no error). Written from scratch here;
tests/test_contract.py lints them, tests/e2e/test_contract_e2e.py builds them.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD = "name case\nbase debian-bookworm\nconf conf\n"
NEEDS = ("@cc -L{root}/dep -l:libneeded.so.1\nint needed(void);\n"
         "int luaopen_mod(void *L) { (void)L; return needed(); }\n")


def conf(http: str, server: str = "") -> str:
    """A conf with `http` lines at the top of the http block (line 3 on) and a server."""
    return ("events {}\nhttp {\n" + http + "    server {\n        listen 8080;\n"
            + server + "        location / { return 200 ok; }\n    }\n}\n")


@dataclass(frozen=True)
class Case:
    files: dict[str, str]
    cause: tuple[str, str, int] | None  # (code, file, line) lint must report; None: passes
    others: tuple[tuple[str, str, int], ...] = ()  # errors of the same kind on other lines


CASES: dict[str, Case] = {
    "failing-directive": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf("", "        echo_status 200;\n")},
        ("RB611", "conf/nginx.conf", 5)),
    "failing-missing-file": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf("    include mime.types;\n")},
        ("RB602", "conf/nginx.conf", 3)),
    "failing-no-dict-at-init": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            '    init_by_lua_block {\n        ngx.shared.sessions:set("boot", 1)\n    }\n')},
        ("RB201", "conf/nginx.conf", 4)),
    "failing-module-at-init": Case(
        {"Restyfile": HEAD + "lua lua -> lua\n", "lua/app/init.lua": "return {}\n",
         "conf/nginx.conf": conf('    init_by_lua_block {\n        require("app.settings")\n'
                                 "    }\n")},
        ("RB101", "conf/nginx.conf", 4)),
    "failing-native-dependency": Case(
        {"Restyfile": HEAD + "native natives/mod.so -> lua\n",
         "dep/libneeded.so.1": "@cc -Wl,-soname,libneeded.so.1\nint needed(void) { return 1; }\n",
         "natives/mod.so": NEEDS, "conf/nginx.conf": conf("")},
        ("RB501", "Restyfile", 4)),
    "failing-certificate": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "", "        listen 8443 ssl;\n        ssl_certificate certs/app.crt;\n"
                "        ssl_certificate_key certs/app.key;\n")},
        ("RB612", "conf/nginx.conf", 6), (("RB612", "conf/nginx.conf", 7),)),
    "failing-module-file": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": "load_module modules/ngx_http_echo_module.so;\n"
                                              + conf("")},
        ("RB613", "conf/nginx.conf", 1)),
    "failing-probed-lua-file": Case(
        {"Restyfile": HEAD + "probe readiness http /ready port 8080\n",
         "conf/nginx.conf": conf("", "        location /ready {\n"
                                     "            content_by_lua_file lua/ready.lua;\n"
                                     "        }\n")},
        ("RB604", "conf/nginx.conf", 6)),
    "failing-exit-worker-lua-file": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    exit_worker_by_lua_file lua/bye.lua;\n")},
        ("RB604", "conf/nginx.conf", 3)),
    "failing-write-at-init": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    init_by_lua_block {\n"
            '        local f = assert(io.open(ngx.config.prefix() .. "conf/gen.conf", "w"))\n'
            "        f:close()\n    }\n")},
        ("RB608", "conf/nginx.conf", 4)),
    "passing-tested-write-at-init": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    init_by_lua_block {\n"
            '        local f = io.open(ngx.config.prefix() .. "conf/gen.conf", "w")\n'
            "        if f then f:close() end\n    }\n")}, None),
    "failing-resolver-local": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf("    resolver local=on ipv6=off;\n")},
        ("RB614", "conf/nginx.conf", 3)),
    "failing-ca-bundle-of-centos": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    lua_ssl_trusted_certificate /etc/pki/tls/certs/ca-bundle.crt;\n")},
        ("RB612", "conf/nginx.conf", 3)),
    "passing-ca-bundle-of-the-base": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    lua_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;\n")}, None),
    "failing-stream-lua": Case(
        {"Restyfile": HEAD + "module stream\n", "conf/nginx.conf": "events {}\n"
         "stream {\n    lua_shared_dict conns 1m;\n}\n" + conf("").split("\n", 1)[1]},
        ("RB611", "conf/nginx.conf", 3)),
    "passing-directives-in-their-blocks": Case(
        {"Restyfile": HEAD + "module stream\n", "conf/nginx.conf": (
            "events { worker_connections 64; }\n"
            "stream {\n    upstream db {\n        server 127.0.0.1:5432;\n    }\n"
            "    server {\n        listen 9000;\n        proxy_pass db;\n    }\n}\n"
            "http {\n    upstream app {\n        server 127.0.0.1:9001;\n        keepalive 8;\n"
            "    }\n    server {\n        listen 8080;\n"
            "        if ($host = old) {\n            return 301 /;\n        }\n"
            "        location / {\n            location /api {\n"
            "                limit_except GET {\n                    deny all;\n                }\n"
            "                if ($arg_x) {\n                    set $y 1;\n                }\n"
            "                content_by_lua_block { ngx.say(1) }\n            }\n"
            "            proxy_pass http://app;\n        }\n    }\n}\n")}, None),
    "failing-upstream-ca-verified": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    proxy_ssl_trusted_certificate certs/upstream-ca.pem;\n"
            "    proxy_ssl_verify on;\n",
            "        location /up {\n            proxy_pass https://127.0.0.1:9;\n"
            "        }\n")},
        ("RB612", "conf/nginx.conf", 3)),
    "passing-upstream-ca-verify-without-tls": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    proxy_ssl_trusted_certificate certs/upstream-ca.pem;\n"
            "    proxy_ssl_verify on;\n")}, None),
    "passing-upstream-ca-never-verified": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    proxy_ssl_trusted_certificate certs/upstream-ca.pem;\n")}, None),
    "passing-request-time-lua-file": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "", "        location /api {\n            content_by_lua_file lua/api.lua;\n"
                "        }\n")}, None),
    "passing-pcalled-loader": Case(
        {"Restyfile": HEAD, "conf/nginx.conf": conf(
            "    init_by_lua_block {\n        local function load()\n"
            '            return require("app.optional")\n        end\n'
            "        local ok = pcall(load)\n    }\n")}, None),
    "passing-account": Case(
        {"Restyfile": HEAD,
         "conf/nginx.conf": "user nginx nginx;\n" + conf("")}, None),
    "passing-no-default-path": Case(
        {"Restyfile": HEAD + "lua lua -> lua\n", "lua/app.lua": "return {}\n",
         "conf/nginx.conf": conf('    lua_package_path "/usr/share/nginx/lua/?.lua";\n'
                                 '    init_by_lua_block { require("app") }\n')}, None),
    "passing-modules": Case(
        {"Restyfile": HEAD + "module echo headers-more\n", "conf/nginx.conf": conf(
            '    more_set_headers "X-App: case";\n',
            "        location /echo {\n            echo hello;\n        }\n")}, None),
}
