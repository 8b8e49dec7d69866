"""nginx's messages about the candidate, told in the user's terms.

nginx names the effective conf in the image (``... in /usr/share/nginx/conf/nginx.conf:7``);
every line of the effective conf knows its origin (:mod:`restybuild.conf.edit`), so the
message is shown at the user's line (``nginx/conf/nginx.conf:2:1``) or at the Restyfile
statement that added the line. Lines are shown once (nginx logs each twice when two
``error_log``s go to stderr), without terminal escapes, and not cut short.
"""

from __future__ import annotations

import re

from restybuild.conf.effective import EffectiveConf
from restybuild.errors import Span
from restybuild.records import dataclass

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
BAD = re.compile(r"\[(emerg|alert|crit|error)\]")
_WHERE = re.compile(r" in (/[^\s:]+):(\d+)\s*$")
#: lua-nginx-module names a `*_by_lua_block`'s chunk after its conf file and line:
#: `init_by_lua(nginx.conf:12):2: attempt to index ...` is the block's second line
_CHUNK = re.compile(r"\b\w+_by_lua(?:_block)?\(([^():]+):(\d+)\):(\d+):\s*")
_PREFIX = re.compile(r"^(?:nginx: |\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )?\[(\w+)\] (?:\d+#\d+: )?")
MAX_LINES = 40


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


@dataclass(frozen=True)
class Located:
    """One message of nginx, and where it points in the user's files (None: nowhere)."""

    level: str  # emerg | alert | crit | error | warn | notice...
    message: str  # without the time, pid and place
    span: Span | None
    line: str  # the whole line as shown, its place in the user's terms


def locate(line: str, effective: EffectiveConf) -> Located:
    line = strip_ansi(line).rstrip()
    prefix = _PREFIX.match(line)
    level = prefix.group(1) if prefix else ""
    message = line[prefix.end():] if prefix else line
    where = _WHERE.search(message)
    span = None
    if where:
        f = next((x for x in effective.files if x.image_path == where.group(1)), None)
        span = f.origin(int(where.group(2))) if f is not None else None
        if span is not None:
            message = message[:where.start()]
            line = f"{span}: {level or 'error'}: {message}"
    elif (chunk := _CHUNK.search(message)) is not None:
        span = _chunk_span(chunk, effective)
        if span is not None:
            message = message[:chunk.start()] + message[chunk.end():]
            line = f"{span}: {level or 'error'}: {message}"
    return Located(level, message, span, line)


def _chunk_span(chunk: re.Match[str], effective: EffectiveConf) -> Span | None:
    """The user's line of a Lua block's error: the block starts on the chunk's conf line,
    and its Lua is the user's text, line for line."""
    name, conf_line, lua_line = chunk.group(1), int(chunk.group(2)), int(chunk.group(3))
    files = [x for x in effective.files if x.image_path.rsplit("/", 1)[-1] == name]
    if len(files) != 1:  # two included files of that name: nginx's chunk name cannot tell
        return None
    return files[0].origin(conf_line + lua_line - 1)


def interesting(output: str, effective: EffectiveConf) -> list[Located]:
    """The lines worth showing: every error-level line (once each, in order), else the last
    lines of the log; at most MAX_LINES."""
    seen: set[str] = set()
    lines: list[str] = []
    for raw in output.splitlines():
        text = strip_ansi(raw).rstrip()
        if text.strip() and text not in seen:
            seen.add(text)
            lines.append(text)
    bad = [ln for ln in lines if BAD.search(ln)]
    chosen = bad[:MAX_LINES] if bad else lines[-15:]
    return [locate(ln, effective) for ln in chosen]
