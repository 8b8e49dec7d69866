local handler = require "handler"
handler.run()
