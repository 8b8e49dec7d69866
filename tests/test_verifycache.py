"""Passed checks kept by the layers they read (restybuild.verifycache, verifyrun), with a fake
engine: a change in a layer a check reads runs it again, a change elsewhere does not; only
a verification that passed is kept."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from restybuild import verifycache, verifyrun
from restybuild.engine import RunResult
from restybuild.errors import VerifyFailed
from restybuild.plan import BuildPlan
from restybuild.verify import Booted, VerifyReport
from tests.conftest import REPO, planned

BASE = ["sha256:base1", "sha256:base2"]
LAYERS = {"rocks": "sha256:rocks", "natives": "sha256:natives", "conf": "sha256:conf",
          "app": "sha256:app"}
LOG = ("restybuild-load: searched string\nrestybuild-load: searched resty.core\n"
       "restybuild-load: path /usr/share/nginx/lua/?.lua;/usr/share/lua/5.1/?.lua\n"
       "restybuild-load: cpath /usr/share/nginx/lua/?.so;/usr/lib/lua/5.1/?.so\n"
       "restybuild-load: searched greeter\nrestybuild-load: ok greeter\n"
       "restybuild-load: ok restydemo.fast\n")


@pytest.fixture(scope="module")
def plan(demo_natives: Path) -> BuildPlan:
    bp = planned(REPO / "Restyfile.example")
    assert [layer.name for layer in bp.layers] == ["natives", "conf", "app"]
    assert bp.rocks_tree and bp.natives
    return bp


class FakeAPI:
    def __init__(self, layers: dict[str, str]) -> None:
        self.layers = layers

    def inspect_image(self, ref: str) -> dict[str, Any]:
        if ref.startswith("restybuild/"):
            return {"Id": "sha256:baseimage", "RootFS": {"Layers": BASE}}
        layers = [*BASE, *self.layers.values()]  # an image's ID is a digest of its layers
        return {"Id": "sha256:" + "-".join(layers), "RootFS": {"Layers": layers},
                "Config": {"Env": ["LD_LIBRARY_PATH=/usr/local/lib/restybuild"],
                           "WorkingDir": "", "User": "10001:0", "Entrypoint": []}}


@dataclass
class FakeClient:
    api: FakeAPI


@dataclass(frozen=True)
class FakeCheck:
    lines: tuple[str, ...]
    modules: tuple[tuple[str, str], ...]


class Engine:
    """The checks as they would run, counted; the candidate's layers set by each test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, plan: BuildPlan) -> None:
        self.plan = plan
        self.runs: list[str] = []
        self.boot_fails = False
        self.t_fails = False  # nginx -t fails (in the boot's container or its own)
        self.exec_t = True  # the boot check could run nginx -t in its container
        self.layers = dict(LAYERS)
        for name in ("nginx_test", "library_check", "module_load_check", "boot_check"):
            monkeypatch.setattr(verifyrun, name, getattr(self, name))

    def nginx_test(self, *_a: Any) -> str:
        self.runs.append("nginx -t")
        if self.t_fails:
            raise VerifyFailed("`nginx -t` failed in the candidate image")
        return "ok"

    def library_check(self, *_a: Any) -> tuple[FakeCheck, str]:
        self.runs.append("libraries")
        mods = (("greeter", "/usr/share/nginx/lua/greeter.so"),
                ("restydemo.fast", "/usr/share/nginx/luarocks/lib/lua/5.1/restydemo/fast.so"))
        return FakeCheck(("greeter.so: 1 needed",), mods), ""

    def module_load_check(self, *_a: Any) -> str:
        self.runs.append("module load")
        return LOG

    def boot_check(self, *_a: Any) -> Booted:
        self.runs.append("boot")
        if self.boot_fails:
            raise VerifyFailed("boot check failed: nginx exited while starting")
        test = RunResult(1 if self.t_fails else 0, "nginx -t in the boot container")
        return Booted("log", 1, (), test if self.exec_t else None)

    def verify(self, reuse: bool = True) -> tuple[VerifyReport, list[str], list[str]]:
        self.runs = []
        said: list[str] = []
        report = verifyrun.verify(FakeClient(FakeAPI(self.layers)), "sha256:cand", self.plan,
                                  reuse=reuse, say=said.append)
        return report, sorted(self.runs), said


@pytest.fixture()
def eng(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, plan: BuildPlan) -> Engine:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    return Engine(monkeypatch, plan)


ALL = ["boot", "libraries", "module load"]  # nginx -t: in the boot check's container


