"""Golden planner tests: each folder of tests/cases/ is a project planned without Docker.

A case folder holds a `Restyfile`, the project files it names, and the expected
output of the planner, compared byte for byte:

* `expected.Dockerfile`  - the rendered Dockerfile;
* `expected.nginx.conf`  - the effective main nginx configuration.

To accept a deliberate change of the planner's output, regenerate them and
review the diff before committing:

    RESTYBUILD_REGEN=1 python -m pytest tests/test_golden.py

With `RESTYBUILD_REGEN=1` the test rewrites the expected files instead of
failing on a difference. Golden cases hold no natives (no ELF files).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from restybuild.errors import ConfigError
from restybuild.plan import BuildPlan
from restybuild.render import render_dockerfile
from tests.conftest import planned

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "Restyfile").is_file())
REGEN = os.environ.get("RESTYBUILD_REGEN") == "1"
EXPECTED_CASES = {"minimal", "full-debian", "legacy-prefix", "openresty-bookworm", "conf-has-dict"}
BUILDKIT_ONLY = ("COPY --link", "--chmod", "RUN --mount", "# syntax=")


def plan_case(folder: Path) -> BuildPlan:
    return planned(folder / "Restyfile")


def conf_file(bp: BuildPlan, rel: str) -> str:
    for f in bp.effective.files:
        if f.rel == rel:
            return f.text
    raise AssertionError(f"the effective conf has no {rel}: {[f.rel for f in bp.effective.files]}")


def outputs(folder: Path) -> dict[str, str]:
    bp = plan_case(folder)
    return {
        "expected.Dockerfile": render_dockerfile(bp),
        "expected.nginx.conf": conf_file(bp, "nginx.conf"),
    }


def test_the_cases_are_all_there() -> None:
    assert set(CASES) >= EXPECTED_CASES


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    folder = CASES_DIR / case
    for name, text in outputs(folder).items():
        path = folder / name
        data = text.encode("utf-8")
        if REGEN:
            path.write_bytes(data)
        assert path.is_file(), f"{path} is missing; run with RESTYBUILD_REGEN=1 to create it"
        assert data.decode("utf-8") == path.read_bytes().decode("utf-8"), (
            f"{case}/{name} differs; if the change is intended, run "
            "RESTYBUILD_REGEN=1 python -m pytest tests/test_golden.py and review the diff")
        assert data == path.read_bytes()


@pytest.mark.parametrize("case", CASES)
def test_planning_twice_gives_the_same_text(case: str) -> None:
    folder = CASES_DIR / case
    first, second = plan_case(folder), plan_case(folder)
    assert render_dockerfile(first) == render_dockerfile(second)
    assert first.effective == second.effective
    assert first.context == second.context


@pytest.mark.parametrize("case", CASES)
def test_the_dockerfile_does_not_depend_on_where_the_project_is(case: str,
                                                                tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / case
    shutil.copytree(CASES_DIR / case, copy, symlinks=True)
    here, there = plan_case(CASES_DIR / case), plan_case(copy)
    assert render_dockerfile(here) == render_dockerfile(there)
    assert here.effective.files == there.effective.files
    assert [e.arcname for e in here.context] == [e.arcname for e in there.context]


@pytest.mark.parametrize("case", CASES)
def test_the_dockerfile_uses_classic_builder_syntax_only(case: str) -> None:
    text = render_dockerfile(plan_case(CASES_DIR / case))
    for feature in BUILDKIT_ONLY:
        assert feature not in text, f"{case}: the Dockerfile uses {feature!r}"


# -- what the golden files show, spelt out -----------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_every_copy_source_is_in_the_context(case: str) -> None:
    bp = plan_case(CASES_DIR / case)
    names = [e.arcname for e in bp.context]
    for line in render_dockerfile(bp).splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            src = line.split()[1].rstrip("/")
            assert any(n == src or n.startswith(src + "/") for n in names), line


def test_minimal_adds_the_container_habits() -> None:
    bp = plan_case(CASES_DIR / "minimal")
    conf = conf_file(bp, "nginx.conf")
    assert "daemon off;" in conf
    assert "error_log stderr;" in conf
    assert "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;" in conf
    assert bp.builder_image is None
    assert bp.cmd == ("/usr/sbin/nginx", "-p", "/usr/share/nginx/",
                      "-c", "/usr/share/nginx/conf/nginx.conf")


def test_full_debian_stubs_no_probe_the_app_answers() -> None:
    """The app's `location /` (Lua, not a proxy) answers /healthz: the probe tests it."""
    bp = plan_case(CASES_DIR / "full-debian")
    vhost = conf_file(bp, "vhosts/app.conf")
    assert "location = /healthz" not in vhost
    assert vhost.count("location = /ready") == 1  # the app's own
    assert any(n.startswith("the liveness probe GET /healthz on port 8080 is served by the "
                            "app: `location /` at ") for n in bp.effective.notes), \
        bp.effective.notes
    main = conf_file(bp, "nginx.conf")
    assert "worker_processes 2;" in main
    assert "env PRICE;" in main and "env TZ;" in main
    assert "lua_shared_dict cache 10m;" in main and "lua_shared_dict locks 64k;" in main


