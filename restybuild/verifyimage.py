"""A candidate whose image passed verification before is not verified again.

An image ID is the digest of the image's config and of every layer, so the same ID is
the same bytes. When a build gives an image that already passed, with the same checks
asked of it (the plan's command, user, probes, workers, written folders and what the
library and load checks read, the runtime base, this restybuild's own code), every
check would see what it saw then: their report is kept with the pass and given again,
and no container starts. That is what a rebuild with nothing changed costs (the
engine's cached build and one lookup), as a no-op `make` costs nothing.

Only a verification that passed is kept, in the private cache folder
(:mod:`restybuild.verifycache`'s store); ``build --no-cache`` and RESTYBUILD_NO_CACHE
reuse none.
"""

from __future__ import annotations

import json
from typing import Any

from restybuild import verifycache
from restybuild.plan import BuildPlan
from restybuild.verify import Timing, VerifyReport, expected_workers

CHECK = "image"


def image_key(plan: BuildPlan, attrs: dict[str, Any], base_id: str) -> str:
    """The key of a pass of the image `attrs` describes, with `plan`'s checks."""
    from restybuild.fastpath import run_identity

    asked = json.dumps([attrs.get("Id"), list(plan.cmd), [list(p) for p in plan.probes],
                        expected_workers(plan), list(plan.data), run_identity()])
    return verifycache.fixed_key(CHECK, plan, attrs, base_id, (), asked)


def passed(key: str) -> VerifyReport | None:
    """The report of the pass kept under `key`, or None (none, or not what we write)."""
    entry = verifycache.load(CHECK, key)
    if entry is None:
        return None
    try:
        timings = tuple(Timing(str(name), 0.0, 0.0, True) for name in entry["checks"])
        return VerifyReport(str(entry["nginx_t"]), str(entry["boot_log"]),
                            int(entry["workers"]), _strings(entry["libraries"]),
                            _strings(entry["modules"]), _strings(entry["probes"]), timings)
    except (KeyError, TypeError, ValueError):
        return None


def keep(key: str, report: VerifyReport) -> None:
    verifycache.store(CHECK, key, {
        "nginx_t": report.nginx_t, "boot_log": report.boot_log, "workers": report.workers,
        "libraries": list(report.libraries), "modules": list(report.modules),
        "probes": list(report.probes), "checks": [t.check for t in report.timings]})


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return tuple(str(v) for v in value)
