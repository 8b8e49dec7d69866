"""Hostile Restyfiles: no input gives a traceback, every error has a line and column.

A sample here (hypothesis + seeded generators); bench/bench_fuzz.py runs 100k.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import WORDS, byte_input, check, grammar_input, project_root

ROOT: Path = project_root()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text(text: str) -> None:
    assert check(text, ROOT) is None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=30),
       st.lists(st.sampled_from([" ", "\n", "\t", ""]), min_size=30, max_size=30))
def test_grammar_words(words: list[str], seps: list[str]) -> None:
    text = "".join(w + s for w, s in zip(words, seps))
    assert check(text, ROOT) is None


@pytest.mark.parametrize("seed", range(4))
def test_seeded_generators(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        text = grammar_input(rng) if rng.random() < 0.7 else byte_input(rng)
        escaped = check(text, ROOT)
        assert escaped is None, (text, repr(escaped))
