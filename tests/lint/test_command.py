"""`restybuild lint` on the command line: exit codes, selection, configuration, formats, cache."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.cli import main
from restybuild.lint.output import JSON_SCHEMA
from restybuild.lint.runner import all_codes
from restybuild.rockserver import make_server
from tests.conftest import REPO, lua_module, write_tree
from tests.lint.util import HEAD

UNRESOLVED = "no declared lua folder, native, rock or the base image provides this module"
DEMO_ROCK = REPO / "examples/demo/rocks-src/restydemo-banner"

#: One finding of each severity and two error codes.
MIXED = {
    "Restyfile": HEAD + "lua lua -> lua\nshared_dict unused 1m\n",
    "lua/a.lua": 'local m = require("nope")\n'
                 "local d = ngx.shared.undeclared\n"
                 'local c = require("drivers." .. kind)\n',
}
MIXED_LINES = {
    "RB101": f'lua/a.lua:1:11: RB101 error: `require "nope"`: {UNRESOLVED}',
    "RB201": "lua/a.lua:2:22: RB201 error: shared dict `undeclared` is used but never declared",
    "RB102": "lua/a.lua:3:11: RB102 info: `require` with a computed module name cannot be "
             "checked",
    "RB202": "Restyfile:4:1: RB202 warning: shared dict `unused` is declared but no Lua code "
             "uses it",
}
CLEAN = {"Restyfile": HEAD + "lua lua -> lua\nshared_dict hits 1m\n",
         "lua/a.lua": "return ngx.shared.hits\n"}


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "app"
    root.mkdir()
    monkeypatch.chdir(root)
    yield root


def lint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["lint", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def diag_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if not line.startswith("  hint: ")]


def codes_of(out: str) -> list[str]:
    return [line.split(": ")[1].split()[0] for line in diag_lines(out)]


# -- exit codes ------------------------------------------------------------------------------


def test_clean_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, CLEAN)
    assert lint(capsys) == (0, "", "")


def test_findings_exit_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, MIXED)
    rc, out, err = lint(capsys, "Restyfile")
    assert rc == 1
    assert sorted(diag_lines(out)) == sorted(MIXED_LINES.values())
    assert err == ""


def test_failure_threshold(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {"Restyfile": HEAD + "lua lua -> lua\nshared_dict unused 1m\n",
                         "lua/a.lua": "return 1\n"})
    rc, out, _ = lint(capsys)
    assert (rc, diag_lines(out)) == (0, [MIXED_LINES["RB202"]])
    assert lint(capsys, "--failure-threshold", "warning")[0] == 1
    assert lint(capsys, "--failure-threshold", "error")[0] == 0
    (project / "Restyfile").write_text(HEAD + "lua lua -> lua\n")
    (project / "lua/a.lua").write_text('return require("drivers." .. kind)\n')
    rc, out, _ = lint(capsys, "--failure-threshold", "warning")
    assert (rc, codes_of(out)) == (0, ["RB102"])
    assert lint(capsys, "--failure-threshold", "info")[0] == 1


def test_restyfile_syntax_error_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {"Restyfile": HEAD + "workers {\n"})
    rc, out, _ = lint(capsys)
    assert rc == 2
    assert diag_lines(out) == ["Restyfile:3:9: RB001 error: `workers` takes no block"]
    rc, out, _ = lint(capsys, "--format", "json")
    assert rc == 2
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["RB001"]


def test_restyfile_semantic_error_is_a_finding(project: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {"Restyfile": HEAD + "workers abc\n"})
    rc, out, _ = lint(capsys)
    assert (rc, diag_lines(out)) == (1, ["Restyfile:3:9: RB002 error: `abc` is not a worker "
                                         "count"])


def test_missing_restyfile_exits_3(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = lint(capsys)
    assert (rc, out) == (3, "")
    assert "cannot read Restyfile" in err
    rc, out, err = lint(capsys, "sub/Restyfile")
    assert (rc, out) == (3, "")
    assert "cannot read sub/Restyfile" in err


def test_missing_k8s_folder_is_an_io_error(project: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # A mistyped --k8s must not silently check nothing.
    write_tree(project, CLEAN)
    rc, out, err = lint(capsys, "--k8s", "deploy/k8s")
    assert rc == 3, (out, err)
    assert "deploy/k8s" in err


@pytest.mark.parametrize(("name", "text", "message"), [
    ("pyproject.toml", "[tool.restybuild]\nbogus = 1\n", "unknown key `bogus`"),
    ("restybuild.toml", "selct = ['RB1']\n", "unknown key `selct`"),
    ("restybuild.toml", "select = 'RB1'\n", "`select` must be a list"),
    ("restybuild.toml", "failure-threshold = 'fatal'\n", "failure-threshold `fatal`"),
    ("restybuild.toml", "format = 'xml'\n", "bad format `xml`"),
    ("restybuild.toml", "select = ['RB999']\n", "unknown rule code `RB999`"),
    ("restybuild.toml", "select = [\n", "cannot read the configuration"),
    ("pyproject.toml", "[tool.restybuild]\nworker-memory = 'lots'\n", "worker-memory"),
])
def test_bad_configuration_exits_4(project: Path, capsys: pytest.CaptureFixture[str],
                                   name: str, text: str, message: str) -> None:
    write_tree(project, {**CLEAN, name: text})
    rc, out, err = lint(capsys)
    assert (rc, out) == (4, "")
    assert message in err


@pytest.mark.parametrize("args", [
    ("--select", "RB999"), ("--ignore", "XX1"), ("--select", "RB2,RB99"), ("--select", "rb2"),
])
def test_unknown_code_on_the_command_line_exits_4(project: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  args: tuple[str, str]) -> None:
    write_tree(project, CLEAN)
    rc, out, err = lint(capsys, *args)
    assert (rc, out) == (4, "")
    assert "unknown rule code" in err


# -- selection ---------------------------------------------------------------------------------


def test_select_and_ignore(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, MIXED)
    rc, out, _ = lint(capsys, "--select", "RB2")
    assert (rc, sorted(codes_of(out))) == (1, ["RB201", "RB202"])
    rc, out, _ = lint(capsys, "--ignore", "RB101")
    assert (rc, sorted(codes_of(out))) == (1, ["RB102", "RB201", "RB202"])
    rc, out, _ = lint(capsys, "--select", "RB1,RB202", "--ignore", "RB101")
    assert (rc, sorted(codes_of(out))) == (0, ["RB102", "RB202"])
    rc, out, _ = lint(capsys, "--select", "RB202")
    assert (rc, diag_lines(out)) == (0, [MIXED_LINES["RB202"]])


def test_list_rules(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = lint(capsys, "--list-rules")
    assert rc == 0
    listed = [line.split()[0] for line in out.splitlines()]
    assert listed == sorted(all_codes())
    assert "RB201  error    undeclared-shared-dict" in out.splitlines()


# -- configuration -----------------------------------------------------------------------------


def test_config_from_restybuild_toml(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {**MIXED, "restybuild.toml":
                         'select = ["RB2"]\nignore = ["RB201"]\nfailure-threshold = "warning"\n'})
    rc, out, _ = lint(capsys)
    assert (rc, diag_lines(out)) == (1, [MIXED_LINES["RB202"]])
    # the command line wins over the file
    rc, out, _ = lint(capsys, "--select", "RB101", "--failure-threshold", "error")
    assert (rc, diag_lines(out)) == (1, [MIXED_LINES["RB101"]])


def test_config_from_pyproject(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {**MIXED, "pyproject.toml":
                         '[project]\nname = "x"\n\n[tool.restybuild]\n'
                         'ignore = ["RB101", "RB201"]\nformat = "json"\n'})
    rc, out, _ = lint(capsys)
    assert rc == 0
    doc = json.loads(out)
    assert sorted(d["code"] for d in doc["diagnostics"]) == ["RB102", "RB202"]


def test_pyproject_without_our_table_is_ignored(project: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {**CLEAN, "pyproject.toml": '[tool.ruff]\nline-length = 100\n'})
    assert lint(capsys) == (0, "", "")


def test_restybuild_toml_wins_over_pyproject(project: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {**MIXED, "restybuild.toml": 'select = ["RB202"]\n',
                         "pyproject.toml": '[tool.restybuild]\nselect = ["RB101"]\n'})
    rc, out, _ = lint(capsys)
    assert (rc, diag_lines(out)) == (0, [MIXED_LINES["RB202"]])


def test_config_is_read_beside_the_restyfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path / "app", {**MIXED, "restybuild.toml": 'select = ["RB202"]\n'})
    monkeypatch.chdir(tmp_path)
    rc, out, _ = lint(capsys, "app/Restyfile")
    assert (rc, diag_lines(out)) == (0, ["app/" + MIXED_LINES["RB202"]])


def test_config_k8s_and_memory_options(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {
        "Restyfile": HEAD + "workers 2\nresources {\n    limit cpu 2 memory 256Mi\n}\n",
        "restybuild.toml": 'k8s = "deploy"\nworker-memory = "32Mi"\nmaster-memory = "8Mi"\n',
        "deploy/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                           "  containers:\n    - name: app\n      image: app:1\n"})
    rc, out, _ = lint(capsys)
    assert (rc, diag_lines(out)) == (
        0, ["deploy/pod.yaml:7:7: RB901 warning: container has no resource limits"])


# -- formats -----------------------------------------------------------------------------------


def validate(doc: Any, schema: dict[str, Any], where: str = "$") -> None:
    """The subset of JSON Schema that JSON_SCHEMA uses; raises AssertionError."""
    kinds: dict[str, type] = {"object": dict, "array": list, "string": str,
                              "null": type(None)}
    if "type" in schema:
        wanted = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any((isinstance(doc, int) and not isinstance(doc, bool)) if t == "integer"
                 else isinstance(doc, kinds[t]) for t in wanted)
        assert ok, f"{where}: {doc!r} is not {wanted}"
    if "const" in schema:
        assert doc == schema["const"], f"{where}: {doc!r} != {schema['const']!r}"
    if "enum" in schema:
        assert doc in schema["enum"], f"{where}: {doc!r} not in {schema['enum']}"
    if "pattern" in schema:
        assert re.search(schema["pattern"], doc), f"{where}: {doc!r} !~ {schema['pattern']}"
    if "minimum" in schema:
        assert doc >= schema["minimum"], f"{where}: {doc!r} < {schema['minimum']}"
    if isinstance(doc, dict):
        for key in schema.get("required", []):
            assert key in doc, f"{where}: no `{key}`"
        for key, sub in schema.get("properties", {}).items():
            if key in doc:
                validate(doc[key], sub, f"{where}.{key}")
    if isinstance(doc, list) and "items" in schema:
        for i, item in enumerate(doc):
            validate(item, schema["items"], f"{where}[{i}]")


def test_the_validator_rejects_what_the_schema_forbids() -> None:
    good: dict[str, Any] = {"version": 1, "tool": "restybuild", "diagnostics": [
        {"code": "RB101", "severity": "error", "message": "m", "file": "f", "line": 1,
         "column": 1, "hint": None}]}
    validate(good, JSON_SCHEMA)
    bad: list[Any] = [
        {"tool": "t", "diagnostics": []},
        {**good, "version": 2},
        {**good, "diagnostics": [{**good["diagnostics"][0], "code": "X1"}]},
        {**good, "diagnostics": [{**good["diagnostics"][0], "line": 0}]},
        {**good, "diagnostics": [{**good["diagnostics"][0], "line": True}]},
        {**good, "diagnostics": [{**good["diagnostics"][0], "severity": "fatal"}]},
        {**good, "diagnostics": [{**good["diagnostics"][0], "hint": 3}]},
    ]
    for doc in bad:
        with pytest.raises(AssertionError):
            validate(doc, JSON_SCHEMA)


def test_json_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, MIXED)
    rc, out, _ = lint(capsys, "--format", "json")
    assert rc == 1
    doc = json.loads(out)
    validate(doc, JSON_SCHEMA)
    assert doc["tool"].startswith("restybuild ")
    by_code = {d["code"]: d for d in doc["diagnostics"]}
    assert sorted(by_code) == ["RB101", "RB102", "RB201", "RB202"]
    d = by_code["RB201"]
    assert (d["file"], d["line"], d["column"], d["severity"]) == ("lua/a.lua", 2, 22, "error")
    assert (d["end_line"], d["end_column"]) == (2, 32)
    assert d["message"] == "shared dict `undeclared` is used but never declared"
    assert d["hint"] == "declare it in the Restyfile: shared_dict undeclared 10m"
    assert by_code["RB102"]["severity"] == "info"
    assert by_code["RB202"]["file"] == "Restyfile"


def test_json_output_when_clean(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, CLEAN)
    rc, out, _ = lint(capsys, "--format", "json")
    doc = json.loads(out)
    validate(doc, JSON_SCHEMA)
    assert (rc, doc["diagnostics"]) == (0, [])


def test_sarif_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, MIXED)
    rc, out, _ = lint(capsys, "--format", "sarif")
    assert rc == 1
    doc = json.loads(out)
    assert doc["version"] == "2.1.0"
    assert "sarif-2.1.0" in doc["$schema"]
    [run] = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "restybuild"
    assert isinstance(driver["version"], str)
    assert sorted(r["id"] for r in driver["rules"]) == ["RB101", "RB102", "RB201", "RB202"]
    rules = {r["id"]: r for r in driver["rules"]}
    assert rules["RB201"]["name"] == "undeclared-shared-dict"
    assert rules["RB102"]["defaultConfiguration"] == {"level": "note"}
    assert rules["RB201"]["shortDescription"]["text"].endswith(".")
    assert rules["RB201"]["fullDescription"]["text"].startswith("What: ")
    assert "Why: " in rules["RB201"]["help"]["text"]
    assert "Example: " in rules["RB201"]["help"]["text"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert len(results) == len(run["results"]) == 4
    for r in run["results"]:
        assert r["level"] in ("error", "warning", "note")
        assert isinstance(r["message"]["text"], str) and r["message"]["text"]
        [loc] = r["locations"]
        phys = loc["physicalLocation"]
        assert isinstance(phys["artifactLocation"]["uri"], str)
        region = phys["region"]
        assert isinstance(region["startLine"], int) and region["startLine"] >= 1
        assert isinstance(region["startColumn"], int) and region["startColumn"] >= 1
    r = results["RB201"]
    assert r["level"] == "error"
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "lua/a.lua"
    assert r["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2, "startColumn": 22, "endLine": 2, "endColumn": 32}
    assert results["RB202"]["level"] == "warning"
    assert results["RB102"]["level"] == "note"


# -- the result cache --------------------------------------------------------------------------


@pytest.fixture()
def cache_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("RESTYBUILD_NO_CACHE", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


def forbid_recompute(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("lint ran again; the cached result was not used")

    monkeypatch.setattr("restybuild.lint.runner.lint", refuse)


@pytest.mark.parametrize("args", [(), ("--format", "json"), ("--select", "RB2"),
                                  ("--failure-threshold", "warning", "--format", "sarif")])
def test_cached_second_run_prints_the_same(project: Path, cache_on: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str],
                                           args: tuple[str, ...]) -> None:
    write_tree(project, MIXED)
    first = lint(capsys, *args)
    assert first[0] == 1 and first[1]
    assert list((cache_on / "restybuild" / "results").iterdir())
    with monkeypatch.context() as m:
        forbid_recompute(m)
        assert lint(capsys, *args) == first
        assert lint(capsys, "Restyfile", *args) == first


def test_cache_keeps_options_apart(project: Path, cache_on: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, MIXED)
    text = lint(capsys)
    sel = lint(capsys, "--select", "RB202")
    assert sel[:2] == (0, MIXED_LINES["RB202"] + "\n  hint: remove it, or suppress this if a "
                       "library uses it\n")
    assert lint(capsys) == text
    assert lint(capsys, "--select", "RB202") == sel
    assert lint(capsys, "--failure-threshold", "info", "--select", "RB202")[0] == 1


def test_cache_syntax_error_exit_code(project: Path, cache_on: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, {"Restyfile": HEAD + "workers {\n"})
    first = lint(capsys)
    assert first[0] == 2
    with monkeypatch.context() as m:
        forbid_recompute(m)
        assert lint(capsys) == first


def test_lua_edit_invalidates_the_cache(project: Path, cache_on: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, MIXED)
    assert lint(capsys)[0] == 1
    assert lint(capsys)[0] == 1
    (project / "lua/a.lua").write_text("return ngx.shared.unused\n")
    assert lint(capsys) == (0, "", "")
    (project / "lua/b.lua").write_text("return ngx.shared.fresh\n")
    rc, out, _ = lint(capsys)
    assert (rc, diag_lines(out)) == (
        1, ["lua/b.lua:1:19: RB201 error: shared dict `fresh` is used but never declared"])


def test_config_edit_invalidates_the_cache(project: Path, cache_on: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project, MIXED)
    assert lint(capsys)[0] == 1
    (project / "restybuild.toml").write_text('select = ["RB202"]\n')
    rc, out, _ = lint(capsys)
    assert (rc, diag_lines(out)) == (0, [MIXED_LINES["RB202"]])


def test_cached_paths_follow_the_working_folder(tmp_path: Path, cache_on: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # Output paths are relative to the working folder, so a cached text is only valid there.
    write_tree(tmp_path / "app", MIXED)
    restyfile = str(tmp_path / "app" / "Restyfile")
    monkeypatch.chdir(tmp_path / "app")
    _, out, _ = lint(capsys, restyfile, "--select", "RB201")
    assert diag_lines(out) == [MIXED_LINES["RB201"]]
    monkeypatch.chdir(tmp_path)
    _, out, _ = lint(capsys, restyfile, "--select", "RB201")
    assert diag_lines(out) == ["app/" + MIXED_LINES["RB201"]]


def test_rockspec_edit_invalidates_the_cache(project: Path, cache_on: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    spec = ('package = "foo"\nversion = "1.0-1"\n'
            'source = { url = "https://x.invalid/foo-1.0.tar.gz" }\n'
            'build = {\n   type = "builtin",\n   modules = {\n      ["foo.a"] = "foo/a.lua",\n'
            "   },\n}\n")
    write_tree(project, {
        "Restyfile": HEAD + "lua lua -> lua\nrocks -> luarocks {\n"
                            "    rock specs/foo-1.0-1.rockspec\n}\n",
        "specs/foo-1.0-1.rockspec": spec, "lua/a.lua": 'local d = require("foo.b")\n'})
    rc, out, _ = lint(capsys)
    assert (rc, diag_lines(out)) == (
        1, [f'lua/a.lua:1:11: RB101 error: `require "foo.b"`: {UNRESOLVED}'])
    (project / "specs/foo-1.0-1.rockspec").write_text(spec.replace('"foo.a"', '"foo.b"'))
    assert lint(capsys) == (0, "", "")


# -- what lint imports -------------------------------------------------------------------------

IMPORT_CHECK = """\
import sys
from restybuild.cli import main
rc = main(sys.argv[1:])
heavy = sorted(m for m in ("docker", "requests", "jinja2") if m in sys.modules)
if heavy:
    print("imported: " + " ".join(heavy), file=sys.stderr)
    sys.exit(99)
