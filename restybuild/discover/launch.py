"""Where the old host starts nginx: `-c` and `-p` in a systemd unit or an init script under
ROOT, and the LD_LIBRARY_PATH it gives nginx. Read as text, never run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from restybuild.records import dataclass

UNIT_DIRS = ("etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system")
INIT_DIRS = ("etc/init.d", "etc/rc.d/init.d")
NAMES = ("nginx", "openresty")


@dataclass(frozen=True)
class Launch:
    conf: str | None  # -c
    prefix: str | None  # -p
    ld_library_path: tuple[str, ...]
    source: str  # the unit or script (host path), "" when none was found


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


_ASSIGN = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(\S.*)?$")
_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def _scan(text: str, launch: dict[str, object]) -> None:
    """The `-c`/`-p` of the line that starts nginx; an init script's shell variables
    (`NGINX_CONF_FILE="/etc/nginx/nginx.conf"` ... `$nginx -c $NGINX_CONF_FILE`) are
    expanded when the script assigned them a plain value, in the order it did."""
    variables: dict[str, str] = {}
    for raw in text.splitlines():
        line = _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), raw.strip())
        assign = _ASSIGN.match(line)
        if assign:
            value = _words(assign.group(2) or "")
            if len(value) <= 1 and "$(" not in line and "`" not in line:
                variables[assign.group(1)] = value[0] if value else ""
        for key in ("Environment=", "export ", ""):
            if key and line.startswith(key):
                for word in _words(line[len(key):]):
                    if word.startswith("LD_LIBRARY_PATH="):
                        launch["llp"] = tuple(p for p in word.split("=", 1)[1].split(":") if p)
        words = _words(line.removeprefix("ExecStart=").lstrip("-@"))
        if not any(Path(w).name in NAMES or w.endswith(("/nginx", "/openresty")) for w in words):
            continue
        for flag, name in (("-c", "conf"), ("-p", "prefix")):
            if flag in words[:-1]:
                launch.setdefault(name, words[words.index(flag) + 1])


def find_launch(root: Path) -> Launch:
    """The first systemd unit or init script that starts nginx, and what it passes."""
    candidates: list[Path] = []
    for d in UNIT_DIRS:
        candidates += sorted((root / d).glob("*.service")) if (root / d).is_dir() else []
    for d in INIT_DIRS:
        candidates += sorted((root / d).iterdir()) if (root / d).is_dir() else []
    for path in candidates:
        if not any(n in path.name for n in NAMES) or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found: dict[str, object] = {}
        _scan(text, found)
        if found:
            conf, prefix = found.get("conf"), found.get("prefix")
            llp = found.get("llp", ())
            return Launch(conf if isinstance(conf, str) else None,
                          prefix if isinstance(prefix, str) else None,
                          llp if isinstance(llp, tuple) else (),
                          "/" + str(path.relative_to(root)))
    return Launch(None, None, (), "")
