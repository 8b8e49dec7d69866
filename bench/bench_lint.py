"""`restybuild lint`: the example against `python -c pass`, and an 87k-line tree against luacheck.

1. A copy of the example (Restyfile.example and examples/demo, natives built), whole-process
   medians of interleaved runs against `python -c pass` in the same run:
   - warm: nothing changed (the result cache is valid);
   - one Lua file edited (a line inserted at the top of demo/handler.lua before each run,
     so every span of the file moves): the incremental lint (restybuild.lint.incremental),
     target at most 5x;
   - cold: RESTYBUILD_NO_CACHE=1, target at most 8x.
2. A generated tree of about 87k Lua lines in 360 files (requires between them, shared dict
   uses, string and table work), against luacheck on the same folder, interleaved:
   - cold `restybuild lint` (RESTYBUILD_NO_CACHE=1): target at most 1/5 of luacheck's time;
   - after one file is edited (as above): target at most 1/50 of luacheck's time.

luacheck is Debian's `lua-check` (scripts/setup-host installs it). The caches live in a
private folder (0700) made for the run.

    python bench/bench_lint.py [--runs 15] [--tree-runs 5] [--files 360]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (
    ROOT,
    build_demo_natives,
    compile_bytecode,
    env_without_cache_flag,
    restybuild_cmd,
)

EDITED = "examples/demo/lua/demo/handler.lua"


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                          cwd=cwd, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1, 2):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()}")
    return elapsed


def edit(path: Path, run: int) -> None:
    """A line inserted at the top: the file's bytes and every span in it change."""
    path.write_text(f"-- edited before run {run}\n" + path.read_text())


def rounds(cases: dict[str, tuple[list[str], dict[str, str], Path | None]], cwd: Path,
           runs: int) -> dict[str, float]:
    """Each case once per round, interleaved; the median of each. A case with a path edits
    that file before each of its runs."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for r in range(runs):
        for name, (cmd, env, edited) in cases.items():
            if edited is not None:
                edit(edited, r)
            times[name].append(timed(cmd, env, cwd))
    return {k: statistics.median(v) for k, v in times.items()}


def example(runs: int, tmp: Path, env: dict[str, str]) -> dict[str, float]:
    build_demo_natives()
    work = tmp / "example"
    shutil.copytree(ROOT / "examples/demo", work / "examples/demo")
    shutil.copy(ROOT / "Restyfile.example", work / "Restyfile.example")
    lint = [*restybuild_cmd(), "lint", "Restyfile.example"]
    timed(lint, env, work)  # the caches filled
    cold = {**env, "RESTYBUILD_NO_CACHE": "1"}
    med = rounds({
        "python -c pass": ([sys.executable, "-c", "pass"], env, None),
        "lint, warm": (lint, env, None),
        "lint, one Lua file edited": (lint, env, work / EDITED),
        "lint, cold (no cache)": (lint, cold, None),
    }, work, runs)
    ref = med["python -c pass"]
    print(f"restybuild lint Restyfile.example (a copy), median of {runs} interleaved "
          "whole-process runs")
    for name, value in med.items():
        print(f"  {name:28} {value * 1000:8.1f} ms  {value / ref:6.2f}x")
    print(f"  targets: one Lua file edited at most 5x "
          f"({'met' if med['lint, one Lua file edited'] <= 5 * ref else 'MISSED'}), "
          f"cold at most 8x ({'met' if med['lint, cold (no cache)'] <= 8 * ref else 'MISSED'})")
    return med


def module(i: int, files: int, functions: int) -> str:
    """One module of the generated tree: about 12 lines per function."""
    deps = [f"gw.m{(i * 7 + k) % files}" for k in (1, 2, 3)]
    head = "".join(f'local d{k} = require "{name}"\n' for k, name in enumerate(deps))
    head += ('local cjson = require "cjson.safe"\nlocal cache = ngx.shared.cache\n'
             "local concat, insert = table.concat, table.insert\nlocal _M = {}\n\n")
    body = []
    for j in range(functions):
        body.append(
            f"function _M.f{j}(req, opts)\n"
            f"  local key = 'k{i}:{j}:' .. tostring(req.id or 0)\n"
            "  local hit = cache:get(key)\n"
            "  if hit then return cjson.decode(hit) end\n"
            "  local out = {}\n"
            f"  for n = 1, (opts and opts.limit or {j % 9 + 2}) do\n"
            f"    insert(out, string.format('%s-%d', req.name or 'x', n * {j + 1}))\n"
            "  end\n"
            f"  local r = d{j % 3}.f{(j + 1) % functions} and #out or 0\n"
            "  cache:set(key, cjson.encode(out), 60)\n"
            "  return concat(out, ','), r\n"
            "end\n\n")
    return head + "".join(body) + "return _M\n"


def generate(root: Path, files: int, functions: int) -> int:
    (root / "conf").mkdir(parents=True)
    (root / "conf/nginx.conf").write_text(
        "events {}\nhttp {\n  server {\n    listen 8080;\n"
        "    location / { content_by_lua_block { require('gw.m0').f0(ngx.req) } }\n  }\n}\n")
    lua = root / "lua/gw"
    lua.mkdir(parents=True)
    lines = 0
    for i in range(files):
        text = module(i, files, functions)
        lines += text.count("\n")
        (lua / f"m{i}.lua").write_text(text)
    (root / "Restyfile").write_text("name gateway\nbase debian-bookworm\nconf conf\n"
                                    "lua lua -> lua\nshared_dict cache 10m\nworkers 1\n")
    return lines


def big_tree(runs: int, files: int, tmp: Path, env: dict[str, str]) -> dict[str, float]:
    luacheck = shutil.which("luacheck")
    if luacheck is None:
        raise SystemExit("bench_lint: luacheck is missing: run scripts/setup-host (it installs "
                         "Debian's lua-check)")
    root = tmp / "gateway"
    lines = generate(root, files, functions=18)
    lint = [*restybuild_cmd(), "lint", "Restyfile"]
    timed(lint, env, root)  # the caches filled
    med = rounds({
        "luacheck": ([luacheck, "--no-config", "--globals", "ngx", "-q", "lua"], env, None),
        "lint, cold (no cache)": (lint, {**env, "RESTYBUILD_NO_CACHE": "1"}, None),
        "lint, one file edited": (lint, env, root / "lua/gw/m7.lua"),
    }, root, runs)
    ref = med["luacheck"]
    print(f"{files} generated Lua files ({lines:,} lines), median of {runs} interleaved "
          "whole-process runs")
    for name, value in med.items():
        print(f"  {name:28} {value * 1000:8.1f} ms  {value / ref:6.3f} of luacheck's")
    print(f"  targets: cold at most 1/5 of luacheck's "
          f"({'met' if med['lint, cold (no cache)'] <= ref / 5 else 'MISSED'}), "
          f"one file edited at most 1/50 "
          f"({'met' if med['lint, one file edited'] <= ref / 50 else 'MISSED'})")
    return med


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15, help="rounds on the example")
    ap.add_argument("--tree-runs", type=int, default=5,
                    help="rounds on the generated tree (luacheck takes seconds each)")
    ap.add_argument("--files", type=int, default=360)
    args = ap.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="bench-lint-") as tmp:
        env = {**env_without_cache_flag(), "XDG_CACHE_HOME": os.path.join(tmp, "cache")}
        example(args.runs, Path(tmp), env)
        big_tree(args.tree_runs, args.files, Path(tmp), env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
