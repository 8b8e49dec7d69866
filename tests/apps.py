"""Four apps of the shapes real OpenResty apps have, written from scratch for the tests.

Each Restyfile is the one a user writes first, from the README: the apps must build on it
unchanged, pass verification and answer requests. Shared by tests/e2e/test_apps_e2e.py and
bench/bench_apps.py (false findings, first-try builds).

- ``waf``: a WAF installed inside ``conf/`` (its Lua, rules and a JSON config there),
  reached through ``init_by_lua_file`` / ``access_by_lua_file`` and a
  ``lua_package_path`` without ``;;``; the prefix of a legacy OpenResty host.
- ``dashboard``: the conf includes snippets from an absolute app folder
  (``/opt/app/nginx_conf/*.conf``), which sets ``lua_package_path`` and a server; a
  static dashboard beside the Lua; settings written at run time.
- ``catchall``: the conf's own ``lua_package_path`` with ``$prefix``; a catch-all
  ``location /`` that proxies to another service, an API in Lua, a readiness probe.
- ``gateway``: rocks from a local rocks server folder made in the test, a Lua C-free
  gateway that requires them and declares its shared dicts.
"""

from __future__ import annotations

from pathlib import Path

WAF = {
    "Restyfile": """\
# a WAF kept inside the conf folder, moved from a CentOS host
name waf
base debian-bookworm
prefix /usr/local/openresty/nginx
conf conf
shared_dict waf_hits 1m
probe readiness http /ready port 8080
""",
    "conf/nginx.conf": """\
user nobody;
worker_processes 1;
error_log logs/error.log;
pid logs/nginx.pid;
events { worker_connections 128; }
http {
    lua_package_path "/usr/local/openresty/nginx/conf/waf/?.lua";
    init_by_lua_file conf/waf/init.lua;
    access_by_lua_file conf/waf/access.lua;
    access_log logs/access.log;
    server {
        listen 8080;
        location = /ready { return 200 "ready\\n"; }
        location / { content_by_lua_block { ngx.say("hello from behind the waf") } }
    }
}
""",
    "conf/waf/config.lua": """\
local _M = {}
_M.rules_file = ngx.config.prefix() .. "conf/waf/rules/args.rules"
_M.settings_file = ngx.config.prefix() .. "conf/waf/settings.json"
return _M
""",
    "conf/waf/init.lua": """\
local config = require "config"
local rules = {}
for line in io.lines(config.rules_file) do
    if line ~= "" then rules[#rules + 1] = line end
end
local f = assert(io.open(config.settings_file))
local settings = require("cjson").decode(f:read("*a"))
f:close()
waf_rules = rules
waf_mode = settings.mode
""",
    "conf/waf/access.lua": """\
local args = ngx.var.args or ""
for _, pattern in ipairs(waf_rules) do
    if args:find(pattern) then
        ngx.shared.waf_hits:incr("blocked", 1, 0)
        if waf_mode == "block" then return ngx.exit(403) end
    end
end
""",
    "conf/waf/rules/args.rules": "<script\nunion%s+select\n",
    "conf/waf/settings.json": '{"mode": "block"}\n',
}

DASHBOARD = {
    "Restyfile": """\
name dashboard
base debian-bookworm
conf conf
lua app/lua -> /opt/app/lua
files app/nginx_conf -> /opt/app/nginx_conf
files app/dashboard -> /opt/app/dashboard
data /opt/app/settings 1Mi
""",
    "conf/nginx.conf": """\
worker_processes 1;
events { worker_connections 128; }
http {
    include /opt/app/nginx_conf/*.conf;
}
""",
    "app/nginx_conf/lua.conf": """\
lua_package_path "/opt/app/lua/?.lua;;";
lua_shared_dict dash_cache 1m;
""",
    "app/nginx_conf/server.conf": """\
server {
    listen 8080;
    location /dashboard/ { alias /opt/app/dashboard/; }
    location = /settings { content_by_lua_block { require("settings").handle() } }
}
""",
    "app/lua/settings.lua": """\
local cjson = require "cjson"
local _M = {}
local FILE = "/opt/app/settings/state.json"
function _M.handle()
    if ngx.req.get_method() == "POST" then
        ngx.req.read_body()
        local f = assert(io.open(FILE, "w"))
        f:write(ngx.req.get_body_data() or "{}")
        f:close()
    end
    local f = io.open(FILE)
    local body = f and f:read("*a") or "{}"
    if f then f:close() end
    ngx.shared.dash_cache:set("last", body)
    ngx.say(cjson.encode({saved = cjson.decode(body)}))
end
return _M
""",
    "app/dashboard/index.html": "<html><body>dashboard</body></html>\n",
    "app/dashboard/app.js": "console.log('dashboard');\n",
}

