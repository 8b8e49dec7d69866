/* greeter: a Lua C module (Lua 5.1 / LuaJIT API) on top of libgreetfmt.
 *
 *   local greeter = require("greeter")
 *   greeter.greet("you")   --> "Hello, you!"
 *   greeter.version()      --> libgreetfmt's version, e.g. "1.0"
 *
 * Linked with -lgreetfmt (DT_NEEDED libgreetfmt.so.1, no rpath) and NOT with
 * libluajit: the lua_* symbols resolve from the host (nginx) at dlopen time. */
#include <lauxlib.h>
#include <lua.h>

#include "greetfmt.h"

static int greeter_greet(lua_State *L)
{
    const char *who = luaL_optstring(L, 1, "world");
    char small[256];
    int len = greetfmt_format(small, sizeof small, who);
    if (len < 0) {
        return luaL_error(L, "greetfmt_format failed");
    }
    if ((size_t)len < sizeof small) {
        lua_pushlstring(L, small, (size_t)len);
        return 1;
    }
    /* Too long for the stack buffer: format again into a Lua-owned one. */
    char *big = lua_newuserdata(L, (size_t)len + 1);
    if (greetfmt_format(big, (size_t)len + 1, who) != len) {
        return luaL_error(L, "greetfmt_format failed");
    }
    lua_pushlstring(L, big, (size_t)len);
    return 1;
}

static int greeter_version(lua_State *L)
{
    lua_pushstring(L, greetfmt_version());
    return 1;
}

static const luaL_Reg greeter_funcs[] = {
    {"greet", greeter_greet},
    {"version", greeter_version},
    {NULL, NULL},
};

__attribute__((visibility("default"))) int luaopen_greeter(lua_State *L)
{
    lua_newtable(L);
    luaL_register(L, NULL, greeter_funcs);
    lua_pushliteral(L, "greeter 1.0");
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
