"""The edits the Restyfile makes to the user's conf: one small module per feature, in order.

Each module has ``edits(ctx) -> list[Edit]`` (:mod:`restybuild.conf.edit`) and
reads the whole include tree, so it merges with what any included file sets;
a declaration that conflicts with the conf raises an error naming both
places. The registry is an explicit tuple, like the lint rules: the main
context's inserts appear in this order at the top of the main file.

There is no `user` edit: the image runs as a non-root USER (:data:`RUN_USER`), and
nginx ignores `user` then; a conf's own `user` line is kept as written.
"""

from __future__ import annotations

from types import ModuleType

from restybuild.conf.edits import (
    daemon,
    env,
    logs,
    metrics,
    modules,
    package_paths,
    pid,
    probes,
    shared_dicts,
    temp_paths,
    workers,
)

EDITS: tuple[ModuleType, ...] = (
    modules,
    daemon,
    pid,
    workers,
    env,
    logs,
    temp_paths,
    shared_dicts,
    package_paths,
    probes,
    metrics,
)
