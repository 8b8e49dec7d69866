"""Input generators shared by the fuzz test and bench/bench_fuzz.py.

`grammar_input` builds Restyfile-like text from the language's own words and
values with random punctuation, bytes and truncation; `check` runs one input
through parse and resolve and returns the exception that escaped, if any.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from restybuild.errors import RestyError
from restybuild.parser import parse
from restybuild.resolve import resolve
from restybuild.statements import BLOCK_ITEMS
from restybuild.statements import TOP_LEVEL as STATEMENTS

WORDS = [*STATEMENTS, *(w for items in BLOCK_ITEMS.values() for w in items), "->", "{", "}",
         "image", "recipe", "digest", "cpu", "memory", "port", "path", "period", "timeout",
         "http", "liveness", "readiness", "prometheus", "debian-bookworm", "openresty",
         "bookworm", "1.21.4.3", "150m", "1Gi", "500m", "80", "/healthz", "conf", "lua",
         "../x", "/etc", "a=b", '"q"', '"un', "#c", "\\", "$(id)", "`id`", ";", "\x00", "\t",
         "é", "\u2028", "\ufeff", "9" * 30, "-" * 3, "=", "\r"]


def grammar_input(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(0, 12)):
        n = rng.randint(0, 6)
        lines.append(" ".join(rng.choice(WORDS) for _ in range(n)))
    text = "\n".join(lines)
    if rng.random() < 0.3 and text:
        cut = rng.randrange(len(text))
        text = text[:cut]
    return text


def byte_input(rng: random.Random) -> str:
    data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 80)))
    return data.decode("utf-8", "replace")


def check(text: str, root: Path) -> BaseException | None:
    """None when `text` parses and resolves or gives a RestyError with a place."""
    try:
        resolve(parse(text, "Restyfile"), root)
    except RestyError as e:
        if e.span is None and not e.message:
            return e
        if e.span is not None and (e.span.line < 1 or e.span.col < 1):
            return e
        return None
    except Exception as e:  # a traceback a user would see
        return e
    return None


def project_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="restybuild-fuzz-"))
    (root / "conf").mkdir()
    (root / "conf/nginx.conf").write_text("events {}\nhttp {}\n")
    (root / "lua").mkdir()
    return root