CATCHALL = {
    "Restyfile": """\
name catchall
base debian-bookworm
conf conf
lua lua -> lua
workers 2
probe readiness http /healthz port 8080
""",
    "conf/nginx.conf": """\
events { worker_connections 128; }
http {
    lua_package_path "$prefix/lua/?.lua;$prefix/lua/?/init.lua;;";
    upstream legacy { server 127.0.0.1:9; }
    server {
        listen 8080;
        location /api/ { content_by_lua_block { require("api").route() } }
        location / { proxy_pass http://legacy; }
    }
}
""",
    "lua/api/init.lua": """\
local util = require "api.util"
local _M = {}
function _M.route() ngx.say(util.greet(ngx.var.uri)) end
return _M
""",
    "lua/api/util.lua": """\
local _M = {}
function _M.greet(path) return "api answers " .. path end
return _M
""",
}

GATEWAY = {
    "Restyfile": """\
name gateway
base debian-bookworm
conf conf
lua lua -> lua
rocks -> luarocks {
    server rocks-server
    rock gw-router 1.0-1
    rock gw-ratelimit 2.1-1
}
shared_dict gw_limits 1m
probe readiness http /ready port 8080
""",
    "conf/nginx.conf": """\
events { worker_connections 128; }
http {
    server {
        listen 8080;
        location = /ready { return 200 "ok\\n"; }
        location / { content_by_lua_block { require("gateway").serve() } }
    }
}
""",
    "lua/gateway.lua": """\
local router = require "gw.router"
local limit = require "gw.ratelimit"
local _M = {}
function _M.serve()
    if not limit.allow(ngx.shared.gw_limits, ngx.var.remote_addr, 100) then
        return ngx.exit(429)
    end
    ngx.say(router.route(ngx.var.uri))
end
return _M
""",
}

#: rock source folders for the gateway's rocks server (made with restybuild.rockserver)
GATEWAY_ROCKS = {
    "gw-router-1.0-1": {
        "gw-router-1.0-1.rockspec": """\
package = "gw-router"
version = "1.0-1"
source = { url = "gw-router-1.0.tar.gz", dir = "gw-router-1.0" }
build = { type = "builtin", modules = { ["gw.router"] = "gw/router.lua" } }
""",
        "gw/router.lua": "return { route = function(uri) return 'routed ' .. uri end }\n",
    },
    "gw-ratelimit-2.1-1": {
        "gw-ratelimit-2.1-1.rockspec": """\
package = "gw-ratelimit"
version = "2.1-1"
source = { url = "gw-ratelimit-2.1.tar.gz", dir = "gw-ratelimit-2.1" }
build = {
    type = "builtin",
    modules = {
        -- one module; a brace in a comment: }
        ["gw.ratelimit"] = "gw/ratelimit.lua",
    },
}
""",
        "gw/ratelimit.lua": """\
local _M = {}
function _M.allow(dict, key, max)
    local n = dict:incr(key, 1, 0)
    return n <= max
end
return _M
""",
    },
}

APPS = {"waf": WAF, "dashboard": DASHBOARD, "catchall": CATCHALL, "gateway": GATEWAY}

#: (app, method, path, body) -> (status, text in the answer)
REQUESTS = {
    "waf": [("GET", "/?id=1", "", 200, "hello from behind the waf"),
            ("GET", "/?q=%3Cscript%3Ealert(1)", "", 200, "hello"),
            ("GET", "/?q=<script>", "", 403, ""),
            ("GET", "/ready", "", 200, "ready")],
    "dashboard": [("GET", "/dashboard/index.html", "", 200, "dashboard"),
                  ("POST", "/settings", '{"theme":"dark"}', 200, '"theme":"dark"'),
                  ("GET", "/settings", "", 200, '"theme":"dark"')],
    "catchall": [("GET", "/api/users", "", 200, "api answers /api/users"),
                 ("GET", "/healthz", "", 200, "ok")],
    "gateway": [("GET", "/orders", "", 200, "routed /orders"), ("GET", "/ready", "", 200, "ok")],
}


def write_app(root: Path, name: str) -> Path:
    """Write app `name` into `root` (the gateway's rocks server too); its Restyfile."""
    from restybuild.rockserver import make_server
    from tests.conftest import write_tree

    write_tree(root, APPS[name])
    if name == "gateway":
        sources = []
        for rock, files in GATEWAY_ROCKS.items():
            write_tree(root.parent / f"{name}-rock-src" / rock, files)
            sources.append(root.parent / f"{name}-rock-src" / rock)
        make_server(root / "rocks-server", sources)
    return root / "Restyfile"
