local _M = {}
function _M.greeting()
    return os.getenv("PRICE") or "hello"
end
return _M
