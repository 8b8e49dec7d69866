"""`restybuild lint`: Restyfile.example against `python -c pass`, and a 500-Lua-file project.

1. `restybuild lint Restyfile.example`, whole-process median of 10 interleaved
   runs, warm (result cache valid) and cold (RESTYBUILD_NO_CACHE=1), as ratios
   to `python -c pass` in the same venv and run. Target: at most 4x.
2. A generated project of 500 Lua files (requires between them, shared dict
   uses, a rock-less base), cold: target at most 1 s.
3. The same project after one Lua file changes (caches on: the result cache misses,
   the per-file Lua facts of the 499 others are read back; only the changed file
   is scanned), median of the runs, against the cold lint.

    python bench/bench_lint.py [--runs 10] [--files 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import compare, env_without_cache_flag, restybuild_cmd, timed, warm_and_cold


def generate(root: Path, files: int) -> Path:
    (root / "conf").mkdir(parents=True)
    (root / "conf/nginx.conf").write_text(
        "events {}\nhttp {\n  server {\n    listen 127.0.0.1:8080;\n"
        "    location / { content_by_lua_block { require('app.m0').run() } }\n  }\n}\n")
    lua = root / "lua/app"
    lua.mkdir(parents=True)
    for i in range(files):
        nxt = f'local nxt = require "app.m{(i + 1) % files}"\n'
        body = "".join(
            f"local function f{j}(x)\n  local d = ngx.shared.cache\n"
            f"  local v = d:get('k{j}') or 0\n  d:set('k{j}', v + x)\n  return v\nend\n"
            for j in range(8))
        (lua / f"m{i}.lua").write_text(
            f"local cjson = require 'cjson.safe'\n{nxt}{body}"
            "local _M = {}\nfunction _M.run() ngx.say(cjson.encode({f0(1)})) end\nreturn _M\n")
    (root / "Restyfile").write_text(
        "name big\nbase debian-bookworm\nconf conf\nlua lua -> lua\nshared_dict cache 10m\n"
        "workers 1\n")
    return root / "Restyfile"


def one_changed(restyfile: Path, env: dict[str, str], runs: int, cold: float) -> None:
    """Lint after one Lua file changes, the per-file facts of the others stored."""
    import statistics

    cmd = [*restybuild_cmd(), "lint", str(restyfile)]
    timed(cmd, env, ok=(0, 1))  # store every file's facts
    target = restyfile.parent / "lua/app/m7.lua"
    text = target.read_text()
    times = []
    for r in range(runs):
        target.write_text(text + f"-- edit {r}\n")
        times.append(timed(cmd, env, ok=(0, 1)))
    med = statistics.median(times)
    print(f"restybuild lint after one of the Lua files changed, median of {runs}: "
          f"{med * 1000:.0f} ms, {med / cold:.2f}x the cold lint ({cold * 1000:.0f} ms)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--files", type=int, default=500)
    args = ap.parse_args()
    warm_and_cold("lint", args.runs)
    env = env_without_cache_flag()
    with tempfile.TemporaryDirectory() as tmp:
        restyfile = generate(Path(tmp), args.files)
        lines = sum(len(p.read_text().splitlines()) for p in Path(tmp).rglob("*.lua"))
        med = compare(f"restybuild lint on {args.files} Lua files ({lines} lines), cold", {
            "python -c pass": ([sys.executable, "-c", "pass"], env),
            "lint (cold)": ([*restybuild_cmd(), "lint", str(restyfile)],
                            {**env, "RESTYBUILD_NO_CACHE": "1"}),
        }, max(3, args.runs // 2))
        print(f"  target: at most 1 s; measured {med['lint (cold)']:.2f} s")
        one_changed(restyfile, env, max(3, args.runs // 2), med["lint (cold)"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
