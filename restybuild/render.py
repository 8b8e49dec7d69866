"""Render a build plan to text with the Jinja2 templates shipped in the package."""

from __future__ import annotations

import json
import posixpath
from functools import lru_cache
from typing import TYPE_CHECKING

from restybuild.plan import ROCKS_STAGE, BuildPlan
from restybuild.units import k8s_cpu, k8s_memory

KUSTOMIZATION = "kustomization.yaml"

if TYPE_CHECKING:
    from jinja2 import Environment

    from restybuild.kube.plan import K8sPlan


def dockerfile_quote(value: str) -> str:
    """A double-quoted Dockerfile word: `\\`, `"` and `$` escaped, so nothing expands."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


@lru_cache(maxsize=1)
def _env() -> Environment:
    from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined

    from restybuild.cachedir import enabled, private_dir

    cache = None
    # compiled templates, so a cold run does not compile them again: marshalled code, so
    # only from a folder no other user can write (restybuild.cachedir)
    folder = private_dir("jinja") if enabled() else None
    if folder is not None:
        cache = FileSystemBytecodeCache(folder)
    env = Environment(
        loader=PackageLoader("restybuild", "templates"),
        bytecode_cache=cache,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        autoescape=False,
    )
    env.filters["dockerfile_quote"] = dockerfile_quote
    env.filters["k8s_cpu"] = k8s_cpu
    env.filters["k8s_memory"] = k8s_memory
    env.policies["json.dumps_function"] = _dumps
    return env


def _dumps(obj: object, **kw: object) -> str:
    """JSON for the templates: tuples (the plan's CMD) as arrays."""
    return json.dumps(list(obj) if isinstance(obj, tuple) else obj)


class _View:
    """The plan as the template sees it."""

    def __init__(self, plan: BuildPlan) -> None:
        self._plan = plan
        self.restyfile_name = posixpath.basename(plan.restyfile)

    def __getattr__(self, name: str) -> object:
        return getattr(self._plan, name)


def render_dockerfile(plan: BuildPlan) -> str:
    """The Dockerfile of `plan`; byte-identical for the same plan."""
    text = _env().get_template("Dockerfile.j2").render(plan=_View(plan), rocks_stage=ROCKS_STAGE)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def render_k8s(plan: K8sPlan) -> dict[str, str]:
    """The files of `restybuild k8s -o DIR`: one object per file (:attr:`K8sPlan.files`),
    then `kustomization.yaml` listing them."""
    env = _env()
    out = {f: env.get_template(f"k8s/{f}.j2").render(plan=plan) for f in plan.files}
    out[KUSTOMIZATION] = env.get_template(f"k8s/{KUSTOMIZATION}.j2").render(plan=plan)
    return out


def k8s_stream(files: dict[str, str]) -> str:
    """The objects as one multi-document YAML stream (`restybuild k8s` without -o)."""
    return "---\n".join(text for name, text in files.items() if name != KUSTOMIZATION)
