local util = require "util"
local _M = {}
function _M.run()
    ngx.say(util.greeting())
end
return _M