sys.exit(rc)
"""


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_lint_imports_no_docker_requests_or_jinja2(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "app"
    write_tree(root, {
        "Restyfile": HEAD + "conf conf\nlua lua -> lua\nnative natives/greeter.so -> lua\n"
                            "rocks -> luarocks {\n    server rocks\n"
                            "    rock restydemo-banner 1.0-1\n"
                            "    rock nginx-lua-prometheus 0.20240525-1\n}\n"
                            "shared_dict hits 1m\nworkers 2\n"
                            "resources {\n    limit cpu 2 memory 512Mi\n}\n"
                            "metrics prometheus port 9145\nenv GREETING=hi\n",
        "conf/nginx.conf": "events {}\nhttp {\n    server {\n        listen 8080;\n"
                           "        location / {\n            content_by_lua_block {\n"
                           '                require("demo").handle()\n'
                           "            }\n        }\n    }\n}\n",
        "lua/demo.lua": 'local b = require("restydemo.banner")\nlocal g = require("greeter")\n'
                        'return { handle = function() ngx.shared.hits:incr("n", 1, 0)\n'
                        '  ngx.say(b.wrap(g.greet(os.getenv("GREETING")))) end }\n',
        "natives/greeter.so": lua_module("greeter"),
        "k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n"
                           "spec:\n  template:\n    spec:\n      containers:\n        - name: a\n"
                           "          resources:\n            limits:\n              cpu: 2\n"
                           "              memory: 512Mi\n",
    })
    make_server(root / "rocks", [DEMO_ROCK])
    env = {**os.environ, "RESTYBUILD_NO_CACHE": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", IMPORT_CHECK, "lint", "--format", fmt,
                           "--k8s", "k8s"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)


# -- the bundled example ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_natives() -> None:
    """Build examples/demo/build/ (greeter.so, its library, the rocks server)."""
    env = {**os.environ, "PYTHON": sys.executable}
    proc = subprocess.run(["bash", str(REPO / "examples/demo/build.sh")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_restyfile_example_is_clean(demo_natives: None, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    rc, out, err = lint(capsys, "Restyfile.example")
    assert rc == 0, out + err
    rc, out, err = lint(capsys, "Restyfile.example", "--format", "json")
    assert rc == 0, out + err
    validate(json.loads(out), JSON_SCHEMA)
