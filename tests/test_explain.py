"""`build --explain` (the final layers and what invalidates each) and `--no-cache`,
without a daemon: the plan's layers, the table from an image's history, the engine call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restybuild.builder import build_image
from restybuild.explain import explain, planned_layers
from restybuild.inputs import load
from restybuild.plan import plan
from restybuild.progress import Progress
from tests.conftest import REPO


@pytest.fixture()
def example(monkeypatch: pytest.MonkeyPatch, demo_natives: Path) -> tuple[Any, Any]:
    monkeypatch.chdir(REPO)
    inputs = load("Restyfile.example")
    return inputs.project, plan(inputs.project, inputs.base.index, inputs.tree)


def test_the_final_layers_in_dockerfile_order(example: tuple[Any, Any]) -> None:
    project, bp = example
    notes = planned_layers(project, bp)
    assert [n.name for n in notes] == ["rocks", "natives", "conf", "app"]
    rocks, natives, conf, app = notes
    assert rocks.planned is None and "the builder base" in "; ".join(rocks.invalidated_by)
    assert "the files of the rocks server folder examples/demo/build/rocks" in \
        rocks.invalidated_by
    assert natives.invalidated_by[0] == "the native examples/demo/build/greeter.so"
    assert app.invalidated_by == ("the files of the Lua folder examples/demo/lua",)
    assert app.planned == sum((REPO / "examples/demo/lua" / p).stat().st_size
                              for p in ("demo/handler.lua",))
    assert conf.planned and conf.planned > 0


class _Image:
    def __init__(self, layers: list[str]) -> None:
        self.attrs = {"RootFS": {"Layers": layers}}


def test_the_table_pairs_history_with_the_plan(example: tuple[Any, Any]) -> None:
    project, bp = example
    history = [  # newest first, as the engine gives it
        {"Id": "top", "CreatedBy": "/bin/sh -c #(nop) COPY dir:1 in / ", "Size": 1200},
        {"Id": "c", "CreatedBy": "/bin/sh -c #(nop) COPY dir:2 in / ", "Size": 1900},
        {"Id": "n", "CreatedBy": "/bin/sh -c #(nop) COPY dir:3 in / ", "Size": 36300},
        {"Id": "r", "CreatedBy": "/bin/sh -c #(nop) COPY dir:4 in / ", "Size": 1600},
        {"Id": "u", "CreatedBy": "/bin/sh -c #(nop)  USER 10001:0", "Size": 0},
        {"Id": "base", "CreatedBy": "base", "Size": 1},
    ]
    layers = ["sha256:" + c * 64 for c in "0abcd"]
    text = explain(project, bp, _Image(layers), history, "base")
    lines = text.splitlines()
    assert lines[1].split()[:4] == ["rocks", "1.6", "kB", "a" * 12]
    assert lines[-3].split()[0] == "app" and "d" * 12 in lines[-3]
    assert lines[-1] == "  4 layers, 41.0 kB over the base"


def test_no_cache_asks_the_engine_for_a_cold_build(example: tuple[Any, Any]) -> None:
    _project, bp = example
    seen: dict[str, Any] = {}

    class Api:
        def build(self, **kwargs: Any) -> list[dict[str, Any]]:
            seen.update(kwargs)
            return [{"aux": {"ID": "sha256:" + "e" * 64}}]

    class Client:
        api = Api()

    for cold in (False, True):
        build_image(Client(), bp, "FROM scratch\n", Progress(quiet=True), no_cache=cold)
        assert seen["nocache"] is cold
