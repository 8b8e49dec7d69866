-- demo.handler: the demo app's one page.
--
-- Uses the three kinds of dependency restybuild packs:
--   restydemo.banner  a pure-Lua rock installed by luarocks
--   greeter           a Lua C module (greeter.so), which needs libgreetfmt.so.1
--   ngx.shared.hits   a lua_shared_dict declared by the Restyfile
local banner = require("restydemo.banner")
local greeter = require("greeter")

local _M = { _VERSION = "1.0" }

--- Count the request and answer one line of text.
function _M.handle()
   local hits_dict = ngx.shared.hits
   if not hits_dict then
      ngx.log(ngx.ERR, "lua_shared_dict hits is not declared")
      return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
   end
   local hits, err = hits_dict:incr("requests", 1, 0)
   if not hits then
      ngx.log(ngx.ERR, "cannot count the request: ", err)
      return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
   end

   -- os.getenv sees DEMO_GREETING only if nginx.conf says `env DEMO_GREETING;`.
   local greeting = greeter.greet(os.getenv("DEMO_GREETING") or "world")
   ngx.header["Content-Type"] = "text/plain"
   ngx.say("hello from greeter.so via libgreetfmt: ", banner.wrap(greeting),
           " (hits=", hits, ")")
end

return _M
