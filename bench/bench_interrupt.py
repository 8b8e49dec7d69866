"""SIGINT at 200 random moments of a real `restybuild build`: tag moves and leftovers (0).

Needs the Docker engine of DOCKER_HOST with the debian-bookworm base (`make base`).

    python bench/bench_interrupt.py [--trials 200] [--seed 14]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from restybuild.engine import connect
from tests.interrupts import run_trials


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="restybuild-bench-") as tmp:
        duration, trials = run_trials(connect(), Path(tmp), args.trials, args.seed)
    signalled = [t for t in trials if t.signalled]
    moved = sum(t.tag_moved for t in signalled)
    leftovers = sum(len(t.leftover) for t in trials)
    codes: dict[int, int] = {}
    for t in signalled:
        codes[t.exit_code] = codes.get(t.exit_code, 0) + 1
    print(f"{len(trials)} builds (one takes {duration:.1f} s), {len(signalled)} interrupted at "
          f"a random moment: tag moves {moved}, leftover containers {leftovers}, exit codes "
          + ", ".join(f"{c}: {n}" for c, n in sorted(codes.items())))
    early = sum(t.before_restybuild for t in signalled)
    if early:
        print(f"  {early} of them arrived before restybuild's first line (Python's own "
              "start-up died of it, exit 1: nothing of restybuild ran, nothing changed)")
    bad = [t for t in trials if not t.ok]
    for t in bad[:10]:
        print(f"  trial {t.number} at {t.moment:.2f}s: exit {t.exit_code}, tag moved "
              f"{t.tag_moved}, leftover {len(t.leftover)}: {t.stderr.strip()[-300:]}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
