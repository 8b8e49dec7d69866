"""Sizes and CPU quantities, nginx style (`150m`, `64k`) and Kubernetes style (`512Mi`)."""

from __future__ import annotations

import re

_SIZE = re.compile(r"(?P<num>\d+(?:\.\d+)?)(?P<unit>[kKmMgG]i?|)")
_FACTORS = {
    "": 1, "k": 1024, "m": 1024**2, "g": 1024**3,
    "ki": 1024, "mi": 1024**2, "gi": 1024**3,
}
_CPU = re.compile(r"(?P<num>\d+(?:\.\d+)?)(?P<milli>m?)")


def parse_size(text: str) -> int | None:
    """Bytes in `text`, or None when it is not a size.

    nginx's `k`/`m`/`g` (either case) and Kubernetes' `Ki`/`Mi`/`Gi` are powers of 1024.
    """
    m = _SIZE.fullmatch(text)
    if not m:
        return None
    value = float(m.group("num")) * _FACTORS[m.group("unit").lower()]
    if value != int(value):
        return None
    return int(value)


def parse_cpu(text: str) -> int | None:
    """Millicores in `text` (`500m`, `2`, `1.5`), or None when it is not a CPU quantity."""
    m = _CPU.fullmatch(text)
    if not m:
        return None
    num = float(m.group("num"))
    millis = num if m.group("milli") else num * 1000
    if millis != int(millis) or millis <= 0:
        return None
    return int(millis)


def parse_duration(text: str) -> int | None:
    """Whole seconds in `text` (`5s`, `1m`, `10`), or None."""
    m = re.fullmatch(r"(\d+)(s|m|)", text)
    if not m:
        return None
    return int(m.group(1)) * (60 if m.group(2) == "m" else 1)


def nginx_size(nbytes: int) -> str:
    """The shortest exact nginx spelling of a size: `150m`, `64k` or bytes."""
    for unit, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if nbytes % factor == 0:
            return f"{nbytes // factor}{unit}"
    return str(nbytes)
