"""The checks at the same time (restybuild.verifyrun.run_in_order), with a fake engine: the
failure reported is the first in the canonical order, and on a failure or an interrupt
every container is removed and every thread has ended before the exception goes on."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from restybuild import engine, interrupt
from restybuild.verifyrun import run_in_order


class FakeContainer:
    def __init__(self, n: int) -> None:
        self.id = f"c{n}"
        self.removed = threading.Event()

    def start(self) -> None:
        pass

    def wait(self, timeout: float = 60) -> dict[str, int]:
        """Blocks as a running container does, until it is removed (then the daemon says
        it ended)."""
        if not self.removed.wait(timeout):
            raise TimeoutError
        return {"StatusCode": 137}

    def remove(self, force: bool = False) -> None:
        self.removed.set()


class FakeContainers:
    def __init__(self) -> None:
        self.made: list[FakeContainer] = []
        self.lock = threading.Lock()

    def create(self, image: str, command: list[str], **kw: Any) -> FakeContainer:
        with self.lock:
            c = FakeContainer(len(self.made))
            self.made.append(c)
        return c


class FakeClient:
    def __init__(self) -> None:
        self.containers = FakeContainers()


def blocked(client: FakeClient, started: threading.Event | None = None) -> Callable[[], Any]:
    """A check that runs a container until it is removed (a boot check that never ends)."""
    def run() -> Any:
        with engine.throwaway(client, "img", ["nginx"]) as c:
            c.start()
            if started is not None:
                started.set()
            c.wait(timeout=30)
            raise engine.Cancelled  # its container went: the daemon would say not found
    return run


def failing(message: str, after: float = 0.0) -> Callable[[], Any]:
    def run() -> Any:
        time.sleep(after)
        raise RuntimeError(message)
    return run


def passing(value: Any, after: float = 0.0) -> Callable[[], Any]:
    def run() -> Any:
        time.sleep(after)
        return value
    return run


def check_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("restybuild-check")]


def test_all_pass_results_in_order_with_timings() -> None:
    results, timings = run_in_order([("a", passing(1, 0.05)), ("b", passing(2)),
                                     ("c", passing(3, 0.02))])
    assert results == [1, 2, 3]
    assert [t.check for t in timings] == ["a", "b", "c"]
    assert all(0 <= t.start <= t.end for t in timings)
    assert timings[0].end >= 0.05


def test_the_first_in_order_is_reported_even_when_a_later_one_fails_first() -> None:
    with pytest.raises(RuntimeError, match=r"^first$"):
        run_in_order([("a", failing("first", after=0.2)), ("b", failing("second"))])
    with pytest.raises(RuntimeError, match=r"^second$"):
        run_in_order([("a", passing(1, after=0.1)), ("b", failing("second")),
                      ("c", failing("third", after=0.05))])
    assert check_threads() == []


def test_the_order_holds_whatever_the_timing() -> None:
    rng = random.Random(13)
    for _ in range(25):
        fails = [rng.random() < 0.5 for _ in range(4)]
        jobs = [(f"j{i}", failing(f"j{i}", rng.random() / 50) if bad
                 else passing(i, rng.random() / 50)) for i, bad in enumerate(fails)]
        if not any(fails):
            assert run_in_order(jobs)[0] == [0, 1, 2, 3]
            continue
        with pytest.raises(RuntimeError, match=f"^j{fails.index(True)}$"):
            run_in_order(jobs)


def test_a_failure_removes_the_containers_of_the_checks_still_running() -> None:
    client = FakeClient()
    started = threading.Event()
    t = time.monotonic()
    with pytest.raises(RuntimeError, match="nginx -t"):
        run_in_order([("nginx -t", failing("nginx -t", after=0.1)),
                      ("boot", blocked(client, started))])
    assert time.monotonic() - t < 5  # not the boot check's 30 s
    assert started.is_set()
    assert [c.removed.is_set() for c in client.containers.made] == [True]
    assert check_threads() == [] and engine._live == set()
    # the next verification may create containers again
    with engine.throwaway(client, "img", ["true"]):
        pass


def test_a_later_failure_does_not_stop_an_earlier_check() -> None:
    """The boot check (later) failing must wait for nginx -t (earlier): its failure wins."""
    client = FakeClient()
    with pytest.raises(RuntimeError, match=r"^nginx -t$"):
        run_in_order([("nginx -t", failing("nginx -t", after=0.15)),
                      ("libraries", blocked(client)), ("boot", failing("boot"))])
    assert all(c.removed.is_set() for c in client.containers.made)
    assert check_threads() == []


def test_an_interrupt_removes_every_container_and_ends_every_thread() -> None:
    client = FakeClient()
    previous = signal.getsignal(signal.SIGINT)
    interrupt.reset()
    interrupt.install()
    started = threading.Event()

    def sigint() -> None:
        started.wait(5)
        os.kill(os.getpid(), signal.SIGINT)  # delivered to the main thread, as Ctrl-C is

    try:
        with pytest.raises(KeyboardInterrupt):
            run_in_order([("nginx -t", blocked(client, started)), ("libraries", blocked(client)),
                          ("boot", passing(None)), ("signal", sigint)])
        assert interrupt.received() == signal.SIGINT
    finally:
        signal.signal(signal.SIGINT, previous)
        interrupt.reset()
    assert client.containers.made and all(c.removed.is_set() for c in client.containers.made)
    assert check_threads() == [] and engine._live == set()


def test_an_interrupt_recorded_while_a_check_is_shielded_is_not_missed() -> None:
    """A check's thread inside a shielded section (creating a container) must not make the
    main thread only record a signal: it raises, and the verification stops."""
    client = FakeClient()

    def shielded_then_wait() -> Any:
        with interrupt.shielded():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
        return blocked(client)()

    previous = signal.getsignal(signal.SIGINT)
    interrupt.reset()
    interrupt.install()
    try:
        t = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            run_in_order([("a", shielded_then_wait)])
        assert time.monotonic() - t < 5
    finally:
        signal.signal(signal.SIGINT, previous)
        interrupt.reset()
    assert check_threads() == [] and engine._live == set()


def test_a_check_awaiting_another_that_never_ran_ends_when_the_checks_are_cancelled() -> None:
    """nginx -t takes the boot check's result, the load check the library check's: when that
    job was cancelled before it started, the waiting one must not wait for ever."""
    from concurrent.futures import Future

    from restybuild.verifyrun import awaited

    never: Future[int] = Future()
    threading.Timer(0.2, engine.cancel_all).start()
    t = time.monotonic()
    try:
        with pytest.raises(engine.Cancelled):
            awaited(never)
    finally:
        engine.resume()
    assert time.monotonic() - t < 5
    done: Future[int] = Future()
    done.set_result(7)
    assert awaited(done) == 7
