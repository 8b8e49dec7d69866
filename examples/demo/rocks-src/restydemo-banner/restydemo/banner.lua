-- restydemo.banner: a tiny pure-Lua module shipped as a luarocks rock.
local _M = { _VERSION = "1.0" }

--- Frame `s` between two markers: banner.wrap("hi") --> "*** hi ***".
function _M.wrap(s, mark)
   mark = mark or "***"
   return mark .. " " .. tostring(s) .. " " .. mark
end

return _M
