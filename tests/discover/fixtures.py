"""Fixtures for `restybuild discover`, written for these tests: a copy of a CentOS 7 host
running an old OpenResty (its unit, conf with vhosts and includes, a luarocks tree with a
manifest as luarocks writes it, a self-compiled native whose two libraries are compiled
here with gcc into a vendor folder), and an app's checkout. Shared with
bench/bench_discover.py.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_tree
from tests.test_elf_fixtures import cc

NGINX_V = """\
nginx version: openresty/1.13.6.2
built by gcc 4.8.5 20150623 (Red Hat 4.8.5-28) (GCC)
built with OpenSSL 1.0.2k-fips  26 Jan 2017
TLS SNI support enabled
configure arguments: --prefix=/usr/local/openresty/nginx --with-cc-opt=-O2 \
--add-module=../ngx_devel_kit-0.3.0 --add-module=../echo-nginx-module-0.61 \
--add-module=../xss-nginx-module-0.06 --add-module=../ngx_coolkit-0.2rc3 \
--add-module=../set-misc-nginx-module-0.32 --add-module=../form-input-nginx-module-0.12 \
--add-module=../encrypted-session-nginx-module-0.08 --add-module=../srcache-nginx-module-0.31 \
--add-module=../ngx_lua-0.10.13 --add-module=../ngx_lua_upstream-0.07 \
--add-module=../headers-more-nginx-module-0.33 --add-module=../array-var-nginx-module-0.05 \
--add-module=../memc-nginx-module-0.19 --add-module=../redis2-nginx-module-0.15 \
--add-module=../redis-nginx-module-0.3.7 --add-module=../rds-json-nginx-module-0.15 \
--add-module=../rds-csv-nginx-module-0.09 --add-module=../ngx_stream_lua-0.0.5 \
--with-ld-opt=-Wl,-rpath,/usr/local/openresty/luajit/lib --with-http_ssl_module \
--with-http_stub_status_module --with-http_realip_module --with-stream \
--with-stream_ssl_module --add-module=/root/build/ngx_cache_purge-2.3
""".replace("\\\n", "")

PREFIX = "usr/local/openresty/nginx"
TREE = "usr/local/openresty/luajit"
PORT = 8080

UNIT = """\
[Unit]
Description=The OpenResty ad server
After=network.target

[Service]
Type=forking
PIDFile=/usr/local/openresty/nginx/logs/nginx.pid
Environment=LD_LIBRARY_PATH=/usr/local/vendor/lib
ExecStartPre=/usr/local/openresty/nginx/sbin/nginx -t -c {prefix}/conf/nginx.conf
ExecStart=/usr/local/openresty/nginx/sbin/nginx -p {prefix} -c {prefix}/conf/nginx.conf
ExecReload=/bin/kill -s HUP $MAINPID

[Install]
WantedBy=multi-user.target
""".format(prefix="/usr/local/openresty/nginx")

NGINX_CONF = """\
user nobody;
worker_processes 2;
error_log logs/error.log warn;
pid logs/nginx.pid;

events {
    worker_connections 1024;
}

