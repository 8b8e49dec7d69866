"""Every lint rule on a fixture project it catches and on a near miss it does not catch.

Each fixture is a project written from a dict into `tmp_path` and linted from
its own folder, so the lines are exactly what `restybuild lint` prints there:
`file:line:col: CODE severity: message` (hints are checked where they matter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from restybuild.lint.rules import RULES
from restybuild.lint.runner import META_RULES, all_codes
from restybuild.rockserver import make_server
from tests.conftest import REPO, lua_module, write_tree
from tests.lint.util import HEAD, LintFiles

C = "conf/nginx.conf"
CONF_R = HEAD + "conf conf\n"
LUA_R = HEAD + "lua lua -> lua\n"
BOTH_R = HEAD + "conf conf\nlua lua -> lua\n"
OPENRESTY = "name app\nbase openresty\nlua lua -> lua\n"
#: stream blocks need a base with the stream modules (Debian's nginx lacks them: RB611)
STREAM_R = "name app\nbase openresty\nconf conf\n"
EMPTY_CONF = "events {}\nhttp {}\n"
PROM_ROCK = "rocks -> luarocks {\n    rock nginx-lua-prometheus 0.20240525-1\n}\n"
UNRESOLVED = "no declared lua folder, native, rock or the base image provides this module"
UNPINNED = "name app\nbase image registry.example/openresty:1.21 recipe openresty\n"
DIGEST = "sha256:" + "0123456789abcdef" * 4
DEMO_ROCK = REPO / "examples/demo/rocks-src/restydemo-banner"

DEPLOYMENT = """\
apiVersion: {api}
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          image: app:1
{resources}"""
LIMITS = """\
          resources:
            limits:
              cpu: "{cpu}"
              memory: {memory}
