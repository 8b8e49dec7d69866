"""Corrupt ELF files: the reader and the nginx directive reader raise only NotElf or return
facts, quickly; the loader copes.

A seeded sample of mutants of this machine's libraries and of the fixtures
(``tests/elf_fuzzing.py``; ``bench/bench_elf_fuzz.py`` runs 100,000).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from restybuild.elf.ngxcmds import commands
from restybuild.elf.reader import parse_elf
from tests.elf_fuzzing import build_fixtures, check, crafted, mutate, seeds

MUTANTS = 2000
LIMIT_S = 0.1


def timed_check(data: bytes, root: Path, abi: tuple[int, bool, int]) -> tuple[float, float]:
    """(reader, loader) seconds, the best of three when a run is slow (a busy machine)."""
    best = (float("inf"), float("inf"))
    for _ in range(3):
        error, read_s, load_s = check(data, root, abi)
        if error is not None:
            raise AssertionError(f"{type(error).__name__}: {error}") from error
        best = (min(best[0], read_s), min(best[1], load_s))
        if max(best) < LIMIT_S:
            break
    return best


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixtures(tmp_path_factory.mktemp("fixtures"))


def test_mutants_raise_only_not_elf_and_read_quickly(fixture_dir: Path, tmp_path: Path) -> None:
    pool = seeds(fixture_dir)
    assert len(pool) >= 10
    assert [len(commands(s.data)) for s in pool if "ngx" in s.name] == [7, 7]  # worth mutating
    rng = random.Random(20240611)
    slowest = (0.0, "")
    for i in range(MUTANTS):
        s = pool[i % len(pool)]
        data = mutate(rng, s)
        abi = (64 if s.wide else 32, s.end == "<", 3 if s.name.startswith("lib32") else 62)
        times = timed_check(data, tmp_path, abi)
        slowest = max(slowest, (max(times), f"mutant {i} of {s.name}"))
    assert slowest[0] < LIMIT_S, slowest


@pytest.mark.parametrize("loop", [False, True])
def test_a_crafted_version_table_is_refused_quickly(fixture_dir: Path, tmp_path: Path,
                                                    loop: bool) -> None:
    """3 MB of Verneed records whose aux chains each run to the end of the file (glibc walks
    them in quadratic time), or whose links loop (a 32-bit loader's addition wraps)."""
    for s in seeds(fixture_dir):
        if s.name not in ("libz.so.1", "lib32.so.1"):
            continue
        data = crafted(s, loop)
        start = time.perf_counter()
        obj = parse_elf(data, s.name)
        assert time.perf_counter() - start < LIMIT_S
        assert obj.defect is not None and obj.defect[0] == "dynamic", obj.defect
        assert obj.needed == () and obj.version_needs == ()
        abi = (64 if s.wide else 32, True, 62 if s.wide else 3)
        assert max(timed_check(data, tmp_path, abi)) < LIMIT_S
