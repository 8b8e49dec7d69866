local http = require "resty.http"
ngx.say(type(http.new))