def test_a_lua_only_change_reuses_the_library_and_load_checks(eng: Engine) -> None:
    report, runs, said = eng.verify()
    assert runs == ALL and said == []
    assert report.modules == ("restybuild-load: ok greeter", "restybuild-load: ok restydemo.fast")
    eng.layers["app"] = "sha256:app-edited"
    again, runs, said = eng.verify()
    assert runs == ["boot"]
    assert said == ["library check: unchanged layers, passed before",
                    "module load check: unchanged layers, passed before"]
    assert again.libraries == report.libraries and again.modules == report.modules
    assert [(t.check, t.reused) for t in again.timings] == [
        ("nginx -t", False), ("libraries", True), ("module load", True), ("boot", False)]


@pytest.mark.parametrize("layer", ["natives", "rocks"])
def test_a_change_in_a_layer_the_checks_read_runs_them_again(eng: Engine, layer: str) -> None:
    eng.verify()
    eng.layers[layer] = f"sha256:{layer}-changed"
    assert eng.verify()[1] == ALL
    eng.layers["app"] = "sha256:app-edited"
    assert eng.verify()[1] == ["boot"]  # and that pass is kept in turn


def test_a_new_base_runs_them_again(eng: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    eng.verify()
    monkeypatch.setattr(verifyrun.Inputs, "__init__", _other_base)
    assert eng.verify()[1] == ALL


def _other_base(self: Any, client: Any, image: str, plan: BuildPlan, reuse: bool) -> None:
    self.plan, self.reuse = plan, reuse
    self.attrs = client.api.inspect_image(image)
    self.base_id = "sha256:another-base"
    self.layers = verifycache.final_layers(plan, self.attrs, {"RootFS": {"Layers": BASE}})


def test_only_a_verification_that_passed_is_kept(eng: Engine, tmp_path: Path) -> None:
    eng.boot_fails = True
    with pytest.raises(VerifyFailed):
        eng.verify()
    assert not list((tmp_path / "cache").rglob("*.json"))
    eng.boot_fails = False
    assert eng.verify()[1] == ALL
    folder = tmp_path / "cache/restybuild/verify"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    entries = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    assert len(entries) == 3 and all(e["version"] == verifycache.VERSION for e in entries)


def test_nginx_t_runs_in_the_boot_container_and_its_failure_comes_first(eng: Engine) -> None:
    report, runs, _said = eng.verify()
    assert report.nginx_t == "nginx -t in the boot container" and "nginx -t" not in runs
    eng.t_fails = True  # nginx came up, yet nginx -t failed in its container
    eng.layers["conf"] = "sha256:conf-edited"
    with pytest.raises(VerifyFailed, match="nginx -t"):
        eng.verify()
    assert eng.runs.count("nginx -t") == 0


def test_nginx_t_runs_alone_when_nginx_did_not_come_up(eng: Engine) -> None:
    eng.boot_fails = eng.t_fails = True
    with pytest.raises(VerifyFailed, match="nginx -t"):  # the earlier check's failure
        eng.verify()
    assert eng.runs.count("nginx -t") == 1
    eng.t_fails = False
    with pytest.raises(VerifyFailed, match="boot check failed"):
        eng.verify()
    assert eng.runs.count("nginx -t") == 1
    eng.boot_fails, eng.exec_t = False, False  # up, but the engine could not exec in it
    report, runs, _said = eng.verify()
    assert report.nginx_t == "ok" and runs.count("nginx -t") == 1


def test_an_image_that_passed_is_not_verified_again(eng: Engine, plan: BuildPlan) -> None:
    first, runs, _said = eng.verify()
    assert runs == ALL
    again, runs, said = eng.verify()
    assert runs == [] and said == ["verification: this image passed before, with the same checks"]
    assert (again.nginx_t, again.boot_log, again.workers, again.libraries, again.modules,
            again.probes) == (first.nginx_t, first.boot_log, first.workers, first.libraries,
                              first.modules, first.probes)
    assert [(t.check, t.reused) for t in again.timings] == [
        ("nginx -t", True), ("libraries", True), ("module load", True), ("boot", True)]
    assert eng.verify(reuse=False)[1] == ALL  # --no-cache
    eng.plan = replace(plan, probes=(("readiness", "/other", 8089),))  # other checks asked
    assert eng.verify()[1] == ["boot"]
    eng.plan = plan
    eng.layers["app"] = "sha256:app-edited"  # another image
    assert eng.verify()[1] == ["boot"]


def test_no_cache_runs_every_check(eng: Engine) -> None:
    eng.verify()
    assert eng.verify(reuse=False)[1] == ALL


def test_a_damaged_entry_is_not_trusted(eng: Engine, tmp_path: Path) -> None:
    eng.verify()
    for p in (tmp_path / "cache/restybuild/verify").glob("*.json"):
        p.write_text('{"version": 1, "layers": 3}')
    assert eng.verify()[1] == ALL


def test_layers_that_do_not_line_up_are_never_reused(eng: Engine) -> None:
    eng.verify()
    eng.layers = {**eng.layers, "extra": "sha256:extra"}
    assert eng.verify()[1] == ALL


# -- the layer key ---------------------------------------------------------------------
def _layers(plan: BuildPlan, **diff: str) -> tuple[verifycache.Layer, ...]:
    attrs = FakeAPI({**LAYERS, **diff}).inspect_image("cand")
    layers = verifycache.final_layers(plan, attrs, {"RootFS": {"Layers": BASE}})
    assert layers is not None
    return layers


def _with_app_file(plan: BuildPlan, path: str) -> BuildPlan:
    from restybuild.context import ContextEntry

    return replace(plan, context=(*plan.context, ContextEntry(f"layers/app{path}", data=b"x")))


ENTRY = {"searched": ["greeter", "resty.core", "string"],
         "path": "/usr/share/nginx/lua/?.lua;./?.lua", "cpath": "/usr/share/nginx/lua/?.so"}


def _keys(plan: BuildPlan, **diff: str) -> tuple[str, str]:
    layers = _layers(plan, **diff)
    return (verifycache.layer_key(layers, verifyrun.library_reads(plan)),
            verifycache.layer_key(layers, verifyrun.load_reads(plan, {}, ENTRY)))


def test_the_app_layer_is_outside_both_keys_until_it_holds_what_they_read(
        plan: BuildPlan) -> None:
    lib, load = _keys(plan)
    assert _keys(plan, app="sha256:edited") == (lib, load)
    assert _keys(plan, conf="sha256:edited") == (lib, load)
    assert _keys(plan, natives="sha256:other") != (lib, load)
    for path, reads_lib in (("/usr/share/nginx/lua/greeter.lua", False),  # found by require
                            ("/usr/share/nginx/lua/resty/core.lua", False),  # loaded before
                            ("/string.lua", False),  # ./?.lua from the working folder
                            ("/usr/share/nginx/lua/libextra.so.1", False),  # any shared object
                            ("/etc/ld.so.preload", False),
                            ("/usr/local/lib/restybuild/libz.so.1", True),  # the bundle
                            (f"{plan.rocks_tree}/lib/x.lua", True)):
        other = _with_app_file(plan, path)
        lib2, load2 = _keys(other), _keys(other, app="sha256:edited")
        assert lib2[1] != load2[1], path  # the load check reads the app layer now
        assert (lib2[0] != load2[0]) == reads_lib, path
    harmless = _with_app_file(plan, "/usr/share/nginx/lua/demo/extra.lua")
    assert _keys(harmless)[1] == _keys(harmless, app="sha256:edited")[1]


def test_folders_above_what_is_read_are_in_the_key(plan: BuildPlan) -> None:
    from restybuild.context import ContextEntry

    tree = str(plan.rocks_tree)
    parent = os.path.dirname(tree.rstrip("/"))
    other = replace(plan, context=(*plan.context, ContextEntry(f"layers/app{parent}",
                                                               is_dir=True, group_writable=True)))
    assert _keys(other)[0] != _keys(plan)[0]  # the mode of a folder above the rocks tree


def test_searched_files_follow_lua_searchers() -> None:
    files = verifycache.searched_files(["a.b"], "/x/?.lua;./?/init.lua;;", "/y/?.so", "/w")
    assert files == ("/x/a/b.lua", "/w/a/b/init.lua", "/y/a/b.so", "/y/a.so")


def test_a_modules_layer_is_named_and_in_the_fixed_key(plan: BuildPlan) -> None:
    """`module` lines copy nginx modules from another image, before the rocks tree: a layer
    whose files the plan does not know, so its diff ID is in both checks' fixed keys."""
    bp = replace(plan, modules_image="restybuild/debian-bookworm:modules",
                 module_files=("/usr/lib/nginx/modules/ngx_http_x_module.so",))
    assert len(bp.module_copies) == 1
    base = {"RootFS": {"Layers": BASE}}

    def keys(modules: str) -> tuple[str, ...]:
        attrs = FakeAPI({"modules": modules, **LAYERS}).inspect_image("cand")
        layers = verifycache.final_layers(bp, attrs, base)
        assert layers is not None and [x.name for x in layers][:2] == ["modules", "rocks"]
        return tuple(verifycache.fixed_key(c, bp, attrs, "sha256:b", layers, "")
                     for c in ("libraries", "module-load"))

    assert keys("sha256:m1") == keys("sha256:m1")
    assert all(a != b for a, b in zip(keys("sha256:m1"), keys("sha256:m2")))
    assert verifycache.final_layers(bp, FakeAPI(LAYERS).inspect_image("c"), base) is None
    assert "/usr/lib/nginx/modules/ngx_http_x_module.so" in verifyrun.library_reads(bp).roots
