"""RB401 takes the per-worker memory from the option, else the base recipe, else 64Mi."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from restybuild.lint.context import LintContext
from restybuild.lint.rules import rb401_memory_budget
from restybuild.resolve import load_project
from tests.conftest import write_tree

RESTYFILE = ("name app\nbase debian-bookworm\nworkers 2\n"
             "resources {\n    limit cpu 2 memory 1Gi\n}\n")


def messages(tmp_path: Path, worker_memory: str, options: dict[str, str]) -> list[str]:
    write_tree(tmp_path, {"Restyfile": RESTYFILE})
    project = load_project(tmp_path / "Restyfile")
    flavor = dataclasses.replace(project.flavor, worker_memory=worker_memory)
    ctx = LintContext(dataclasses.replace(project, flavor=flavor), dict(options))
    return [f.message for f in rb401_memory_budget.check(ctx)]


def test_the_recipe_value_is_used(tmp_path: Path) -> None:
    assert messages(tmp_path, "300Mi", {}) == [
        "estimated memory master 16Mi + 2 workers x 300Mi + shared dicts 0Mi + reload "
        "headroom 600Mi = 1216Mi is above the limit 1024Mi"]


def test_the_option_wins_over_the_recipe(tmp_path: Path) -> None:
    assert messages(tmp_path, "300Mi", {"worker-memory": "64Mi"}) == []


def test_the_shipped_recipe_says_64mi(tmp_path: Path) -> None:
    write_tree(tmp_path, {"Restyfile": RESTYFILE})
    assert load_project(tmp_path / "Restyfile").flavor.worker_memory == "64Mi"
