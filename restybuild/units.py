"""Numbers, sizes, CPU quantities and durations, nginx style (`150m`, `64k`) and Kubernetes
style (`512Mi`).

Only ASCII digits are digits (`２` and `٣` are not numbers here, though Python's
`int()` takes them), every quantity is bounded, and the arithmetic is exact
(integers, no floats), so a 300-digit size is a clear error and never an
overflow.
"""

from __future__ import annotations

import re

_SIZE = re.compile(r"(?P<int>[0-9]{1,15})(?:\.(?P<frac>[0-9]{1,6}))?(?P<unit>[kKmMgG]i?|)")
_FACTORS = {
    "": 1, "k": 1024, "m": 1024**2, "g": 1024**3,
    "ki": 1024, "mi": 1024**2, "gi": 1024**3,
}
_CPU = re.compile(r"(?P<int>[0-9]{1,6})(?:\.(?P<frac>[0-9]{1,3}))?(?P<milli>m?)")
_DURATION = re.compile(r"(?P<num>[0-9]{1,7})(?P<unit>s|m|)")
MAX_SIZE = 1 << 50  # 1 PiB: more memory than any container has
MAX_CPU = 1024 * 1000  # millicores


def parse_int(text: str, low: int, high: int) -> int | None:
    """The integer `text` spells in ASCII digits, when it is from `low` to `high`."""
    if not 0 < len(text) <= len(str(high)) or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None


def _exact(whole: str, frac: str | None, factor: int) -> int | None:
    """whole.frac * factor when that is a whole number."""
    scale = 10 ** len(frac or "")
    total = (int(whole) * scale + int(frac or "0")) * factor
    return total // scale if total % scale == 0 else None


def parse_size(text: str) -> int | None:
    """Bytes in `text`, or None when it is not a size (or more than :data:`MAX_SIZE`).

    nginx's `k`/`m`/`g` (either case) and Kubernetes' `Ki`/`Mi`/`Gi` are powers of 1024.
    """
    m = _SIZE.fullmatch(text)
    if not m:
        return None
    value = _exact(m.group("int"), m.group("frac"), _FACTORS[m.group("unit").lower()])
    return value if value is not None and value <= MAX_SIZE else None


def parse_cpu(text: str) -> int | None:
    """Millicores in `text` (`500m`, `2`, `1.5`), or None when it is not a CPU quantity."""
    m = _CPU.fullmatch(text)
    if not m:
        return None
    millis = _exact(m.group("int"), m.group("frac"), 1 if m.group("milli") else 1000)
    if millis is None or not 0 < millis <= MAX_CPU:
        return None
    return millis


def parse_duration(text: str) -> int | None:
    """Whole seconds in `text` (`5s`, `1m`, `10`), or None."""
    m = _DURATION.fullmatch(text)
    if not m:
        return None
    return int(m.group("num")) * (60 if m.group("unit") == "m" else 1)


def nginx_size(nbytes: int) -> str:
    """The shortest exact nginx spelling of a size: `150m`, `64k` or bytes."""
    for unit, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if nbytes % factor == 0:
            return f"{nbytes // factor}{unit}"
    return str(nbytes)


def k8s_memory(nbytes: int) -> str:
    """The exact Kubernetes quantity for a size: `1Gi`, `512Mi`, `512Ki` or bytes."""
    for unit, factor in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if nbytes % factor == 0:
            return f"{nbytes // factor}{unit}"
    return str(nbytes)


def k8s_cpu(millis: int) -> str:
    """The Kubernetes quantity for millicores: `2` or `500m`."""
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"
