"""Ctrl-C and SIGTERM: recorded when they arrive, so none is lost and no tag moves after one.

Python turns SIGINT into a KeyboardInterrupt raised wherever the program is.
Raised inside a finalizer (a half-read archive stream being closed) it is
lost (Python would print it as "Exception ignored ..." with a traceback: the
module's unraisable hook keeps that quiet); raised inside cleanup it can
leave a container behind. So the handler first records the signal, then
raises, except inside :func:`shielded` sections (cleanup, tagging), where it
only records. Whoever is about to do something irreversible (move a tag)
calls :func:`check` first, and the command line's exit code comes from
:func:`received`, whatever exception the interrupt turned into on its way.
"""

from __future__ import annotations

import signal
import sys
from _thread import get_ident

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the warm path imports this module
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

EXIT_CODES: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}

_received: list[int] = []
_depth = 0  # of the main thread's shielded sections: the handler runs in the main thread
_MAIN = get_ident()  # imported by the main thread (the command line imports it first)


def _handler(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)
    if _depth == 0:
        raise KeyboardInterrupt


def install() -> None:
    """Record SIGINT and SIGTERM from now on (the command line calls this once)."""
    for sig in EXIT_CODES:
        try:  # noqa: SIM105 - contextlib costs the warm path an import
            signal.signal(sig, _handler)
        except (ValueError, OSError):  # not the main thread: leave Python's handling
            pass
    if sys.unraisablehook is not _unraisable:
        global _default_unraisable
        _default_unraisable = sys.unraisablehook
        sys.unraisablehook = _unraisable


_default_unraisable = sys.unraisablehook


def _unraisable(what: Any) -> None:
    """A KeyboardInterrupt the handler raised inside a finalizer (a `__del__`, a weakref
    callback, the garbage collector) cannot propagate: Python would print it as "Exception
    ignored in ..." with a traceback. It is recorded already, so :func:`check` and the exit
    code still see it: say nothing. Anything else is Python's to print."""
    if isinstance(what.exc_value, KeyboardInterrupt) and _received:
        return
    _default_unraisable(what)


def received() -> int | None:
    """The first signal recorded, or None."""
    return _received[0] if _received else None


def count() -> int:
    """How many signals were recorded (a second one asks to stop waiting)."""
    return len(_received)


def exit_code() -> int | None:
    sig = received()
    return None if sig is None else EXIT_CODES.get(sig, 130)


def check() -> None:
    """Raise KeyboardInterrupt if a signal arrived, even one whose exception was lost."""
    if _received:
        raise KeyboardInterrupt


class shielded:  # a context manager: `with interrupt.shielded():`
    """Inside, a signal is only recorded: cleanup and tagging run to their end. Only the
    main thread's sections count (signals interrupt no other thread); another thread's
    section must not make the main thread miss one."""

    def __enter__(self) -> None:
        global _depth
        if get_ident() == _MAIN:
            _depth += 1

    def __exit__(self, *_exc: object) -> None:
        global _depth
        if get_ident() == _MAIN:
            _depth -= 1


def reset() -> None:
    """Forget recorded signals (tests, and a new command in the same process)."""
    _received.clear()
