"""`restybuild plan Restyfile.example`: whole-process median of 10 runs, against `python -c pass`.

Runs are interleaved (pass, warm plan, cold plan, ...) in one process so that
machine noise hits all three alike. Warm: the plan cache is valid (the usual
case in an editor or a hook). Cold: RESTYBUILD_NO_CACHE=1, the whole compiler.

    python bench/bench_plan.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def restybuild_cmd() -> list[str]:
    script = Path(sys.executable).parent / "restybuild"
    return [str(script)] if script.exists() else [sys.executable, "-m", "restybuild"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--restyfile", default="Restyfile.example")
    args = ap.parse_args()
    subprocess.run(["bash", "examples/demo/build.sh"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHON": sys.executable})
    env = {k: v for k, v in os.environ.items() if k != "RESTYBUILD_NO_CACHE"}
    cold_env = {**env, "RESTYBUILD_NO_CACHE": "1"}
    plan = [*restybuild_cmd(), "plan", args.restyfile]
    base = [sys.executable, "-c", "pass"]
    timed(plan, env)  # prime the cache
    times: dict[str, list[float]] = {"python -c pass": [], "plan (warm)": [], "plan (cold)": []}
    for _ in range(args.runs):
        times["python -c pass"].append(timed(base, env))
        times["plan (warm)"].append(timed(plan, env))
        times["plan (cold)"].append(timed(plan, cold_env))
    med = {k: statistics.median(v) for k, v in times.items()}
    ref = med["python -c pass"]
    print(f"restybuild plan {args.restyfile}, median of {args.runs} whole-process runs")
    for name, value in med.items():
        print(f"  {name:16} {value * 1000:7.1f} ms  {value / ref:5.2f}x python -c pass")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
