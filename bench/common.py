"""Helpers shared by the benchmarks: whole-process timing, interleaved, medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_bytecode() -> None:
    """Write restybuild's bytecode, as an installed package has it (with
    PYTHONDONTWRITEBYTECODE set, every run would compile the changed modules again)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "restybuild")],
                   check=True, env=env)


def restybuild_cmd() -> list[str]:
    script = Path(sys.executable).parent / "restybuild"
    return [str(script)] if script.exists() else [sys.executable, "-m", "restybuild"]


def best(fn: Callable[[], object], runs: int = 5) -> float:
    """The shortest of `runs` calls of `fn`, in seconds."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def timed(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return elapsed


def build_demo_natives() -> None:
    subprocess.run(["bash", "examples/demo/build.sh"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHON": sys.executable})


def compare(label: str, commands: dict[str, tuple[list[str], dict[str, str]]],
            runs: int) -> dict[str, float]:
    """Run each command `runs` times, interleaved; print medians and ratios to the first."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cmd, env) in commands.items():
            times[name].append(timed(cmd, env, ok=(0, 1)))
    med = {k: statistics.median(v) for k, v in times.items()}
    ref = next(iter(med.values()))
    print(f"{label}, median of {runs} whole-process runs")
    for name, value in med.items():
        print(f"  {name:22} {value * 1000:8.1f} ms  {value / ref:6.2f}x")
    return med


def env_without_cache_flag() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "RESTYBUILD_NO_CACHE"}


def warm_and_cold(command: str, runs: int) -> dict[str, float]:
    """`restybuild COMMAND Restyfile.example` warm (cache valid) and cold, against
    `python -c pass`, interleaved in one run."""
    build_demo_natives()
    env = env_without_cache_flag()
    cmd = [*restybuild_cmd(), command, "Restyfile.example"]
    timed(cmd, env, ok=(0, 1))  # prime the cache
    return compare(f"restybuild {command} Restyfile.example", {
        "python -c pass": ([sys.executable, "-c", "pass"], env),
        f"{command} (warm cache)": (cmd, env),
        f"{command} (cold, no cache)": (cmd, {**env, "RESTYBUILD_NO_CACHE": "1"}),
    }, runs)
