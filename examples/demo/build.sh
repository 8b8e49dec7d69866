#!/usr/bin/env bash
# Build the demo app's native parts and its offline rock server, into examples/demo/build/:
#   build/deps/libgreetfmt.so.1   plain C library (SONAME libgreetfmt.so.1)
#   build/greeter.so              Lua C module, DT_NEEDED libgreetfmt.so.1, no rpath
#   build/rocks/                  luarocks server folder with restydemo-banner 1.0-1
# Safe to run again: every output is rebuilt in place from the sources.
# Environment: CC (default cc), CFLAGS (default -O2 -g), LUA_INCDIR (default
# /usr/include/luajit-2.1), PYTHON (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
native="$here/native"
build="$here/build"

cc="${CC:-cc}"
cflags="${CFLAGS:--O2 -g}"
# The checkout's folder never enters the binaries (debug info, __FILE__): two checkouts
# in different folders build the same bytes, so the same natives layer.
# (The compiler runs in the current folder: its name is in the debug info too.)
prefix_maps=("-ffile-prefix-map=$PWD=." "-ffile-prefix-map=$here=examples/demo")
lua_incdir="${LUA_INCDIR:-/usr/include/luajit-2.1}"
python="${PYTHON:-python3}"

die() {
    echo "build.sh: error: $*" >&2
    exit 1
}

run() {
    echo "+ $*"
    "$@"
}

command -v "$cc" >/dev/null 2>&1 ||
    die "C compiler '$cc' not found; install it with: apt-get install build-essential (or gcc)"
[[ -f "$lua_incdir/lua.h" && -f "$lua_incdir/lauxlib.h" ]] ||
    die "Lua headers not found in $lua_incdir (need lua.h and lauxlib.h);" \
        "install them with: apt-get install libluajit2-5.1-dev (or set LUA_INCDIR)"
command -v "$python" >/dev/null 2>&1 ||
    die "Python interpreter '$python' not found; install python3 or set PYTHON"

echo "== building the demo natives into $build"
run mkdir -p "$build/deps" "$build/link"

# shellcheck disable=SC2086 # CFLAGS is a list of flags
run "$cc" $cflags "${prefix_maps[@]}" -std=c99 -Wall -Wextra -fPIC -shared \
    -Wl,-soname,libgreetfmt.so.1 -Wl,--no-undefined \
    -o "$build/deps/libgreetfmt.so.1" "$native/greetfmt.c"

# The link-time name libgreetfmt.so lives outside deps/, so that deps/ holds
# exactly what the runtime needs.
run ln -sfn ../deps/libgreetfmt.so.1 "$build/link/libgreetfmt.so"

# No -lluajit: lua_* symbols stay undefined and resolve from nginx at dlopen time.
# No -rpath: the dependency is found through the Restyfile's search folder.
# shellcheck disable=SC2086
run "$cc" $cflags "${prefix_maps[@]}" -std=c99 -Wall -Wextra -fPIC -shared -fvisibility=hidden \
    -I"$lua_incdir" -I"$native" \
    -o "$build/greeter.so" "$native/greeter.c" \
    -L"$build/link" -lgreetfmt

echo "== making the offline rock server in $build/rocks"
(
    cd "$root"
    run env PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" "$python" -m restybuild.rockserver \
        examples/demo/build/rocks examples/demo/rocks-src/restydemo-banner
)

echo "== done"