http {
    include mime.types;
    default_type application/octet-stream;
    access_log logs/access.log;
    lua_package_path "/usr/local/openresty/nginx/lua/?.lua;\
/usr/local/openresty/luajit/share/lua/5.1/?.lua;\
/usr/local/openresty/luajit/share/lua/5.1/?/init.lua;;";
    lua_package_cpath "/usr/local/openresty/nginx/lua_lib/?.so;\
/usr/local/openresty/luajit/lib/lua/5.1/?.so;;";
    lua_shared_dict ad_cache 10m;
    lua_shared_dict monitor_status 1m;
    init_by_lua_block {
        require "adserver.init"
    }
    include vhosts/*.conf;
}
""".replace("\\\n", "")

ADS_VHOST = f"""\
server {{
    listen {PORT};
    server_name ads.internal;
    location = /healthz {{ return 200 "ok\\n"; }}
    location /ad {{ content_by_lua_block {{ require("adserver.serve").run() }} }}
    location /static/ {{ root html; }}
}}
"""

ADMIN_VHOST = """\
server {
    listen 127.0.0.1:8081;
    location / {
        include common/admin_allow.conf;
        content_by_lua_file lua/admin.lua;
    }
}
"""

LUA = {
    "lua/adserver/init.lua": """\
local cjson = require "cjson"
local stringx = require "adutil.stringx"
local _M = {}
_M.loaded = stringx.strip("  adserver  ")
ngx.log(ngx.INFO, "adserver init ", cjson.encode({ok = true}))
return _M
""",
    "lua/adserver/serve.lua": """\
local protocol = require "binary_protocol"
local template = require "resty.adtemplate"
local ids = require "adids"
local _M = {}
function _M.run()
    local dict = ngx.shared.ad_cache
    local hits = dict:incr("hits", 1, 0)
    ngx.say(template.render("ad {{id}} ", {id = ids.next(hits)}), protocol.frame())
    ngx.shared.monitor_status:set("last", ngx.now())
    local f = io.open(ngx.config.prefix() .. "data/last_ad.txt", "w")
    if f then f:write(hits) f:close() end
end
return _M
""",
    "lua/admin.lua": 'ngx.say("admin: ", ngx.shared.monitor_status:get("last") or "-")\n',
}

NATIVE = """\
typedef struct lua_State lua_State;
void lua_pushstring(lua_State *L, const char *s);
typedef int (*lua_CFunction)(lua_State *L);
void lua_pushcclosure(lua_State *L, lua_CFunction f, int n);
void lua_setfield(lua_State *L, int idx, const char *k);
void lua_createtable(lua_State *L, int narr, int nrec);
const char *adfmt_frame(void);
static int frame(lua_State *L) { lua_pushstring(L, adfmt_frame()); return 1; }
int luaopen_binary_protocol(lua_State *L) {
    lua_createtable(L, 0, 1);
    lua_pushcclosure(L, frame, 0);
    lua_setfield(L, -2, "frame");
    return 1;
}
"""

#: name, version, modules (module -> source), dependencies (name -> version)
ROCKS: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
    ("adutil", "1.2-1", {"adutil.stringx": "return { strip = function(s) return "
                         "(s:gsub('^%s+', ''):gsub('%s+$', '')) end }\n"}, {}),
    ("lua-resty-adtemplate", "2.0-1", {"resty.adtemplate": "return { render = function(t, v) "
                                       "return (t:gsub('{{(%w+)}}', v)) end }\n"}, {}),
    ("adids", "0.3-2", {"adids": "return { next = function(n) return 'ad-' .. n end }\n"}, {}),
    ("lua-resty-adcookie", "0.1.0-1", {"resty.adcookie": "return {}\n"}, {}),
    ("lua-resty-adhmac", "0.06-1", {"resty.adhmac": "return {}\n"}, {}),
    ("lua-resty-adjwt", "0.2.3-0", {"resty.adjwt": "return {}\n",
                                    "resty.adjwt-validators": "return {}\n"},
     {"lua-resty-adhmac": "0.06-1"}),
    ("adinspect", "3.1.3-0", {"adinspect": "return function(v) return tostring(v) end\n"}, {}),
    ("adargparse", "0.7.1-1", {"adargparse": "return {}\n"}, {}),
    ("lua-resty-adlimit", "1.0.0-1", {"resty.adlimit": "return {}\n",
                                      "resty.adlimit.count": "return {}\n"}, {}),
    ("adsay", "1.4.1-3", {"adsay": "return {}\n"}, {}),
    ("adpenlight", "1.14.0-2", {"adpl.utils": "return {}\n", "adpl.path": "return {}\n"},
     {"adsay": "1.4.1-3"}),
    ("lua-resty-adlog", "0.9-1", {"resty.adlog": "return {}\n"}, {}),
]


def _file(module: str) -> str:
    return module.replace(".", "/") + ".lua"


def rockspec(name: str, version: str, modules: dict[str, str], deps: dict[str, str]) -> str:
    mods = ",\n".join(f'      ["{m}"] = "{_file(m)}"' for m in modules)
    req = "".join(f', "{d} == {v.split("-")[0]}"' for d, v in deps.items())
    base = version.split("-")[0]
    return (f'package = "{name}"\nversion = "{version}"\n'
            f'source = {{ url = "{name}-{base}.tar.gz", dir = "{name}-{base}" }}\n'
            f'dependencies = {{ "lua >= 5.1"{req} }}\n'
            f'build = {{\n   type = "builtin",\n   modules = {{\n{mods}\n   }}\n}}\n')


def tree_manifest(rocks: list[tuple[str, str, dict[str, str], dict[str, str]]]) -> str:
    """The tree's manifest as luarocks 3 writes it (persist.save_from_table, 3 spaces)."""
    def key(k: str) -> str:
        return k if k.isidentifier() else f'["{k}"]'

    mods = {m: f"{n}/{v}" for n, v, ms, _d in rocks for m in ms}
    out = ["commands = {}", "dependencies = {"]
    for n, v, _ms, deps in rocks:
        items = ['            constraints = {\n               {\n                  op = ">=",\n'
                 '                  version = {\n                     5, 1, string = "5.1"\n'
                 '                  }\n               }\n            },\n'
                 '            name = "lua"']
        items += [f'            constraints = {{ {{ op = "==", version = {{ string = "{dv}" }} '
                  f'}} }},\n            name = "{d}"' for d, dv in deps.items()]
        body = "\n         },\n         {\n".join(items)
        out.append(f'   {key(n)} = {{\n      ["{v}"] = {{\n         {{\n{body}\n         }}\n'
                   '      }\n   },')
    out.append("}\nmodules = {")
    out += [f'   {key(m)} = {{\n      "{who}"\n   }},' for m, who in sorted(mods.items())]
    out.append("}\nrepository = {")
    for n, v, ms, deps in rocks:
        dep_lines = "".join(f'\n               {key(d)} = "{dv}",' for d, dv in deps.items())
        mod_lines = "".join(f'\n               {key(m)} = "{_file(m)}",' for m in ms)
        out.append(f'   {key(n)} = {{\n      ["{v}"] = {{\n         {{\n'
                   f'            arch = "installed",\n            commands = {{}},\n'
                   f'            dependencies = {{{dep_lines}\n            }},\n'
                   f'            modules = {{{mod_lines}\n            }}\n         }}\n'
                   '      }\n   },')
    out.append("}\n")
    return "\n".join(out)


def tree_files(tree: str, rocks: list[tuple[str, str, dict[str, str], dict[str, str]]]
               ) -> dict[str, str]:
    """The files of a luarocks tree at `tree` (below ROOT) holding `rocks`."""
    files = {f"{tree}/lib/luarocks/rocks-5.1/manifest": tree_manifest(rocks)}
    for name, version, modules, deps in rocks:
        files[f"{tree}/lib/luarocks/rocks-5.1/{name}/{version}/{name}-{version}.rockspec"] = \
            rockspec(name, version, modules, deps)
        files.update({f"{tree}/share/lua/5.1/{_file(m)}": src for m, src in modules.items()})
    return files


#: an app's own tree (`luarocks --tree /opt/app/rocks`), first on the Lua path: a newer
#: adutil than the system tree's, and a rock of its own that depends on it
APP_TREE = "opt/app/rocks"
APP_ROCKS: list[tuple[str, str, dict[str, str], dict[str, str]]] = [
    ("lua-resty-adqueue", "0.4-1", {"resty.adqueue": "return {}\n"}, {"adutil": "1.3-1"}),
    ("adutil", "1.3-1", {"adutil.stringx": "return { strip = function(s) return s end }\n"},
     {}),
]


def add_app_tree(root: Path) -> None:
    """Give the host copy at `root` the app tree, put first on the conf's lua_package_path."""
    write_tree(root, tree_files(APP_TREE, APP_ROCKS))
    conf = root / PREFIX / "conf/nginx.conf"
    conf.write_text(conf.read_text().replace(
        'lua_package_path "', f'lua_package_path "/{APP_TREE}/share/lua/5.1/?.lua;'))


def rock_sources(dest: Path, rocks: list[tuple[str, str, dict[str, str], dict[str, str]]]
                 | None = None) -> list[Path]:
    """One source folder per rock of `rocks` (ROCKS by default), for
    restybuild.rockserver.make_server."""
    out = []
    for name, version, modules, deps in ROCKS if rocks is None else rocks:
        folder = dest / f"{name}-{version}"
        files = {f"{name}-{version}.rockspec": rockspec(name, version, modules, deps)}
        files.update({_file(m): src for m, src in modules.items()})
        write_tree(folder, files)
        out.append(folder)
    return out


def centos_host(root: Path) -> Path:
    """A copy of a CentOS 7 host running OpenResty 1.13.6.2; returns the nginx -V file."""
    files = {
        "etc/redhat-release": "CentOS Linux release 7.9.2009 (Core)\n",
        "etc/systemd/system/openresty.service": UNIT,
        "etc/ld.so.conf": "include ld.so.conf.d/*.conf\n",
        f"{PREFIX}/conf/nginx.conf": NGINX_CONF,
        f"{PREFIX}/conf/mime.types": "types {\n    text/html html;\n    text/plain txt;\n}\n",
        f"{PREFIX}/conf/vhosts/ads.conf": ADS_VHOST,
        f"{PREFIX}/conf/vhosts/admin.conf": ADMIN_VHOST,
        f"{PREFIX}/conf/common/admin_allow.conf": "allow 127.0.0.1;\ndeny all;\n",
        f"{PREFIX}/html/static/banner.txt": "banner\n",
        f"{PREFIX}/logs/error.log": "",
        **{f"{PREFIX}/{k}": v for k, v in LUA.items()},
        **tree_files(TREE, ROCKS),
    }
    write_tree(root, files)
    vendor = root / "usr/local/vendor/lib"
    log = cc(vendor / "libadlog.so.1", 'const char *adlog_tag(void){return "logged";}\n',
             soname="libadlog.so.1")
    fmt = cc(vendor / "libadfmt.so.1",
             "#include <stdio.h>\nconst char *adlog_tag(void);\nstatic char b[64];\n"
             'const char *adfmt_frame(void){snprintf(b, sizeof b, "[frame %s]", adlog_tag());'
             "return b;}\n", soname="libadfmt.so.1", needs=[log])
    cc(root / PREFIX / "lua_lib/binary_protocol.so", NATIVE, needs=[fmt])
    nginx_v = root.parent / f"{root.name}-nginx-V.txt"
    nginx_v.write_text(NGINX_V, encoding="utf-8")
    return nginx_v


#: a SysV init script (CentOS 6 style) that runs conf/ads.conf through shell variables
INIT = """\
#!/bin/sh
#
# openresty - the ad server
# chkconfig:   - 85 15
# config:      /usr/local/openresty/nginx/conf/ads.conf
. /etc/rc.d/init.d/functions

nginx="/usr/local/openresty/nginx/sbin/nginx"
prog=$(basename $nginx)
NGINX_CONF_FILE="/usr/local/openresty/nginx/conf/ads.conf"
export LD_LIBRARY_PATH=/usr/local/vendor/lib
lockfile=/var/lock/subsys/openresty

start() {
    [ -x $nginx ] || exit 5
    [ -f $NGINX_CONF_FILE ] || exit 6
    echo -n $"Starting $prog: "
    daemon $nginx -c $NGINX_CONF_FILE
}

configtest() {
    $nginx -t -c $NGINX_CONF_FILE
}
"""


def init_script_host(root: Path) -> Path:
    """The standard CentOS host, but started by an init script running conf/ads.conf."""
    nginx_v = centos_host(root)
    conf = root / PREFIX / "conf"
    (conf / "nginx.conf").rename(conf / "ads.conf")
    (root / "etc/systemd/system/openresty.service").unlink()
    write_tree(root, {"etc/init.d/openresty": INIT})
    return nginx_v


CHECKOUT = {
    "conf/nginx.conf": """\
worker_processes 1;
events { worker_connections 128; }
http {
    lua_package_path "$prefix/lua/?.lua;$prefix/lua/?/init.lua;;";
    lua_shared_dict quotes 1m;
    include vhosts/*.conf;
}
""",
    "conf/vhosts/quotes.conf": f"""\
server {{
    listen {PORT};
    location = /ready {{ return 200 "ready\\n"; }}
    location = /health {{ content_by_lua_block {{ ngx.say(ngx.shared.quotes and "ok") }} }}
    location /quote {{ content_by_lua_block {{ require("quotes").serve() }} }}
}}
""",
    "lua/quotes/init.lua": """\
local store = require "quotes.store"
local _M = {}
function _M.serve()
    local n = ngx.shared.quotes:incr("n", 1, 0)
    ngx.say(store.pick(n))
end
return _M
""",
    "lua/quotes/store.lua": """\
local QUOTES = { "simplicity is prerequisite for reliability", "measure, then cut" }
return { pick = function(n) return QUOTES[(n - 1) % #QUOTES + 1] end }
""",
    "README.md": "# quotes\nA small OpenResty app.\n",
}


def checkout(root: Path) -> Path:
    """An app's checkout: conf + Lua + its own lua_package_path, no host files."""
    write_tree(root, CHECKOUT)
    return root
