rockspec_format = "3.0"
package = "restydemo-banner"
version = "1.0-1"
source = {
   url = "restydemo-banner-1.0.tar.gz",
   dir = "restydemo-banner-1.0",
}
description = {
   summary = "Decorates a line of text with a banner (restybuild demo rock)",
   license = "Apache-2.0",
}
dependencies = {
   "lua >= 5.1",
}
build = {
   type = "builtin",
   modules = {
      ["restydemo.banner"] = "restydemo/banner.lua",
   },
}
