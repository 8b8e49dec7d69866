"""`restybuild plan Restyfile.example`: whole-process median of 10 runs, against `python -c pass`.

Runs are interleaved (pass, warm plan, cold plan, ...) in one process so that
machine noise hits all three alike. Warm: the result cache is valid (the usual
case in an editor or a hook). Cold: RESTYBUILD_NO_CACHE=1, the whole compiler.

    python bench/bench_plan.py [--runs 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import warm_and_cold


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    warm_and_cold("plan", args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
