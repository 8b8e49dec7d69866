"""Fuzz the Restyfile front end: 100k inputs, count the tracebacks (must be 0), time it.

70% grammar-aware inputs (the language's words with random punctuation, bytes
and truncation), 30% random bytes; each goes through parse and resolve.

    python bench/bench_fuzz.py [--inputs 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.fuzzing import byte_input, check, grammar_input, project_root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = project_root()
    failures: list[tuple[str, BaseException]] = []
    parsed = 0
    start = time.perf_counter()
    for _ in range(args.inputs):
        text = grammar_input(rng) if rng.random() < 0.7 else byte_input(rng)
        escaped = check(text, root)
        if escaped is not None:
            failures.append((text, escaped))
        parsed += 1
    elapsed = time.perf_counter() - start
    print(f"fuzzed {parsed} inputs in {elapsed:.1f} s ({parsed / elapsed:.0f}/s), "
          f"tracebacks: {len(failures)}")
    for text, exc in failures[:10]:
        print(f"  {text!r}: {type(exc).__name__}: {exc}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
