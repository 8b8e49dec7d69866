"""Where a command's time goes: named moments, printed when RESTYBUILD_TIMINGS is set.

`bench/bench_image.py` reads them to break a rebuild down. Standard library only.
"""

from __future__ import annotations

import json
import os
import time

_marks: list[tuple[str, float]] = []
_extra: dict[str, object] = {}


def mark(name: str) -> None:
    """`name` ended now (the span from the previous mark, or the process start)."""
    _marks.append((name, time.perf_counter()))


def add(name: str, value: object) -> None:
    _extra[name] = value


def _since_start() -> float | None:
    """Seconds since this process started (from /proc), or None."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            fields = fh.read().rpartition(")")[2].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / ticks
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def line() -> str | None:
    """One JSON line of the spans between the marks, when RESTYBUILD_TIMINGS is set."""
    if not os.environ.get("RESTYBUILD_TIMINGS"):
        return None
    now, since = time.perf_counter(), _since_start()
    spans: dict[str, float] = {}
    prev = now - since if since is not None else (_marks[0][1] if _marks else now)
    for name, at in _marks:
        spans[name] = round(spans.get(name, 0.0) + at - prev, 4)
        prev = at
    spans["rest"] = round(now - prev, 4)
    return "restybuild-timings: " + json.dumps({"spans": spans, **_extra})
