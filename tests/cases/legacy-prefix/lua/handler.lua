ngx.say("legacy")
