"""The nginx modules a base recipe offers to `module NAME`: a recipe's ``[modules]`` table.

Each entry is either a dynamic module the base's distribution packages (``package``, the
``.so`` it installs as ``file``: Debian's ``libnginx-mod-http-echo`` installs
``ngx_http_echo_module.so``), or one the base's nginx has compiled in (``builtin = true``:
OpenResty bundles echo and headers-more). A packaged module's file is copied into the
final image from the recipe's modules image (``modules_image`` of a flavor), which
``restybuild base bootstrap`` makes offline from the same Debian suite as the base, so the
module is built for the base's nginx.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from restybuild.errors import ConfigError
from restybuild.records import dataclass

MODULE_KEYS = frozenset({"package", "file", "builtin", "summary"})


@dataclass(frozen=True)
class NginxModule:
    name: str  # what `module NAME` says: "echo", "headers-more"
    package: str  # the distribution package that installs it; "" when builtin
    file: str  # absolute path of its .so in the image; "" when builtin
    builtin: bool = False  # compiled into the base's nginx: nothing to add
    summary: str = ""


def parse(table: object, path: Path) -> tuple[NginxModule, ...]:
    """The ``[modules]`` table of recipe `path`, checked."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `modules` must be a table of module tables")
    out = []
    for name, entry in sorted(table.items()):
        where = f"{path} [modules.{name}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be a table (package = ..., file = ...)")
        unknown = sorted(set(entry) - MODULE_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) " + ", ".join(f"`{k}`" for k in unknown))
        builtin = entry.get("builtin", False)
        package, file, summary = (entry.get(k, "") for k in ("package", "file", "summary"))
        if not isinstance(builtin, bool) or not all(
                isinstance(v, str) for v in (package, file, summary)):
            raise ConfigError(f"{where}: `package`, `file` and `summary` are strings, "
                              "`builtin` a boolean")
        if builtin and (package or file):
            raise ConfigError(f"{where}: a builtin module has no `package` or `file`")
        if not builtin and not (package and posixpath.isabs(file) and file.endswith(".so")):
            raise ConfigError(f"{where}: needs `package` and `file` (the absolute path of the "
                              ".so the package installs), or `builtin = true`")
        out.append(NginxModule(str(name), package, file, builtin, summary))
    return tuple(out)
