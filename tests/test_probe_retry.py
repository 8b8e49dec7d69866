"""The probe check asks again when nothing answered yet (the kubelet's failureThreshold), never
after an answer: with a fake container."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from restybuild import verify


@dataclass
class FakeContainer:
    answers: list[tuple[int, bytes]]
    asked: list[list[str]] = field(default_factory=list)

    def exec_run(self, cmd: list[str]) -> tuple[int, bytes]:
        self.asked.append(cmd)
        return self.answers.pop(0)


@dataclass(frozen=True)
class Plan:
    probes: tuple[tuple[str, str, int], ...] = (("readiness", "/ready", 8089),)


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verify, "PROBE_PAUSE", 0.0)


def check(answers: list[tuple[int, bytes]]) -> tuple[Any, Any, int]:
    c = FakeContainer(list(answers))
    lines, failures = verify.probe_check(c, Plan())  # type: ignore[arg-type]
    return lines, failures, len(c.asked)


def test_no_answer_yet_is_asked_again() -> None:
    lines, failures, asked = check([(1, b""), (1, b"bash: connect: Connection refused\n"),
                                    (0, b"HTTP/1.1 200 OK\r\n")])
    assert (lines, failures, asked) == (("readiness probe GET /ready on port 8089: 200",), [], 3)


def test_an_answer_is_final() -> None:
    _lines, failures, asked = check([(0, b"HTTP/1.1 503 Service Temporarily Unavailable\r\n")])
    assert asked == 1
    assert failures == ["readiness probe GET /ready on port 8089 answered HTTP/1.1 503 Service "
                        "Temporarily Unavailable (want 200-399)"]


def test_never_an_answer_fails_after_the_tries() -> None:
    _lines, failures, asked = check([(1, b"")] * verify.PROBE_TRIES)
    assert asked == verify.PROBE_TRIES
    assert failures == ["readiness probe GET /ready on port 8089 answered nothing (want 200-399)"]


def test_no_bash_is_not_checked_and_not_asked_again() -> None:
    lines, failures, asked = check([(127, b"exec: bash: executable file not found")])
    assert (lines, failures, asked) == (
        ("readiness probe GET /ready on port 8089: not checked (the image has no bash)",), [], 1)
