"""Fuzz the ELF reader and the loader model: 100k mutants of real libraries; count internal errors.

The seeds are a few libraries of this machine and fixtures built with gcc,
gcc -m32 and musl-gcc (a versioned library, RPATH, RUNPATH with NODEFLIB,
32-bit, musl). Each mutant (``tests/elf_fuzzing.py``: random bytes,
truncations, huge or small values in the ELF header, program headers,
dynamic entries and version tables, crafted version tables) is read as bytes
and as a file, then loaded: as a dependency (RUNPATH, a path, LD_LIBRARY_PATH),
``dlopen``'d, as the program, by musl, and as a ``--search`` folder candidate.
An internal error is any exception but ``NotElf`` from the reader, or any
from the loader (a user would see exit 70). Exit status 1 when there is one.

    python bench/bench_elf_fuzz.py [--inputs 100000] [--seed 0] [--save DIR]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.elf_fuzzing import Seed, build_fixtures, check, mutate, seeds


def _abi(s: Seed) -> tuple[int, bool, int]:
    return (64 if s.wide else 32, s.end == "<", 3 if s.name.startswith("lib32") else 62)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", metavar="DIR", help="write the failing and the slowest inputs here")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="restybuild-elf-fuzz-"))
    try:
        pool = seeds(build_fixtures(work / "fixtures"))
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"fixtures not built ({e}); seeds: this machine's libraries only")
        pool = seeds()
    if not pool:
        print("no seed libraries found")
        return 2
    failures: list[tuple[int, str, bytes, BaseException]] = []
    slowest = (0.0, 0.0, -1, "", b"")
    start = time.perf_counter()
    for i in range(args.inputs):
        s = pool[i % len(pool)]
        data = mutate(rng, s)
        error, read_s, load_s = check(data, work / "root", _abi(s))
        if error is not None:
            failures.append((i, s.name, data, error))
        if read_s + load_s > slowest[0] + slowest[1]:
            slowest = (read_s, load_s, i, s.name, data)
    elapsed = time.perf_counter() - start
    read_s, load_s, index, name, data = slowest
    print(f"fuzzed {args.inputs} inputs (mutants of {len(pool)} seeds, seed {args.seed}) in "
          f"{elapsed:.1f} s ({args.inputs / elapsed:.0f}/s)")
    print(f"internal errors: {len(failures)}")
    print(f"slowest input: #{index}, a mutant of {name} ({len(data)} bytes): "
          f"{(read_s + load_s) * 1000:.1f} ms (reader {read_s * 1000:.1f} ms, "
          f"loader {load_s * 1000:.1f} ms)")
    for i, seed_name, _data, exc in failures[:10]:
        print(f"  #{i} ({seed_name}): {type(exc).__name__}: {exc}")
        print("    " + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)
                               [-2:]).strip().replace("\n", "\n    "))
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"slowest-{index}-{name}").write_bytes(data)
        for i, seed_name, failing, _exc in failures:
            (out / f"failing-{i}-{seed_name}").write_bytes(failing)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