"""
K8S_RESTYFILE = HEAD + "workers cpu\nresources {\n    limit cpu 2 memory 1Gi\n}\n"


@dataclass(frozen=True)
class Case:
    code: str
    id: str
    files: dict[str, str]
    expected: list[str]
    options: dict[str, Any] = field(default_factory=dict)


def k8s_case(code: str, id: str, manifests: dict[str, str], expected: list[str]) -> Case:
    files = {"Restyfile": K8S_RESTYFILE, **{f"k8s/{k}": v for k, v in manifests.items()}}
    return Case(code, id, files, expected, {"k8s": "k8s"})


#: a Lua C module that calls into libneeded.so.1 (so the linker keeps the DT_NEEDED)
NEEDS_LIBNEEDED = ("@cc -L{root}/dep -l:libneeded.so.1\nint needed(void);\n"
                   "int luaopen_mod(void *L) { (void)L; return needed(); }\n")

CATCHES = [
    Case("RB001", "restyfile-syntax", {"Restyfile": HEAD + "workers {\n"},
         ["Restyfile:3:9: RB001 error: `workers` takes no block"]),
    Case("RB002", "restyfile-semantics", {"Restyfile": HEAD + "workers abc\n"},
         ["Restyfile:3:9: RB002 error: `abc` is not a worker count"]),
    Case("RB003", "workers-vs-worker_processes",
         {"Restyfile": CONF_R + "workers 2\n", C: "worker_processes 4;\n" + EMPTY_CONF},
         ["Restyfile:4:1: RB003 error: `workers 2` conflicts with `worker_processes 4` at "
          "conf/nginx.conf:1:1"]),
    Case("RB003", "dict-size-conflict",
         {"Restyfile": BOTH_R + "shared_dict hits 1m\n",
          C: "events {}\nhttp {\n    lua_shared_dict hits 2m;\n}\n",
          "lua/a.lua": "return ngx.shared.hits\n"},
         ["Restyfile:5:1: RB003 error: shared dict `hits` is 1m here but 2m in the conf at "
          "conf/nginx.conf:3:5"]),
    Case("RB004", "lua-ignore-without-reason",
         {"Restyfile": LUA_R, "lua/a.lua": "local d = ngx.shared.x -- restybuild: ignore=RB201\n"},
         ["lua/a.lua:1:1: RB004 warning: `restybuild: ignore=RB201` gives no reason"]),
    Case("RB101", "lua-file",
         {"Restyfile": LUA_R, "lua/a.lua": 'local bp = require "binary_protocol"\n'},
         [f'lua/a.lua:1:12: RB101 error: `require "binary_protocol"`: {UNRESOLVED}']),
    Case("RB201", "lua-inside-the-conf-folder",
         {"Restyfile": CONF_R, C: "events {}\nhttp {\n    init_by_lua_file conf/waf/init.lua;\n}\n",
          "conf/waf/init.lua": "local d = ngx.shared.waf_state\nreturn d\n"},
         ["conf/waf/init.lua:1:22: RB201 error: shared dict `waf_state` is used but never "
          "declared"]),
    Case("RB101", "require-forms",
         {"Restyfile": LUA_R,
          "lua/a.lua": 'local a = require("one")\nlocal b = require "two"\n'
                       "local c = require 'three'\nlocal d = require [[four]]\n"},
         [f'lua/a.lua:1:11: RB101 error: `require "one"`: {UNRESOLVED}',
          f'lua/a.lua:2:11: RB101 error: `require "two"`: {UNRESOLVED}',
          f'lua/a.lua:3:11: RB101 error: `require "three"`: {UNRESOLVED}',
          f'lua/a.lua:4:11: RB101 error: `require "four"`: {UNRESOLVED}']),
    Case("RB101", "conf-lua-block",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    server {\n        location / {\n"
             "            content_by_lua_block {\n"
             '                local y = require("nope.two")\n'
             "            }\n        }\n    }\n}\n"},
         [f'conf/nginx.conf:6:27: RB101 error: `require "nope.two"`: {UNRESOLVED}']),
    Case("RB101", "broken-lua-file-still-scanned",
         {"Restyfile": LUA_R, "lua/a.lua": 'local x = require("nope")\nfunction (\nend end ((\n'},
         [f'lua/a.lua:1:11: RB101 error: `require "nope"`: {UNRESOLVED}']),
    Case("RB101", "optional-module",
         {"Restyfile": LUA_R, "lua/a.lua":
          'local ok, jit_dump = pcall(require, "jit.p")\nlocal ok2, m = pcall(require, "nope")\n'
          'pcall(function() local x = require "maybe" end)\n'},
         ['lua/a.lua:2:16: RB101 info: `require "nope"`: no declared lua folder, native, rock or '
          "the base image provides this module (optional: its failure is caught with pcall)",
          'lua/a.lua:3:28: RB101 info: `require "maybe"`: no declared lua folder, native, rock '
          "or the base image provides this module (optional: its failure is caught with pcall)"]),
    Case("RB101", "optional-through-a-local-function-only-pcalled",
         {"Restyfile": LUA_R, "lua/a.lua":
          'local function load()\n  return require "maybe.a"\nend\nlocal ok, a = pcall(load)\n'
          'local get = function() return require "maybe.b" end\n'
          'local ok2, b = xpcall(get, debug.traceback)\n'
          'local function direct() return require "nope.c" end\npcall(direct)\ndirect()\n'},
         ['lua/a.lua:2:10: RB101 info: `require "maybe.a"`: no declared lua folder, native, '
          "rock or the base image provides this module (optional: its failure is caught with "
          "pcall)",
          'lua/a.lua:5:31: RB101 info: `require "maybe.b"`: no declared lua folder, native, '
          "rock or the base image provides this module (optional: its failure is caught with "
          "pcall)",
          f'lua/a.lua:7:32: RB101 error: `require "nope.c"`: {UNRESOLVED}']),
    Case("RB102", "computed-require",
         {"Restyfile": LUA_R, "lua/a.lua": 'local drv = require("drivers." .. kind)\n'},
         ["lua/a.lua:1:13: RB102 info: `require` with a computed module name cannot be checked"]),
    Case("RB501", "native-needs-a-missing-library",
         {"dep/libneeded.so.1": "@cc -Wl,-soname,libneeded.so.1\nint needed(void) { return 1; }\n",
          "natives/mod.so": NEEDS_LIBNEEDED,
          "Restyfile": HEAD + "native natives/mod.so -> lua\n"},
         ["Restyfile:3:1: RB501 error: natives/mod.so needs libneeded.so.1, which the base "
          "image debian-bookworm:12-runtime lacks and no search folder has"]),
    Case("RB502", "musl-native-on-glibc",
         {"natives/mu.so": "@musl-gcc\nint luaopen_mu(void *L) { (void)L; return 0; }\n",
          "Restyfile": HEAD + "native natives/mu.so -> lua\n"},
         ["Restyfile:3:1: RB502 error: natives/mu.so is linked against musl, but the base "
          "image debian-bookworm:12-runtime uses glibc"]),
    Case("RB110", "base-image-by-tag",
         {"Restyfile": UNPINNED},
         ["Restyfile:2:1: RB110 warning: base image registry.example/openresty:1.21 is not "
          "pinned by digest"]),
    Case("RB201", "dot",
         {"Restyfile": LUA_R, "lua/a.lua": "local d = ngx.shared.result_dict\n"},
         ["lua/a.lua:1:22: RB201 error: shared dict `result_dict` is used but never declared"]),
    Case("RB201", "bracket",
         {"Restyfile": LUA_R, "lua/a.lua": 'local d = ngx.shared["result_dict"]\n'},
         ["lua/a.lua:1:22: RB201 error: shared dict `result_dict` is used but never declared"]),
    Case("RB201", "alias",
         {"Restyfile": LUA_R, "lua/a.lua": "local s = ngx.shared\nlocal d = s.result_dict\n"},
         ["lua/a.lua:2:13: RB201 error: shared dict `result_dict` is used but never declared"]),
    Case("RB201", "libraries",
         {"Restyfile": OPENRESTY + PROM_ROCK,
          "lua/a.lua": 'local prometheus = require("prometheus")\n'
                       'prometheus.init("pm")\n'
                       'local l = require("resty.lock"):new("locks")\n'
                       'local r = require("resty.limit.req").new("limit_req_store", 1, 2)\n'},
         ["lua/a.lua:2:17: RB201 error: shared dict `pm` is used (through prometheus) but "
          "never declared",
          "lua/a.lua:3:37: RB201 error: shared dict `locks` is used (through resty.lock) but "
          "never declared",
          "lua/a.lua:4:42: RB201 error: shared dict `limit_req_store` is used (through "
          "resty.limit.req) but never declared"]),
    Case("RB201", "http-dict-from-stream-block",
         {"Restyfile": STREAM_R,
          C: "events {}\nhttp {\n    lua_shared_dict h 1m;\n}\nstream {\n    server {\n"
             "        listen 9000;\n        content_by_lua_block {\n"
             "            local b = ngx.shared.h\n        }\n    }\n}\n"},
         ["conf/nginx.conf:9:34: RB201 error: shared dict `h` is used but never declared"]),
    Case("RB202", "unused",
         {"Restyfile": LUA_R + "shared_dict old_cache 100m\n", "lua/a.lua": "return 1\n"},
         ["Restyfile:4:1: RB202 warning: shared dict `old_cache` is declared but no Lua code "
          "uses it"]),
    Case("RB203", "computed-dict",
         {"Restyfile": LUA_R, "lua/a.lua": "local d = ngx.shared[conf.dict]\n"},
         ["lua/a.lua:1:22: RB203 info: a shared dict name computed at run time cannot be "
          "checked"]),
    Case("RB301", "auto-without-workers",
         {"Restyfile": CONF_R, C: "worker_processes auto;\n" + EMPTY_CONF},
         ["conf/nginx.conf:1:1: RB301 error: `worker_processes auto` counts the node's CPUs, "
          "not the container's CPU limit"]),
    Case("RB302", "above-cpu",
         {"Restyfile": HEAD + "workers 8\nresources {\n    limit cpu 2 memory 4Gi\n}\n"},
         ["Restyfile:3:1: RB302 warning: 8 workers for a CPU limit of 2000m (2 CPU)"]),
    Case("RB401", "over",
         {"Restyfile": LUA_R + "workers 2\nshared_dict cache 100m\n"
                               "resources {\n    limit memory 256Mi\n}\n",
          "lua/a.lua": "return ngx.shared.cache\n"},
         ["Restyfile:6:1: RB401 error: estimated memory master 16Mi + 2 workers x 64Mi + "
          "shared dicts 100Mi + reload headroom 128Mi = 372Mi is above the limit 256Mi"]),
    Case("RB401", "within-20-percent",
         {"Restyfile": LUA_R + "workers 2\nshared_dict cache 100m\n"
                               "resources {\n    limit memory 400Mi\n}\n",
          "lua/a.lua": "return ngx.shared.cache\n"},
         ["Restyfile:6:1: RB401 warning: estimated memory master 16Mi + 2 workers x 64Mi + "
          "shared dicts 100Mi + reload headroom 128Mi = 372Mi is within 20% of the limit "
          "400Mi"]),
    Case("RB401", "conf-dicts-count",
         {"Restyfile": CONF_R + "resources {\n    limit memory 400Mi\n}\n",
          C: "events {}\nhttp {\n    lua_shared_dict big 200m;\n}\n"},
         ["Restyfile:4:1: RB401 warning: estimated memory master 16Mi + 1 workers x 64Mi + "
          "shared dicts 200Mi + reload headroom 64Mi = 344Mi is within 20% of the limit "
          "400Mi"]),
    Case("RB401", "configured-worker-memory",
         {"Restyfile": HEAD + "workers 2\nresources {\n    limit memory 256Mi\n}\n"},
         ["Restyfile:4:1: RB401 error: estimated memory master 32Mi + 2 workers x 128Mi + "
          "shared dicts 0Mi + reload headroom 256Mi = 544Mi is above the limit 256Mi"],
         {"worker-memory": "128Mi", "master-memory": "32Mi"}),
    # The effective conf runs `worker_processes 4` workers when the Restyfile has no `workers`.
    Case("RB401", "conf-worker-processes",
         {"Restyfile": CONF_R + "resources {\n    limit memory 256Mi\n}\n",
          C: "worker_processes 4;\n" + EMPTY_CONF},
         ["Restyfile:4:1: RB401 error: estimated memory master 16Mi + 4 workers x 64Mi + "
          "shared dicts 0Mi + reload headroom 256Mi = 528Mi is above the limit 256Mi"]),
    Case("RB601", "unclosed-block",
         {"Restyfile": CONF_R, C: "events {}\nhttp {\n    server {\n        listen 80;\n}\n"},
         ['conf/nginx.conf:6:1: RB601 error: nginx conf: unexpected end of file, expecting "}"']),
    Case("RB602", "stock-files-on-a-base-without-facts",
         {"Restyfile": "name app\nbase openresty 1.21.4.3 bookworm\nconf conf\n",
          C: "events {}\nhttp {\n    include mime.types;\n    include fastcgi_params;\n"
             "    include koi-win;\n    include app.conf;\n}\n"},
         ["conf/nginx.conf:3:5: RB602 warning: `include mime.types` matches no file in conf: "
          "nginx's own install keeps it in its conf folder, and the base image's copy stays "
          "under /usr/local/openresty/nginx/conf beside the conf folder's; restybuild has no "
          "facts of this base to be sure",
          "conf/nginx.conf:4:5: RB602 warning: `include fastcgi_params` matches no file in "
          "conf: nginx's own install keeps it in its conf folder, and the base image's copy "
          "stays under /usr/local/openresty/nginx/conf beside the conf folder's; restybuild has "
          "no facts of this base to be sure",
          "conf/nginx.conf:5:5: RB602 warning: `include koi-win` matches no file in conf: "
          "nginx's own install keeps it in its conf folder, and the base image's copy stays "
          "under /usr/local/openresty/nginx/conf beside the conf folder's; restybuild has no "
          "facts of this base to be sure",
          "conf/nginx.conf:6:5: RB602 error: `include app.conf` matches no file in conf"]),
    Case("RB602", "include-of-an-absolute-app-folder",
         {"Restyfile": CONF_R + "files app -> /opt/myapp\n", "app/vhosts/a.conf": "",
          C: "events {}\nhttp {\n    include /opt/myapp/vhosts/*.conf;\n"
             "    include /opt/myapp/extra.conf;\n}\n"},
         ["conf/nginx.conf:4:5: RB602 error: `include /opt/myapp/extra.conf` matches no file "
          "in app"]),
    Case("RB602", "include-missing",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    include mime.types;\n    include vhosts/*.conf;\n"
             "    include /usr/share/nginx/conf/missing.conf;\n}\n"},
         ["conf/nginx.conf:3:5: RB602 error: `include mime.types` matches no file in conf",
          "conf/nginx.conf:4:5: RB602 warning: `include vhosts/*.conf` matches no file in conf",
          "conf/nginx.conf:5:5: RB602 error: `include /usr/share/nginx/conf/missing.conf` "
          "matches no file in conf"]),
    Case("RB603", "dict-twice-through-include",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    lua_shared_dict a 1m;\n    include more.conf;\n}\n",
          "conf/more.conf": "lua_shared_dict a 1m;\n"},
         ["conf/more.conf:1:1: RB603 error: lua_shared_dict `a` is already declared at "
          "conf/nginx.conf:3:5"]),
    Case("RB604", "lua-file-missing",
         {"Restyfile": CONF_R + "lua src -> app\n", "src/handler.lua": "return 1\n",
          C: "events {}\nhttp {\n    init_by_lua_file lua/init.lua;\n"
             "    init_worker_by_lua_file app/worker.lua;\n}\n"},
         ["conf/nginx.conf:3:5: RB604 error: `init_by_lua_file lua/init.lua`: the image will "
          "have no /usr/share/nginx/lua/init.lua: nginx does not start",
          "conf/nginx.conf:4:5: RB604 error: `init_worker_by_lua_file app/worker.lua`: the image "
          "will have no /usr/share/nginx/app/worker.lua (src/worker.lua does not exist): nginx "
          "does not start"]),
    Case("RB604", "request-time-file-missing",
         {"Restyfile": CONF_R + "lua src -> app\nprobe readiness http /ready port 8080\n"
                       "probe liveness http /live port 8080\n",
          "src/handler.lua": "return 1\n",
          C: "events {}\nhttp {\n    access_by_lua_file app/gate.lua;\n    server {\n"
             "        listen 8080;\n"
             "        location /api {\n            content_by_lua_file app/api.lua;\n        }\n"
             "        location /ready {\n            content_by_lua_file app/ready.lua;\n"
             "        }\n"
             "        location /own {\n            access_by_lua_file app/handler.lua;\n"
             "            return 200;\n        }\n"
             "        location /live {\n            access_by_lua_block { return }\n"
             "        }\n    }\n}\n"},
         ["conf/nginx.conf:3:5: RB604 error: `access_by_lua_file app/gate.lua`: the image will "
          "have no /usr/share/nginx/app/gate.lua (src/gate.lua does not exist): the readiness "
          "probe GET /ready gets a 500",
          "conf/nginx.conf:7:13: RB604 warning: `content_by_lua_file app/api.lua`: the image "
          "will have no /usr/share/nginx/app/api.lua (src/api.lua does not exist): requests it "
          "serves get a 500",
          "conf/nginx.conf:10:13: RB604 error: `content_by_lua_file app/ready.lua`: the image "
          "will have no /usr/share/nginx/app/ready.lua (src/ready.lua does not exist): the "
          "readiness probe GET /ready gets a 500"]),
    Case("RB604", "phases-with-no-request-or-no-probe",
         {"Restyfile": CONF_R + "lua src -> app\nprobe readiness http /ready port 8080\n",
          "src/handler.lua": "return 1\n",
          C: "events {}\nhttp {\n    exit_worker_by_lua_file app/bye.lua;\n    server {\n"
             "        listen 8080;\n        ssl_certificate_by_lua_file app/cert.lua;\n"
             "        location /ready {\n"
             "            set_by_lua_file $v app/handler.lua $arg_a;\n"
             "            set_by_lua_file $w app/calc.lua $arg_b;\n"
             "            return 200;\n        }\n    }\n}\n"},
         ["conf/nginx.conf:3:5: RB604 error: `exit_worker_by_lua_file app/bye.lua`: the image "
          "will have no /usr/share/nginx/app/bye.lua (src/bye.lua does not exist): each worker "
          "logs an error as it exits",
          "conf/nginx.conf:6:9: RB604 warning: `ssl_certificate_by_lua_file app/cert.lua`: the "
          "image will have no /usr/share/nginx/app/cert.lua (src/cert.lua does not exist): "
          "the connections that run it fail",
          "conf/nginx.conf:9:13: RB604 error: `set_by_lua_file app/calc.lua`: the image will "
          "have no /usr/share/nginx/app/calc.lua (src/calc.lua does not exist): the readiness "
          "probe GET /ready gets a 500"]),
    Case("RB604", "overridden-nearer-the-probed-location",
         {"Restyfile": CONF_R + "lua src -> app\nprobe liveness http /live port 8080\n",
          "src/handler.lua": "return 1\n",
          C: "events {}\nhttp {\n    server {\n        listen 8080;\n"
             "        rewrite_by_lua_file app/gone.lua;\n"
             "        access_by_lua_file app/gate.lua;\n"
             "        location /live {\n            rewrite_by_lua_file app/handler.lua;\n"
             "            access_by_lua_block { return }\n"
             "            return 200;\n        }\n    }\n}\n"},
         ["conf/nginx.conf:5:9: RB604 warning: `rewrite_by_lua_file app/gone.lua`: the image "
          "will have no /usr/share/nginx/app/gone.lua (src/gone.lua does not exist): requests it "
          "serves get a 500",
          "conf/nginx.conf:6:9: RB604 warning: `access_by_lua_file app/gate.lua`: the image "
          "will have no /usr/share/nginx/app/gate.lua (src/gate.lua does not exist): requests it "
          "serves get a 500"]),
    Case("RB605", "secrets",
         {"Restyfile": BOTH_R, C: EMPTY_CONF, "conf/.git/HEAD": "ref\n", "lua/.env": "X=1\n",
          "lua/a.lua": "return 1\n", "lua/PROD.ENV": "X=1\n", "lua/.aws/credentials": "[x]\n",
          "lua/tls.pem": "-----BEGIN PRIVATE KEY-----\n", "lua/ca.pem": "-----BEGIN CERTIFICATE"},
         ["Restyfile:3:1: RB605 warning: conf/.git is inside a declared folder; it is kept out "
          "of the image (version control, editor or credentials folder)",
          "Restyfile:4:1: RB605 warning: lua/.aws is inside a declared folder; it is kept out "
          "of the image (version control, editor or credentials folder)",
          "Restyfile:4:1: RB605 warning: lua/.env is inside a declared folder; it is kept out "
          "of the image (a secret)",
          "Restyfile:4:1: RB605 warning: lua/PROD.ENV is inside a declared folder; it is kept out "
          "of the image (a secret)",
          "Restyfile:4:1: RB605 warning: lua/tls.pem is inside a declared folder; it is kept out "
          "of the image (a private key)"]),
    Case("RB606", "fifo-and-link-out",
         {"Restyfile": LUA_R, "lua/a.lua": "@fifo", "outside.lua": "return 1\n",
          "lua/b.lua": "@symlink ../outside.lua"},
         ["Restyfile:3:1: RB606 error: lua/a.lua is not a regular file (a FIFO)"]),
    Case("RB606", "link-out",
         {"Restyfile": LUA_R, "lua/b.lua": "@symlink /etc/passwd"},
         ["Restyfile:3:1: RB606 error: lua/b.lua is a symlink that points outside the project "
          "(to /etc/passwd)"]),
    Case("RB602", "include-outside-the-folders",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    include /opt/shared/fastcgi_params;\n}\n"},
         ["conf/nginx.conf:3:5: RB602 warning: `include /opt/shared/fastcgi_params` reads "
          "/opt/shared/fastcgi_params, outside every declared folder: restybuild cannot follow "
          "it, so the edits and the checks do not see it; the base image must have it"]),
    Case("RB607", "package-path-without-default",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    lua_package_path '/opt/waf/?.lua';\n}\n"},
         ["conf/nginx.conf:3:5: RB607 info: `lua_package_path` has no `;;` (the base's default "
          "path): restybuild appends it, so resty.core and the base's libraries stay "
          "reachable"]),
    Case("RB608", "writes-into-the-prefix",
         {"Restyfile": LUA_R, "lua/a.lua":
          'local f = io.open(ngx.config.prefix() .. "logs/attack.log", "a")\n'
          'local g = io.open("/etc/app.json", "w+")\n'},
         ["lua/a.lua:1:11: RB608 warning: `io.open(..., 'a')` writes "
          "/usr/share/nginx/logs/attack.log, but the image's root is read-only there",
          "lua/a.lua:2:11: RB608 warning: `io.open(..., 'w+')` writes /etc/app.json, but the "
          "image's root is read-only there"]),
    Case("RB608", "writes-as-nginx-starts",
         {"Restyfile": CONF_R + "lua lua -> lua\n", "lua/a.lua": "return 1\n",
          C: "events {}\nhttp {\n    init_by_lua_block {\n"
             '        local f = assert(io.open("/etc/app/state.json", "w"))\n'
             '        local g = io.open(ngx.config.prefix() .. "conf/gen.conf", "w")\n'
             '        g:write("x")\n'
             '        local h = io.open("/etc/app/optional", "w")\n'
             "        if h then h:close() end\n"
             '        local function later() assert(io.open("/etc/app/later", "w")) end\n'
             "    }\n    init_worker_by_lua_block {\n"
             '        io.open("/var/app/pid", "w"):write(ngx.worker.pid())\n    }\n'
             "    server {\n        listen 8080;\n"
             '        location / { content_by_lua_block { assert(io.open("/srv/x", "w")) } }\n'
             "    }\n}\n"},
         ["conf/nginx.conf:4:26: RB608 error: `io.open(..., 'w')` writes /etc/app/state.json, "
          "but the image's root is read-only there: the open fails and init_by_lua_block "
          "raises as nginx starts",
          "conf/nginx.conf:5:19: RB608 error: `io.open(..., 'w')` writes "
          "/usr/share/nginx/conf/gen.conf, but the image's root is read-only there: "
          "the open fails and init_by_lua_block raises as nginx starts",
          "conf/nginx.conf:7:19: RB608 warning: `io.open(..., 'w')` writes /etc/app/optional, "
          "but the image's root is read-only there",
          "conf/nginx.conf:9:39: RB608 warning: `io.open(..., 'w')` writes /etc/app/later, "
          "but the image's root is read-only there",
          "conf/nginx.conf:12:9: RB608 error: `io.open(..., 'w')` writes /var/app/pid, but the "
          "image's root is read-only there: the open fails and init_worker_by_lua_block "
          "raises as nginx starts",
          "conf/nginx.conf:16:52: RB608 warning: `io.open(..., 'w')` writes /srv/x, but the "
          "image's root is read-only there"]),
    Case("RB609", "loopback-probe",
         {"Restyfile": CONF_R + "probe readiness http /ready port 8080\nexpose 8081\n",
          C: "events {}\nhttp {\n    server {\n        listen 127.0.0.1:8080;\n    }\n"
             "    server {\n        listen [::1]:8081;\n    }\n}\n"},
         ["conf/nginx.conf:4:9: RB609 warning: port 8080 (the readiness probe) is listened on "
          "at a loopback address only: the kubelet and the Service reach the pod at its own "
          "address, never there",
          "conf/nginx.conf:7:9: RB609 warning: port 8081 (`expose`) is listened on at a loopback "
          "address only: the kubelet and the Service reach the pod at its own address, never "
          "there"]),
    Case("RB610", "centos-user",
         {"Restyfile": CONF_R, C: "user nginx;\nevents {}\nhttp {}\n"},
         ["conf/nginx.conf:1:1: RB610 info: `user nginx` is ignored (the base lacks account "
          "`nginx` and lacks group `nginx`): the image runs nginx as the non-root 10001:0, "
          "and nginx applies `user` only to a master running as root"]),
    Case("RB614", "resolver-local-on-debian",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    resolver local=on ipv6=off;\n    server {\n"
             "        resolver 10.96.0.10 local=on;\n    }\n}\n"},
         ["conf/nginx.conf:3:5: RB614 error: `resolver local=on` is OpenResty's: this base's "
          "nginx (nginx/1.22.1) takes addresses only (nginx -t: host not found in resolver "
          '"local=on")',
          "conf/nginx.conf:5:9: RB614 error: `resolver local=on` is OpenResty's: this base's "
          "nginx (nginx/1.22.1) takes addresses only (nginx -t: host not found in resolver "
          '"local=on")']),
    Case("RB611", "stream-lua-on-a-base-with-http-lua-only",
         {"Restyfile": CONF_R + "module stream\n",
          C: "events {}\nstream {\n    lua_shared_dict conns 1m;\n    server {\n"
             "        listen 9000;\n        content_by_lua_block { ngx.say(1) }\n    }\n}\n"
             "http {\n    server {\n        lua_shared_dict misplaced 1m;\n    }\n}\n"},
         ["conf/nginx.conf:3:5: RB611 error: `lua_shared_dict` is not allowed in stream: the "
          "base's nginx and the modules the image loads take it elsewhere (nginx -t: "
          '"lua_shared_dict" directive is not allowed here)',
          "conf/nginx.conf:6:9: RB611 error: `content_by_lua_block` is not allowed in stream "
          "server: the base's nginx and the modules the image loads take it elsewhere (nginx "
          '-t: "content_by_lua_block" directive is not allowed here)',
          "conf/nginx.conf:11:9: RB611 error: `lua_shared_dict` is not allowed in http server: "
          "the base's nginx and the modules the image loads take it elsewhere (nginx -t: "
          '"lua_shared_dict" directive is not allowed here)']),
    Case("RB611", "modules-the-base-lacks",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    more_set_headers \"Server: app\";\n    server {\n"
             "        location / {\n            echo hello;\n        }\n    }\n}\n"},
         ["conf/nginx.conf:3:5: RB611 error: unknown directive `more_set_headers`: the base's "
          "nginx and the modules the image loads do not define it (nginx -t fails)",
          "conf/nginx.conf:6:13: RB611 error: unknown directive `echo`: the base's nginx and "
          "the modules the image loads do not define it (nginx -t fails)"]),
    Case("RB611", "a-module-the-distribution-packages",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    server {\n        location / {\n"
             "            echo hello;\n        }\n    }\n}\n"},
         ["conf/nginx.conf:5:13: RB611 error: unknown directive `echo`: the base's nginx and the "
          "modules the image loads do not define it (nginx -t fails)"]),
    Case("RB613", "one-finding-for-a-module-loaded-by-hand",
         {"Restyfile": CONF_R,
          C: "load_module modules/ngx_http_headers_more_filter_module.so;\nevents {}\n"
             "http {\n    more_set_headers \"Server: app\";\n}\n"},
         ["conf/nginx.conf:1:1: RB613 error: `load_module "
          "modules/ngx_http_headers_more_filter_module.so`: the image will have no "
          "ngx_http_headers_more_filter_module.so (nginx fails to dlopen it)"]),
    Case("RB613", "load-module-the-base-lacks",
         {"Restyfile": CONF_R,
          C: "load_module modules/ngx_http_echo_module.so;\n"
             "load_module /usr/lib/nginx/modules/ngx_http_geoip2_module.so;\nevents {}\nhttp {}\n"},
         ["conf/nginx.conf:1:1: RB613 error: `load_module modules/ngx_http_echo_module.so`: the "
          "image will have no ngx_http_echo_module.so (nginx fails to dlopen it)",
          "conf/nginx.conf:2:1: RB613 error: `load_module "
          "/usr/lib/nginx/modules/ngx_http_geoip2_module.so`: the image will have no "
          "ngx_http_geoip2_module.so (nginx fails to dlopen it)"]),
    Case("RB612", "another-distributions-ca-bundle",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n"
             "    lua_ssl_trusted_certificate /etc/pki/tls/certs/ca-bundle.crt;\n"
             "    proxy_ssl_trusted_certificate /etc/ssl/cert.pem;\n"
             "    lua_ssl_verify_depth 2;\n    server {\n        listen 8080;\n"
             "        grpc_ssl_verify on;\n        grpc_ssl_trusted_certificate certs/ca.pem;\n"
             "        location / {\n            grpc_pass grpcs://127.0.0.1:9;\n        }\n"
             "        uwsgi_ssl_crl certs/crl.pem;\n    }\n}\n"},
         ["conf/nginx.conf:3:5: RB612 error: `lua_ssl_trusted_certificate "
          "/etc/pki/tls/certs/ca-bundle.crt`: the base image has no "
          "/etc/pki/tls/certs/ca-bundle.crt (a path of another distribution's CA certificates)",
          "conf/nginx.conf:4:5: RB612 warning: `proxy_ssl_trusted_certificate "
          "/etc/ssl/cert.pem`: the base image has no /etc/ssl/cert.pem (a path of another "
          "distribution's CA certificates): nginx reads it only with `proxy_ssl_verify on` and "
          "a `proxy_pass https://...`, which the conf does not have",
          "conf/nginx.conf:9:9: RB612 error: `grpc_ssl_trusted_certificate certs/ca.pem`: the "
          "image will have no /usr/share/nginx/conf/certs/ca.pem (conf/certs/ca.pem does not "
          "exist)",
          "conf/nginx.conf:13:9: RB612 warning: `uwsgi_ssl_crl certs/crl.pem`: the image will "
          "have no /usr/share/nginx/conf/certs/crl.pem (conf/certs/crl.pem does not exist): "
          "nginx reads it only with `uwsgi_ssl_verify on` and a `uwsgi_pass suwsgi://...`, "
          "which the conf does not have"]),
    Case("RB612", "certificates-the-image-lacks",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    server {\n        listen 443 ssl;\n"
             "        ssl_certificate certs/app.crt;\n        ssl_certificate_key certs/app.key;\n"
             "        ssl_dhparam /etc/nginx/dhparam.pem;\n    }\n}\n"},
         ["conf/nginx.conf:5:9: RB612 error: `ssl_certificate certs/app.crt`: the image will have "
          "no /usr/share/nginx/conf/certs/app.crt (conf/certs/app.crt does not exist)",
          "conf/nginx.conf:6:9: RB612 error: `ssl_certificate_key certs/app.key`: the image will "
          "have no /usr/share/nginx/conf/certs/app.key (conf/certs/app.key does not exist)",
          "conf/nginx.conf:7:9: RB612 error: `ssl_dhparam /etc/nginx/dhparam.pem`: neither a "
          "declared folder nor the base image has /etc/nginx/dhparam.pem"]),
    Case("RB701", "metrics-without-rock", {"Restyfile": HEAD + "metrics prometheus port 9145\n"},
         ["Restyfile:3:1: RB701 error: `metrics prometheus` needs the nginx-lua-prometheus "
          "rock"]),
    Case("RB702", "init-by-lua",
         {"Restyfile": CONF_R + "metrics prometheus port 9145\n" + PROM_ROCK,
          C: "events {}\nhttp {\n    init_by_lua_block {\n"
             '        prometheus = require("prometheus").init("prometheus_metrics")\n'
             "    }\n}\n"},
         ["conf/nginx.conf:4:22: RB702 warning: prometheus.init() runs in init_by_lua; the "
          "library wants init_worker_by_lua"]),
    Case("RB702", "init-by-lua-file",
         {"Restyfile": BOTH_R + "metrics prometheus port 9145\n" + PROM_ROCK,
          C: "events {}\nhttp {\n    init_by_lua_file lua/init.lua;\n}\n",
          "lua/init.lua": 'prometheus = require("prometheus").init("prometheus_metrics")\n'},
         ["lua/init.lua:1:14: RB702 warning: prometheus.init() runs in init_by_lua; the "
          "library wants init_worker_by_lua"]),
    Case("RB703", "port-collision",
         {"Restyfile": CONF_R + "metrics prometheus port 9145\n" + PROM_ROCK,
          C: "events {}\nhttp {\n    server {\n        listen 127.0.0.1:9145;\n    }\n}\n"},
         ["Restyfile:4:1: RB703 error: metrics port 9145 is also listened on at "
          "conf/nginx.conf:4:9"]),
    Case("RB704", "metrics-open",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    server {\n        location = /metrics {\n"
             "            return 200;\n        }\n    }\n}\n"},
         ["conf/nginx.conf:4:9: RB704 warning: `location = /metrics` serves metrics to "
          "everyone"]),
    Case("RB801", "getenv",
         {"Restyfile": LUA_R, "lua/a.lua": 'local h = os.getenv("REDIS_HOST")\n'},
         ['lua/a.lua:1:11: RB801 warning: os.getenv("REDIS_HOST") is nil: nginx strips the '
          "environment"]),
    Case("RB802", "socket-without-resolver",
         {"Restyfile": LUA_R, "lua/a.lua": "local sock = ngx.socket.tcp()\n"},
         ["lua/a.lua:1:14: RB802 warning: ngx.socket.tcp connects through cosockets but the "
          "conf has no `resolver`"]),
    Case("RB802", "resty-http-module",
         {"Restyfile": LUA_R + "rocks -> luarocks {\n    rock lua-resty-http 0.17.2-0\n}\n",
          "lua/a.lua": 'local http = require "resty.http"\n'},
         ["lua/a.lua:1:14: RB802 warning: resty.http connects through cosockets but the conf "
          "has no `resolver`"]),
    k8s_case("RB901", "removed-api",
             {"deploy.yaml": DEPLOYMENT.format(
                 api="extensions/v1beta1", resources=LIMITS.format(cpu=2, memory="1Gi"))},
             ["k8s/deploy.yaml:1:13: RB901 error: Deployment in apiVersion extensions/v1beta1 "
              "was removed from Kubernetes"]),
    k8s_case("RB901", "no-limits",
             {"deploy.yaml": DEPLOYMENT.format(api="apps/v1", resources="")},
             ["k8s/deploy.yaml:9:11: RB901 warning: container has no resource limits"]),
    k8s_case("RB901", "limits-disagree",
             {"pod.yml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                         "  containers:\n    - name: app\n      resources:\n        limits:\n"
                         "          cpu: 500m\n          memory: 2Gi\n"},
             ["k8s/pod.yml:10:16: RB901 warning: limits.cpu 500m disagrees with the Restyfile's "
              "limit (Restyfile:4:1)",
              "k8s/pod.yml:11:19: RB901 warning: limits.memory 2Gi disagrees with the "
              "Restyfile's limit (Restyfile:4:1)"]),
    k8s_case("RB901", "invalid-yaml", {"bad.yaml": "a: [\n"},
             ["k8s/bad.yaml:2:1: RB901 error: invalid YAML: expected the node content, but "
              "found '<stream end>'"]),
]

NEAR_MISSES = [
    Case("RB001", "valid-restyfile", {"Restyfile": HEAD + "workers 2\n"}, []),
    Case("RB002", "valid-workers", {"Restyfile": HEAD + "workers 1024\n"}, []),
    Case("RB003", "same-size-in-both",
         {"Restyfile": BOTH_R + "shared_dict hits 1m\n",
          C: "events {}\nhttp {\n    lua_shared_dict hits 1024k;\n}\n",
          "lua/a.lua": "return ngx.shared.hits\n"}, []),
    Case("RB003", "same-worker-count",
         {"Restyfile": CONF_R + "workers 2\n", C: "worker_processes 2;\n" + EMPTY_CONF}, []),
    Case("RB004", "ignore-with-reason",
         {"Restyfile": LUA_R,
          "lua/a.lua": "local d = ngx.shared.x -- restybuild: ignore=RB201 a chart declares it\n"},
         []),
    Case("RB101", "natives-dirs-base-luajit",
         {"Restyfile": LUA_R + "native natives/cjson.so -> lua\nnative natives/greeter.so -> lua\n",
          "natives/cjson.so": lua_module("cjson"), "natives/greeter.so": lua_module("greeter"),
          "lua/mod/init.lua": "return {}\n", "lua/app/util.lua": "return {}\n",
          "lua/a.lua": 'local a = require("cjson.safe")\n'  # cjson.so, all-in-one loader
                       'local b = require("greeter.sub")\n'  # greeter.so, all-in-one loader
                       'local c = require("mod")\n'  # ?/init.lua
                       'local d = require("app.util")\n'
                       'local e = require("resty.core")\n'  # bundled by the base
                       'local f = require("ngx.ssl")\n'
                       'local g = require("ffi")\n'  # LuaJIT
                       'local h = require("table.new")\n'
                       "local i = require 'jit.util'\n"
                       'local j = require("string.buffer")\n'}, []),
    Case("RB101", "known-rock",
         {"Restyfile": LUA_R + "rocks -> luarocks {\n    rock penlight 1.14.0-2\n}\n",
          "lua/a.lua": 'local pl = require("pl.tablex")\n'}, []),
    Case("RB102", "literal-require",
         {"Restyfile": LUA_R, "lua/a.lua": 'local c = require("cjson")\n'}, []),
    Case("RB501", "found-in-a-search-folder",
         {"dep/libneeded.so.1": "@cc -Wl,-soname,libneeded.so.1\nint needed(void) { return 1; }\n",
          "natives/mod.so": NEEDS_LIBNEEDED,
          "Restyfile": HEAD + "native natives/mod.so -> lua {\n    search dep\n}\n"}, []),
    Case("RB502", "glibc-native-on-glibc",
         {"natives/mod.so": lua_module("mod"),
          "Restyfile": HEAD + "native natives/mod.so -> lua\n"}, []),
    Case("RB110", "digest",
         {"Restyfile": UNPINNED.replace("openresty\n", f"openresty digest {DIGEST}\n")}, []),
    Case("RB110", "recipe-base", {"Restyfile": HEAD}, []),
    Case("RB201", "declared-in-restyfile",
         {"Restyfile": LUA_R + "shared_dict hits 1m\n", "lua/a.lua": "return ngx.shared.hits\n"},
         []),
    Case("RB201", "declared-in-conf-http",
         {"Restyfile": BOTH_R, C: "events {}\nhttp {\n    lua_shared_dict hits 1m;\n}\n",
          "lua/a.lua": "return ngx.shared.hits\n"}, []),
    Case("RB201", "declared-in-included-conf",
         {"Restyfile": BOTH_R, C: "events {}\nhttp {\n    include dicts.conf;\n}\n",
          "conf/dicts.conf": "lua_shared_dict hits 1m;\n",
          "lua/a.lua": "return ngx.shared.hits\n"}, []),
    Case("RB201", "alias-and-bracket",
         {"Restyfile": LUA_R + "shared_dict a 1m\nshared_dict b 1m\n",
          "lua/a.lua": 'local s = ngx.shared; local x = s.a\nlocal y = ngx.shared["b"]\n'}, []),
    Case("RB201", "libraries",
         {"Restyfile": OPENRESTY + PROM_ROCK + "shared_dict pm 1m\nshared_dict locks 1m\n"
                       "shared_dict limit_req_store 1m\n",
          "lua/a.lua": 'local prometheus = require("prometheus")\n'
                       'prometheus.init("pm")\n'
                       'local l = require("resty.lock"):new("locks")\n'
                       'local r = require("resty.limit.req").new("limit_req_store", 1, 2)\n'},
         []),
    Case("RB201", "metrics-dict",
         {"Restyfile": LUA_R + "metrics prometheus port 9145\n" + PROM_ROCK,
          "lua/a.lua": 'local p = require("prometheus").init("prometheus_metrics")\n'}, []),
    Case("RB201", "stream-dict-from-stream-block",
         {"Restyfile": STREAM_R,
          C: "events {}\nhttp {}\nstream {\n    lua_shared_dict sd 1m;\n    server {\n"
             "        listen 9000;\n        content_by_lua_block {\n"
             "            local a = ngx.shared.sd\n        }\n    }\n}\n"}, []),
    Case("RB201", "stream-dict-from-stream-lua-file",
         {"Restyfile": STREAM_R + "lua lua -> lua\n",
          C: "events {}\nhttp {}\nstream {\n    lua_shared_dict sd 1m;\n    server {\n"
             "        listen 9000;\n        content_by_lua_file lua/stream.lua;\n    }\n}\n",
          "lua/stream.lua": "local a = ngx.shared.sd\n"}, []),
    Case("RB202", "used",
         {"Restyfile": LUA_R + "shared_dict cache 1m\n",
          "lua/a.lua": "local c = ngx.shared.cache\n"}, []),
    Case("RB202", "used-in-conf-block",
         {"Restyfile": CONF_R + "shared_dict cache 1m\n",
          C: "events {}\nhttp {\n    init_worker_by_lua_block {\n"
             "        local c = ngx.shared.cache\n    }\n}\n"}, []),
    Case("RB203", "literal-bracket",
         {"Restyfile": LUA_R + "shared_dict cache 1m\n",
          "lua/a.lua": "local c = ngx.shared['cache']\n"}, []),
    Case("RB301", "auto-with-workers",
         {"Restyfile": CONF_R + "workers 2\n", C: "worker_processes auto;\n" + EMPTY_CONF}, []),
    Case("RB301", "number-without-workers",
         {"Restyfile": CONF_R, C: "worker_processes 2;\n" + EMPTY_CONF}, []),
    Case("RB302", "workers-cpu",
         {"Restyfile": HEAD + "workers cpu\nresources {\n    limit cpu 2 memory 4Gi\n}\n"}, []),
    Case("RB302", "rounded-up",
         {"Restyfile": HEAD + "workers 2\nresources {\n    limit cpu 1500m memory 4Gi\n}\n"}, []),
    Case("RB401", "under",
         {"Restyfile": LUA_R + "workers 2\nshared_dict cache 100m\n"
                               "resources {\n    limit memory 1Gi\n}\n",
          "lua/a.lua": "return ngx.shared.cache\n"}, []),
    Case("RB401", "configured-smaller-workers",
         {"Restyfile": HEAD + "workers 2\nresources {\n    limit memory 256Mi\n}\n"}, [],
         {"worker-memory": "32Mi", "master-memory": "8Mi"}),
    Case("RB601", "valid-conf",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    server {\n        listen 80;\n    }\n}\n"}, []),
    Case("RB602", "include-matches",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    include mime.types;\n"
             "    include /usr/share/nginx/conf/vhosts/*.conf;\n}\n",
          "conf/mime.types": "types {}\n", "conf/vhosts/a.conf": "server { listen 81; }\n"}, []),
    Case("RB101", "reached-through-the-confs-own-path",
         {"Restyfile": CONF_R + "lua app -> /opt/app/lua\n",
          C: "events {}\nhttp {\n    lua_package_path '$prefix/conf/?.lua;/opt/app/lua/lib/?.lua;"
             "lualib/?.lua;;';\n    init_by_lua_block { require 'waf.core'; "
             "require 'util' }\n}\n",
          "conf/waf/core.lua": "return {}\n", "app/lib/util.lua": "return {}\n",
          "app/x.lua": "return 1\n"}, []),
    Case("RB607", "package-path-with-default",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    lua_package_path '/opt/waf/?.lua;;';\n}\n"}, []),
    Case("RB603", "same-name-http-and-stream",
         {"Restyfile": STREAM_R,
          C: "events {}\nhttp {\n    lua_shared_dict a 1m;\n}\n"
             "stream {\n    lua_shared_dict a 1m;\n}\n"}, []),
    Case("RB604", "file-in-image",
         {"Restyfile": CONF_R + "lua src -> app\n", "src/handler.lua": "return 1\n",
          C: "events {}\nhttp {\n    server {\n"
             "        location / {\n            content_by_lua_file app/handler.lua;\n        }\n"
             "        location /b {\n            content_by_lua_file /usr/share/lua/5.1/x.lua;\n"
             "        }\n"
             "        location /c {\n            content_by_lua_file app/$uri.lua;\n        }\n"
             "    }\n}\n"}, []),
    Case("RB605", "plain-files",
         {"Restyfile": LUA_R, "lua/a.lua": "return 1\n", "lua/README.md": "docs\n"}, []),
    Case("RB606", "links-inside-the-project",
         {"Restyfile": LUA_R, "shared/util.lua": "return 1\n", "lua/util.lua":
          "@symlink ../shared/util.lua", "lua/more": "@symlink ../shared"}, []),
    Case("RB608", "writes-into-a-data-folder",
         {"Restyfile": LUA_R + "data logs\n", "lua/a.lua":
          'local f = io.open(ngx.config.prefix() .. "logs/attack.log", "a")\n'
          'local g = io.open("/etc/app.json")\nlocal h = io.open(name, "w")\n'
          'local t = io.open("/run/restybuild/x", "w")\n'}, []),
    Case("RB609", "every-address",
         {"Restyfile": CONF_R + "probe readiness http /ready port 8080\n",
          C: "events {}\nhttp {\n    server {\n        listen 8080;\n"
             "        listen 127.0.0.1:8080;\n    }\n}\n"}, []),
    Case("RB610", "no-user-line", {"Restyfile": CONF_R, C: EMPTY_CONF}, []),
    Case("RB611", "directives-of-the-base",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    include /etc/nginx/mime.types;\n"
             "    types {\n        text/x-app app;\n    }\n"
             "    map $uri $x {\n        default 0;\n        /a 1;\n    }\n"
             "    lua_shared_dict cache 1m;\n    server {\n        location / {\n"
             "            add_header X-A 1;\n            content_by_lua_block { ngx.say(1) }\n"
             "        }\n    }\n}\n"}, []),
    Case("RB611", "modules-declared",
         {"Restyfile": CONF_R + "module echo headers-more stream\n",
          C: "events {}\nhttp {\n    more_set_headers \"Server: app\";\n    server {\n"
             "        location / {\n            echo hello;\n        }\n    }\n}\n"
             "stream {\n    server {\n        listen 9000;\n        return ok;\n    }\n}\n"},
         []),
    Case("RB613", "modules-of-the-base-or-declared",
         {"Restyfile": CONF_R + "module echo\n",
          C: "load_module modules/ndk_http_module.so;\n"
             "load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;\n"
             "load_module $dir/x.so;\nevents {}\nhttp {}\n"}, []),
    Case("RB612", "certificates-shipped-or-left-to-run-time",
         {"Restyfile": CONF_R, "conf/certs/app.crt": "-----BEGIN CERTIFICATE-----\n",
          C: "events {}\nhttp {\n    server {\n        listen 443 ssl;\n"
             "        ssl_certificate certs/app.crt;\n"
             "        ssl_certificate_key /run/secrets/app.key;\n"
             "        ssl_trusted_certificate $ca;\n"
             "        lua_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;\n"
             "    }\n}\n"}, []),
    Case("RB701", "rock-declared",
         {"Restyfile": HEAD + "metrics prometheus port 9145\n" + PROM_ROCK}, []),
    Case("RB702", "init-worker",
         {"Restyfile": CONF_R + "metrics prometheus port 9145\n" + PROM_ROCK,
          C: "events {}\nhttp {\n    init_worker_by_lua_block {\n"
             '        prometheus = require("prometheus").init("prometheus_metrics")\n'
             "    }\n}\n"}, []),
    Case("RB614", "resolver-addresses-or-openresty",
         {"Restyfile": "name app\nbase openresty 1.21.4.3 bookworm\nconf conf\n",
          C: "events {}\nhttp {\n    resolver local=on ipv6=off;\n}\n"}, []),
    Case("RB614", "resolver-address-on-debian",
         {"Restyfile": CONF_R, C: "events {}\nhttp {\n    resolver 10.96.0.10 valid=30s;\n}\n"},
         []),
    Case("RB611", "directives-in-their-blocks",
         {"Restyfile": CONF_R + "module stream\n",
          C: "worker_processes 1;\nevents { worker_connections 64; }\n"
             "stream {\n    upstream db {\n        server 127.0.0.1:5432;\n    }\n"
             "    server {\n        listen 9000;\n        proxy_pass db;\n    }\n}\n"
             "http {\n    lua_shared_dict d 1m;\n    include /etc/nginx/mime.types;\n"
             "    upstream app {\n        server 127.0.0.1:9001;\n        keepalive 8;\n"
             "    }\n    server {\n        listen 8080;\n"
             "        if ($host = old) {\n            return 301 /;\n        }\n"
             "        location / {\n            location /api {\n"
             "                limit_except GET {\n                    deny all;\n"
             "                }\n                if ($arg_x) {\n                    set $y 1;\n"
             "                }\n                content_by_lua_block { ngx.say(1) }\n"
             "            }\n            proxy_pass http://app;\n        }\n    }\n}\n"}, []),
    Case("RB703", "other-port",
         {"Restyfile": CONF_R + "metrics prometheus port 9145\n" + PROM_ROCK,
          C: "events {}\nhttp {\n    server {\n        listen 8080;\n    }\n}\n"}, []),
    Case("RB704", "metrics-restricted",
         {"Restyfile": CONF_R,
          C: "events {}\nhttp {\n    server {\n        location = /metrics {\n"
             "            allow 10.0.0.0/8;\n            deny all;\n        }\n    }\n}\n"}, []),
    Case("RB801", "env-declared",
         {"Restyfile": BOTH_R + "env REDIS_HOST=redis\n",
          C: "env FROM_CONF;\nenv WITH_VALUE=x;\n" + EMPTY_CONF,
          "lua/a.lua": 'local a = os.getenv("REDIS_HOST")\nlocal b = os.getenv("FROM_CONF")\n'
                       'local c = os.getenv("WITH_VALUE")\nlocal d = os.getenv("TZ")\n'}, []),
    Case("RB802", "resolver",
         {"Restyfile": BOTH_R, C: "events {}\nhttp {\n    resolver 10.96.0.10;\n}\n",
          "lua/a.lua": "local sock = ngx.socket.tcp()\n"}, []),
    k8s_case("RB901", "good-manifests",
             {"deploy.yaml": DEPLOYMENT.format(
                 api="apps/v1", resources=LIMITS.format(cpu="2000m", memory="1024Mi")),
              "notes.txt": "apiVersion: extensions/v1beta1\nkind: Deployment\n"},
             []),
]


def _ids(cases: list[Case]) -> list[str]:
    return [f"{c.code}-{c.id}" for c in cases]


@pytest.mark.parametrize("case", CATCHES, ids=_ids(CATCHES))
def test_catches(case: Case, lint_files: LintFiles) -> None:
    report = lint_files(case.files, options=case.options)
    assert report.lines == case.expected
    assert all(f": {case.code} " in line for line in case.expected)


@pytest.mark.parametrize("case", NEAR_MISSES, ids=_ids(NEAR_MISSES))
def test_near_misses(case: Case, lint_files: LintFiles) -> None:
    report = lint_files(case.files, options=case.options)
    assert report.lines == case.expected


def test_every_code_has_a_catch_and_a_near_miss() -> None:
    codes = set(all_codes())
    assert codes == {r.CODE for r in RULES} | set(META_RULES)
    assert {c.code for c in CATCHES} == codes
    assert {c.code for c in NEAR_MISSES} == codes


@pytest.mark.parametrize("rule", RULES, ids=[r.CODE for r in RULES])
def test_rule_module_shape(rule: Any) -> None:
    assert re.fullmatch(r"RB\d{3}", rule.CODE)
    assert rule.SEVERITY in ("error", "warning", "info")
    assert re.fullmatch(r"[a-z0-9-]+", rule.NAME)
    doc = rule.__doc__ or ""
    assert doc.startswith(rule.CODE + " ")
    for part in ("What:", "Why:", "Example:"):
        assert f"\n{part} " in doc, f"{rule.CODE}: no {part}"
    assert callable(rule.check)
    assert Path(rule.__file__).name.startswith(rule.CODE.lower() + "_")


def test_rules_are_in_code_order() -> None:
    codes = [r.CODE for r in RULES]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)


# -- hints: who could provide it, where to declare it ---------------------------------------


def test_rb101_hint_names_a_project_file_or_a_known_rock(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": LUA_R, "vendor/helpers/util.lua": "return {}\n",
                         "lua/a.lua": 'local u = require("helpers.util")\n'
                                      'local h = require("resty.http")\n'})
    first = f'lua/a.lua:1:11: RB101 error: `require "helpers.util"`: {UNRESOLVED}'
    second = f'lua/a.lua:2:11: RB101 error: `require "resty.http"`: {UNRESOLVED}'
    assert report.of("RB101") == [first, second]
    assert report.hint(first) == "vendor/helpers/util.lua would: declare `lua vendor -> lua`"
    assert report.hint(second) == ("the rock lua-resty-http provides it: add "
                                   "`rock lua-resty-http VERSION` to `rocks`")


@pytest.mark.parametrize(("module", "rock"), [
    ("resty.lock", "lua-resty-lock"), ("resty.limit.req", "lua-resty-limit-traffic"),
    ("resty.websocket.server", "lua-resty-websocket"), ("resty.upload", "lua-resty-upload")])
def test_rb101_names_the_rock_of_a_library_openresty_bundles(
        lint_files: LintFiles, module: str, rock: str) -> None:
    """An app from an OpenResty host requires what OpenResty bundles; the Debian base lacks
    it, and the hint names the rock that brings it."""
    report = lint_files({"Restyfile": LUA_R, "lua/a.lua": f'local m = require("{module}")\n'})
    (line,) = report.of("RB101")
    assert report.hint(line) == f"the rock {rock} provides it: add `rock {rock} VERSION` to " \
                                "`rocks`"


def test_rb611_rb613_hints_name_the_module_line(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": CONF_R,
                         C: "load_module modules/ngx_http_echo_module.so;\nevents {}\nhttp {\n"
                            "    more_set_headers \"Server: app\";\n"
                            "    server {\n        location / { echo hi; }\n    }\n}\n"})
    assert [line.split(": ")[0] for line in report.lines] == [
        "conf/nginx.conf:1:1", "conf/nginx.conf:4:5"]
    assert report.hint(report.lines[0]) == (
        "add `module echo` to the Restyfile (it copies ngx_http_echo_module.so from "
        "libnginx-mod-http-echo, built for the base's nginx) and drop this line")
    assert report.hint(report.lines[1]) == (
        "add `module headers-more` to the Restyfile: it brings "
        "ngx_http_headers_more_filter_module.so (libnginx-mod-http-headers-more-filter) and "
        "its `load_module` line")
    # the hand-written load_module line is RB613's finding, not each of its directives
    assert not any("`echo`" in line for line in report.lines)


def test_rb201_hint_says_where_to_declare(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": LUA_R, "lua/a.lua": "local d = ngx.shared.result_dict\n"})
    [line] = report.lines
    assert report.hint(line) == "declare it in the Restyfile: shared_dict result_dict 10m"


def test_rb201_hint_for_a_stream_use_names_the_stream_block(lint_files: LintFiles) -> None:
    # The Restyfile's shared_dict goes to the http block only: a stream use needs a
    # lua_shared_dict in the conf's stream block, and the hint must say so.
    report = lint_files({
        "Restyfile": STREAM_R,
        C: "events {}\nhttp {\n    lua_shared_dict h 1m;\n}\nstream {\n    server {\n"
           "        listen 9000;\n        content_by_lua_block {\n"
           "            local b = ngx.shared.h\n        }\n    }\n}\n"})
    [line] = report.lines
    hint = report.hint(line) or ""
    assert "lua_shared_dict h" in hint and "stream" in hint, hint


def test_rb401_hint_and_sum(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": HEAD + "workers 2\nresources {\n    limit memory 256Mi\n}\n"})
    [line] = report.lines
    assert line == ("Restyfile:4:1: RB401 error: estimated memory master 16Mi + 2 workers x 64Mi "
                    "+ shared dicts 0Mi + reload headroom 128Mi = 272Mi is above the limit 256Mi")
    assert report.hint(line) == "raise the memory limit, or lower workers or dict sizes"


# -- positions -------------------------------------------------------------------------------


def test_lua_block_on_one_line_reports_the_column_in_the_conf(lint_files: LintFiles) -> None:
    line = '        location / { content_by_lua_block { require("nope") } }'
    report = lint_files({"Restyfile": CONF_R,
                         C: f"events {{}}\nhttp {{\n    server {{\n{line}\n    }}\n}}\n"})
    col = line.index("require") + 1
    assert col == 45
    assert report.lines == [f'conf/nginx.conf:4:{col}: RB101 error: `require "nope"`: {UNRESOLVED}']


def test_lua_block_first_line_column(lint_files: LintFiles) -> None:
    line = '            content_by_lua_block {require("nope")'
    report = lint_files({"Restyfile": CONF_R,
                         C: "events {}\nhttp {\n    server {\n        location / {\n"
                            f"{line}\n            }}\n        }}\n    }}\n}}\n"})
    col = line.index("require") + 1
    assert report.lines == [f'conf/nginx.conf:5:{col}: RB101 error: `require "nope"`: {UNRESOLVED}']


def test_paths_are_relative_to_the_working_folder(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from restybuild.lint import output
    from restybuild.lint.runner import lint

    write_tree(tmp_path / "app", {"Restyfile": BOTH_R + "shared_dict unused 1m\n",
                                  C: "worker_processes auto;\n" + EMPTY_CONF,
                                  "lua/a.lua": "local d = ngx.shared.x\n"})
    monkeypatch.chdir(tmp_path)
    text = output.text(lint("app/Restyfile", {}).diagnostics)
    lines = [x for x in text.splitlines() if not x.startswith("  hint:")]
    assert sorted(lines) == [
        "app/Restyfile:5:1: RB202 warning: shared dict `unused` is declared but no Lua code "
        "uses it",
        "app/conf/nginx.conf:1:1: RB301 error: `worker_processes auto` counts the node's CPUs, "
        "not the container's CPU limit",
        "app/lua/a.lua:1:22: RB201 error: shared dict `x` is used but never declared",
    ]


# -- providers of modules: rocks of a local server, natives ----------------------------------

FOO_SPEC_ONE_LINE = """\
package = "foo-bar"
version = "1.2-1"
source = {
   url = "https://example.invalid/foo-bar-1.2.tar.gz",
}
build = { type = "builtin", modules = { ["foo.bar"] = "foo/bar.lua" } }
"""
FOO_SPEC = FOO_SPEC_ONE_LINE.replace(
    'build = { type = "builtin", modules = { ["foo.bar"] = "foo/bar.lua" } }',
    'build = {\n   type = "builtin",\n   modules = {\n      ["foo.bar"] = "foo/bar.lua",\n'
    "   },\n}")


def rock_server(tmp_path: Path, spec: str, name: str = "foo-bar-1.2-1") -> Path:
    """A project folder with a rocks server made from a rock source outside the project."""
    src = tmp_path / "rock-src" / name
    write_tree(src, {f"{name}.rockspec": spec, "foo/bar.lua": "return 1\n"})
    project = tmp_path / "proj"
    make_server(project / "rocks", [src])
    return project


def rock_restyfile(rock: str) -> str:
    return LUA_R + f"rocks -> luarocks {{\n    server rocks\n    rock {rock}\n}}\n"


def test_rb101_demo_rock_from_a_local_server(tmp_path: Path, lint_files: LintFiles) -> None:
    project = tmp_path / "proj"
    make_server(project / "rocks", [DEMO_ROCK])
    report = lint_files({"Restyfile": rock_restyfile("restydemo-banner 1.0-1"),
                         "lua/a.lua": 'local b = require("restydemo.banner")\n'
                                      'local o = require("restydemo.other")\n'}, root=project)
    assert report.lines == [f'lua/a.lua:2:11: RB101 error: `require "restydemo.other"`: '
                            f"{UNRESOLVED}"]


def test_rb101_rock_with_modules_on_several_lines(tmp_path: Path,
                                                   lint_files: LintFiles) -> None:
    project = rock_server(tmp_path, FOO_SPEC)
    report = lint_files({"Restyfile": rock_restyfile("foo-bar 1.2-1"),
                         "lua/a.lua": 'local m = require("foo.bar")\n'}, root=project)
    assert report.lines == []


def test_rb101_rock_with_a_one_line_modules_table(tmp_path: Path, lint_files: LintFiles) -> None:
    # The rockspec of tests/test_rockserver.py: `build = { ..., modules = { [..] = .. } }`.
    project = rock_server(tmp_path, FOO_SPEC_ONE_LINE)
    report = lint_files({"Restyfile": rock_restyfile("foo-bar 1.2-1"),
                         "lua/a.lua": 'local m = require("foo.bar")\n'}, root=project)
    assert report.lines == []


def test_rb101_rock_whose_package_name_has_capitals(tmp_path: Path,
                                                     lint_files: LintFiles) -> None:
    # luarocks lowercases package names: `package = "Foo-Bar"` is the rock foo-bar.
    project = rock_server(tmp_path, FOO_SPEC.replace('"foo-bar"', '"Foo-Bar"'))
    report = lint_files({"Restyfile": rock_restyfile("foo-bar 1.2-1"),
                         "lua/a.lua": 'local m = require("foo.bar")\n'}, root=project)
    assert report.lines == []


def test_rb101_rock_file_in_the_project(lint_files: LintFiles) -> None:
    report = lint_files({
        "Restyfile": LUA_R + "rocks -> luarocks {\n    rock specs/foo-bar-1.2-1.rockspec\n}\n",
        "specs/foo-bar-1.2-1.rockspec": FOO_SPEC,
        "lua/a.lua": 'local m = require("foo.bar")\nlocal n = require("foo.baz")\n'})
    assert report.lines == [f'lua/a.lua:2:11: RB101 error: `require "foo.baz"`: {UNRESOLVED}']


def test_rb101_unreadable_rock_makes_it_a_warning(lint_files: LintFiles) -> None:
    report = lint_files({
        "Restyfile": LUA_R + "rocks -> luarocks {\n    rock some-remote-rock 1.0-1\n}\n",
        "lua/a.lua": 'local m = require("remote.mod")\n'})
    line = f'lua/a.lua:1:11: RB101 warning: `require "remote.mod"`: {UNRESOLVED}'
    assert report.lines == [line]
    assert "some-remote-rock could not be read offline" in (report.hint(line) or "")


def test_rockspec_modules_reads_every_key() -> None:
    from restybuild.lint.modules import rockspec_modules

    spec = ('build = {\n   type = "builtin",\n   modules = {\n'
            '      ["a.one"] = "a/one.lua", ["a.two"] = "a/two.lua",\n'
            '      cmod = { sources = { "c.c" } },\n'
            '      ["a.three"] = {\n         sources = { "x.c" },\n      },\n   },\n}\n')
    assert rockspec_modules(spec) == ("a.one", "a.two", "cmod", "a.three")
    assert rockspec_modules(FOO_SPEC_ONE_LINE) == ("foo.bar",)


def test_providers_name_the_native_that_serves_a_submodule(tmp_path: Path) -> None:
    from restybuild.lint.modules import providers
    from restybuild.resolve import load_project

    write_tree(tmp_path, {"Restyfile": LUA_R + "native natives/cjson.so -> lua\n",
                          "natives/cjson.so": lua_module("cjson"),
                          "lua/mod/init.lua": "return {}\n"})
    from restybuild.source import SourceTree

    prov = providers(load_project(tmp_path / "Restyfile"), SourceTree())
    assert prov.who("cjson.safe") == "natives/cjson.so"  # Lua's all-in-one loader
    assert prov.who("cjson") == "natives/cjson.so"
    assert prov.who("mod") == "lua/mod/init.lua"
    assert prov.who("resty.core") == "the base image"
    assert prov.who("ffi") == "the base image"
    assert prov.who("cjsonx") is None


# -- suppressions ------------------------------------------------------------------------------


def test_suppress_in_the_restyfile(lint_files: LintFiles) -> None:
    report = lint_files({
        "Restyfile": LUA_R
        + "shared_dict one 1m  # restybuild: ignore=RB202 a vendored library uses it\n"
        + "# restybuild: ignore=RB202 used by the sidecar\nshared_dict two 1m\n"
        + "shared_dict three 1m\n",
        "lua/a.lua": "return 1\n"})
    assert report.lines == ["Restyfile:7:1: RB202 warning: shared dict `three` is declared but "
                            "no Lua code uses it"]


def test_suppress_in_the_nginx_conf(lint_files: LintFiles) -> None:
    report = lint_files({
        "Restyfile": CONF_R,
        C: "worker_processes auto;  # restybuild: ignore=RB301 the chart pins the CPUs\n"
           "events {}\nhttp {\n"
           "    # restybuild: ignore=RB602 mounted by the chart\n"
           "    include extra/*.conf;\n"
           "    include more/*.conf;\n}\n"})
    assert report.lines == ["conf/nginx.conf:6:5: RB602 warning: `include more/*.conf` matches "
                            "no file in conf"]


def test_suppress_in_lua_same_line_and_line_above(lint_files: LintFiles) -> None:
    report = lint_files({
        "Restyfile": BOTH_R,
        C: "events {}\nhttp {\n    init_worker_by_lua_block {\n"
           "        -- restybuild: ignore=RB201 declared by the platform's conf\n"
           "        local a = ngx.shared.in_block\n    }\n}\n",
        "lua/a.lua": "local x = ngx.shared.same -- restybuild: ignore=RB201 declared by a chart\n"
                     "-- restybuild: ignore=RB101,RB201 both come from the platform\n"
                     "local y = ngx.shared.above or require('platform')\n"
                     "local z = ngx.shared.reported\n"})
    assert report.lines == ["lua/a.lua:4:22: RB201 error: shared dict `reported` is used but "
                            "never declared"]


def test_suppression_other_code_does_not_apply(lint_files: LintFiles) -> None:
    lua = "local x = ngx.shared.d -- restybuild: ignore=RB101 reason\n"
    report = lint_files({"Restyfile": LUA_R, "lua/a.lua": lua})
    assert report.lines == ["lua/a.lua:1:22: RB201 error: shared dict `d` is used but never "
                            "declared"]


def test_missing_reason_is_rb004_and_still_suppresses(lint_files: LintFiles) -> None:
    report = lint_files({
        "Restyfile": BOTH_R + "shared_dict one 1m # restybuild: ignore=RB202\n",
        C: "worker_processes auto; # restybuild: ignore=RB301\n" + EMPTY_CONF,
        "lua/a.lua": "local x = ngx.shared.d -- restybuild: ignore=RB201\n"})
    assert sorted(report.lines) == [
        "Restyfile:5:1: RB004 warning: `restybuild: ignore=RB202` gives no reason",
        "conf/nginx.conf:1:1: RB004 warning: `restybuild: ignore=RB301` gives no reason",
        "lua/a.lua:1:1: RB004 warning: `restybuild: ignore=RB201` gives no reason",
    ]
    line = "lua/a.lua:1:1: RB004 warning: `restybuild: ignore=RB201` gives no reason"
    assert report.hint(line) == "say why after the codes"


def test_trailing_suppression_does_not_cover_the_next_line(lint_files: LintFiles) -> None:
    # "The line above" is a comment on a line of its own; a trailing comment on line 1
    # is about line 1 only.
    report = lint_files({
        "Restyfile": LUA_R,
        "lua/a.lua": "local x = ngx.shared.one -- restybuild: ignore=RB201 declared by a chart\n"
                     "local y = ngx.shared.two\n"})
    assert report.lines == ["lua/a.lua:2:22: RB201 error: shared dict `two` is used but never "
                            "declared"]


def test_ignore_rb004_drops_it(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": LUA_R,
                         "lua/a.lua": "local x = ngx.shared.d -- restybuild: ignore=RB201\n"},
                        ignore=("RB004",))
    assert report.lines == []


@pytest.mark.parametrize(("base", "hint"), [
    ("debian-bookworm", "add `resolver ADDRESS valid=30s;` with the cluster DNS address"),
    ("openresty 1.21.4.3 bookworm", "add `resolver local=on;` to the http block")])
def test_rb802_hint_fits_the_base(lint_files: LintFiles, base: str, hint: str) -> None:
    from restybuild.lint.runner import lint

    write_tree_files = {"Restyfile": f"name app\nbase {base}\nlua lua -> lua\n",
                        "lua/a.lua": "local s = ngx.socket.tcp()\n"}
    lint_files(write_tree_files)
    result = lint("Restyfile", {}, ("RB802",))
    assert [d.hint for d in result.diagnostics] and hint in (result.diagnostics[0].hint or "")


def test_rb602_an_include_the_base_keeps_elsewhere_says_where(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": CONF_R,
                         C: "events {}\nhttp {\n    include mime.types;\n}\n"})
    line, = report.of("RB602")
    assert line.startswith("conf/nginx.conf:3:5: RB602 error: `include mime.types` matches no ")
    assert report.hint(line) == ("the base keeps it at /etc/nginx/mime.types: include that "
                                 "path, or put a copy in the conf folder")


def test_rb602_a_base_file_the_base_lacks_is_an_error(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": CONF_R,
                         C: "events {}\nhttp {\n    include /etc/nginx/app.types;\n}\n"})
    assert report.of("RB602") == [
        "conf/nginx.conf:3:5: RB602 error: `include /etc/nginx/app.types` reads "
        "/etc/nginx/app.types, which neither a declared folder nor the base image has "
        "(nginx -t fails)"]


def test_rb612_a_key_the_context_keeps_out_is_missing_in_the_image(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": CONF_R, "conf/certs/app.key": "-----BEGIN PRIVATE KEY-----\n",
                         C: "events {}\nhttp {\n    server {\n        listen 443 ssl;\n"
                            "        ssl_certificate_key certs/app.key;\n    }\n}\n"})
    line, = report.of("RB612")
    assert line == ("conf/nginx.conf:5:9: RB612 error: `ssl_certificate_key certs/app.key`: "
                    "conf/certs/app.key is a secret, which never enters the image, so the image "
                    "will have no /usr/share/nginx/conf/certs/app.key")
    assert "Ingress" in (report.hint(line) or "")


def test_a_write_into_a_copied_folder_is_not_told_to_make_it_a_data_folder(
        lint_files: LintFiles) -> None:
    """`data conf` would start empty over the conf the image copies (RB002 refuses it): the
    hint names a folder of its own instead; a write elsewhere keeps the `data` hint."""
    report = lint_files({"Restyfile": BOTH_R, C: EMPTY_CONF, "lua/a.lua":
                         'local f = io.open(ngx.config.prefix() .. "conf/gen.conf", "w")\n'
                         'local g = io.open(ngx.config.prefix() .. "logs/attack.log", "a")\n'})
    first, second = report.lines
    assert report.hint(first) == (
        "/usr/share/nginx/conf holds files the Restyfile copies (a `data` folder there would "
        'start empty and hide them): write into a folder of its own, e.g. `data state` and '
        'ngx.config.prefix() .. "state/..."')
    assert report.hint(second) == "declare a writable folder in the Restyfile: data logs"


def test_a_ca_bundle_of_another_distribution_names_the_bases(lint_files: LintFiles) -> None:
    report = lint_files({"Restyfile": CONF_R, C: "events {}\nhttp {\n    "
                         "lua_ssl_trusted_certificate /etc/pki/tls/certs/ca-bundle.crt;\n}\n"})
    assert report.hint(report.lines[0]) == (
        "name the base's bundle: `lua_ssl_trusted_certificate "
        "/etc/ssl/certs/ca-certificates.crt;`")
