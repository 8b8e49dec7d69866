"""`restybuild discover` on the CentOS host fixture (tests/discover/fixtures.py): its time,
whole process, against `python -c pass` and `restybuild lint` of what it wrote, in the same
run; and how many statements of the written Restyfile had to change for the build to pass
(goal 0): it is built unedited on the Debian base with the fixture's rocks server, and
verified, on the real engine.

    python bench/bench_discover.py [--runs N] [--no-build]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import env_without_cache_flag, restybuild_cmd, timed
from restybuild.rockserver import make_server
from tests.discover.fixtures import centos_host, rock_sources

TAG = "rb-bench/discover:bench"


def _times(root: Path, nginx_v: Path, tmp: Path, runs: int) -> dict[str, list[float]]:
    env = env_without_cache_flag()
    out = tmp / "out"
    times: dict[str, list[float]] = {"python -c pass": [], "discover": [], "lint (cold)": []}
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        times["python -c pass"].append(timed([sys.executable, "-c", "pass"], env))
        times["discover"].append(timed([*restybuild_cmd(), "discover", str(root), "--nginx-v",
                                        str(nginx_v), "-o", str(out)], env, ok=(0, 1)))
        times["lint (cold)"].append(timed([*restybuild_cmd(), "lint", str(out / "Restyfile")],
                                          {**env, "RESTYBUILD_NO_CACHE": "1"}, ok=(0, 1)))
    return times


def _build(root: Path, nginx_v: Path, tmp: Path) -> tuple[int, float, int]:
    """(exit code, seconds, statements written) of discover --build, the Restyfile unedited."""
    from restybuild.cli import main
    from restybuild.discover.write import count

    server = tmp / "rocks-server"
    make_server(server, rock_sources(tmp / "rock-src"))
    out = tmp / "built"
    start = time.perf_counter()
    rc = main(["discover", str(root), "--nginx-v", str(nginx_v), "--base", "debian-bookworm",
               "--rocks-server", str(server), "-o", str(out), "--build", TAG])
    elapsed = time.perf_counter() - start
    written = count((out / "Restyfile").read_text())
    from restybuild.engine import connect

    with contextlib.suppress(Exception):  # the tag is not there when the build failed
        connect().images.remove(TAG, noprune=False)
    return rc, elapsed, written


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="restybuild-discover-") as name:
        tmp = Path(name)
        root = tmp / "host"
        nginx_v = centos_host(root)
        times = _times(root, nginx_v, tmp, args.runs)
        med = {k: statistics.median(v) for k, v in times.items()}
        ref = med["python -c pass"]
        print(f"discover on the CentOS host fixture, median of {args.runs} whole-process runs")
        for k, v in med.items():
            print(f"  {k:16} {v * 1000:8.1f} ms  {v / ref:6.2f}x")
        if args.no_build:
            return 0
        rc, elapsed, written = _build(root, nginx_v, tmp)
        changed = 0 if rc == 0 else "unknown (the unedited build failed)"
        print(f"discover --base debian-bookworm --build: exit {rc} in {elapsed:.1f} s; "
              f"{written} statements written, {changed} changed by hand (goal 0)")
        return 0 if rc == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