def test_full_debian_escapes_env_values_for_the_dockerfile() -> None:
    text = render_dockerfile(plan_case(CASES_DIR / "full-debian"))
    assert 'ENV PRICE="costs \\$5, \\"cheap\\"" TZ="UTC"\n' in text


def test_full_debian_installs_build_and_runtime_packages_in_their_stages() -> None:
    bp = plan_case(CASES_DIR / "full-debian")
    assert bp.build_packages_cmd is not None and "libfoo-dev" in bp.build_packages_cmd
    assert bp.runtime_packages_cmd is not None and "libfoo1" in bp.runtime_packages_cmd
    assert "libfoo-dev" not in bp.runtime_packages_cmd
    assert "rocks/server/manifest" in [e.arcname for e in bp.context]
    assert all("--only-server=/tmp/restybuild/rocks/server" in r for r in bp.rock_installs)


def test_legacy_prefix_keeps_the_hard_coded_include_working() -> None:
    bp = plan_case(CASES_DIR / "legacy-prefix")
    assert bp.prefix == "/usr/local/openresty/nginx"
    assert [f.rel for f in bp.effective.files] == ["nginx.conf", "vhosts/legacy.conf"]
    main = conf_file(bp, "nginx.conf")
    assert "include /usr/local/openresty/nginx/conf/vhosts/*.conf;" in main
    assert "init_by_lua_file lua/init.lua;" in main
    assert "worker_processes 4;" in main and "auto" not in main
    assert any("worker_processes auto replaced by 4" in n for n in bp.effective.notes)
    arcnames = [e.arcname for e in bp.context]
    assert "layers/app/usr/local/openresty/nginx/lua/init.lua" in arcnames
    assert "layers/conf/usr/local/openresty/nginx/conf/vhosts/legacy.conf" in arcnames


def test_openresty_bookworm_builds_rocks_in_the_fat_image() -> None:
    bp = plan_case(CASES_DIR / "openresty-bookworm")
    assert bp.runtime_image == "openresty/openresty:1.21.4.3-bookworm"
    assert bp.builder_image == "openresty/openresty:1.21.4.3-bookworm-fat"
    text = render_dockerfile(bp)
    assert "FROM openresty/openresty:1.21.4.3-bookworm-fat AS rocks\n" in text
    assert "\nFROM openresty/openresty:1.21.4.3-bookworm\n" in text


def test_conf_has_dict_declares_the_dict_once() -> None:
    main = conf_file(plan_case(CASES_DIR / "conf-has-dict"), "nginx.conf")
    assert main.count("lua_shared_dict hits ") == 1
    assert main.count("lua_shared_dict misses 1m;") == 1


# -- conflicts between the Restyfile and the conf name both places -----------------------------

def _conflict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restyfile: str,
              nginx_conf: str) -> ConfigError:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "nginx.conf").write_text(nginx_conf, encoding="utf-8")
    (tmp_path / "Restyfile").write_text(restyfile, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        planned("Restyfile")
    return info.value


def test_a_shared_dict_of_another_size_in_the_conf_is_a_conflict(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = "name app\nbase debian-bookworm\nconf conf\nshared_dict hits 1m\n"
    err = _conflict(tmp_path, monkeypatch, src,
                    "events {\n}\n\nhttp {\n    lua_shared_dict hits 2m;\n}\n")
    assert err.render(src).splitlines()[0] == (
        "Restyfile:4:1: error: shared dict `hits` is 1m here but 2m in the conf at "
        "conf/nginx.conf:5:5")


def test_worker_processes_other_than_workers_is_a_conflict(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = "name app\nbase debian-bookworm\nconf conf\nworkers 2\n"
    err = _conflict(tmp_path, monkeypatch, src,
                    "worker_processes 3;\nevents {\n}\nhttp {\n}\n")
    assert err.render(src).splitlines()[0] == (
        "Restyfile:4:1: error: `workers 2` conflicts with `worker_processes 3` at "
        "conf/nginx.conf:1:1")
