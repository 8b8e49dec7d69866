ngx.log(ngx.NOTICE, "legacy app starting")
