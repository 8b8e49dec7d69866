"""Many apps at once: tags from a pattern, the summary table, the exit code (no engine)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from restybuild.errors import ConfigError, Exit
from restybuild.fleet import App, exit_code, prepare, table
from tests.conftest import write_tree


def _apps(tmp_path: Path, *names: str) -> list[str]:
    for n in names:
        write_tree(tmp_path / n, {"Restyfile": f"name {n.split('-')[0]}\nbase debian-bookworm\n"})
    return [str(tmp_path / n / "Restyfile") for n in names]


def test_tags_come_from_the_pattern(tmp_path: Path) -> None:
    apps = prepare(_apps(tmp_path, "api", "web"), "127.0.0.1:5000/team/{name}:1.0", push=True)
    assert [(a.name, a.tag) for a in apps] == [("api", "127.0.0.1:5000/team/api:1.0"),
                                               ("web", "127.0.0.1:5000/team/web:1.0")]
    assert apps[0].base == "restybuild/debian-bookworm:runtime"


def test_a_pattern_without_name_or_two_apps_of_one_name_are_refused(tmp_path: Path) -> None:
    files = _apps(tmp_path, "api", "api-copy")
    with pytest.raises(ConfigError, match="same tag"):
        prepare(files, "app:1", push=False)
    with pytest.raises(ConfigError, match="would both be tagged api:latest"):
        prepare(files, "{name}:latest", push=False)
    with pytest.raises(ConfigError, match="names no registry"):
        prepare(files[:1], "{name}:latest", push=True)


def test_an_app_that_does_not_parse_fails_alone(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    files = _apps(tmp_path, "api")
    write_tree(tmp_path / "broken", {"Restyfile": "name broken\nshared_dic x 1m\n"})
    apps = prepare([str(tmp_path / "broken/Restyfile"), *files], "{name}:1", push=False)
    assert [(a.name, a.result, a.code) for a in apps] == [("broken", "syntax error", 2),
                                                          ("api", "not started", None)]
    assert "unknown statement `shared_dic`" in capsys.readouterr().err


def test_the_table_and_the_exit_code() -> None:
    ok = App("a/Restyfile", "api", "r:5000/api:1", "base", result="ok", code=0,
             digest="r:5000/api@sha256:00", size=138_700_000, added=41_000, seconds=12.34,
             started=1.0)
    bad = App("b/Restyfile", "web", "r:5000/web:1", "base", result="failed", code=1,
              seconds=3.0, started=1.0)
    later = App("c/Restyfile", "cron", "r:5000/cron:1", "base")
    assert table([ok, bad, later]).splitlines() == [
        "app   result       size      added    digest                time",
        "api   ok           138.7 MB  41.0 kB  r:5000/api@sha256:00  12.3s",
        "web   failed       -         -        -                     3.0s",
        "cron  not started  -         -        -                     -",
    ]
    assert exit_code([ok, bad, later]) == Exit.FAILED
    assert exit_code([ok, later]) == Exit.OK


def test_index_is_for_one_restyfile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from restybuild.cli import main

    files = _apps(tmp_path, "api", "web")
    assert main(["build", *files, "--index", "x.json"]) == Exit.CONFIG
    assert main(["build", *files, "--jobs", "0"]) == Exit.CONFIG
    assert "--index names one base index" in capsys.readouterr().err


def test_the_fleet_table_names_the_apps_and_the_command_line_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from restybuild.commands import build as build_command
    from restybuild.fleet import fleet_config

    _apps(tmp_path, "services/api", "services/web")
    (tmp_path / "restybuild.toml").write_text(
        '[fleet]\napps = ["services/*/Restyfile"]\ntag = "reg.test:5000/{name}:1"\njobs = 2\n')
    monkeypatch.chdir(tmp_path)
    fleet = fleet_config(tmp_path)
    assert fleet is not None
    assert fleet.apps == ("services/api/Restyfile", "services/web/Restyfile")
    assert (fleet.tag, fleet.jobs, fleet.push) == ("reg.test:5000/{name}:1", 2, False)
    seen: dict[str, object] = {}

    def fake_many(restyfiles: list[str], **kw: object) -> int:
        seen.update(kw, restyfiles=restyfiles)
        return 0

    monkeypatch.setattr("restybuild.fleet.build_many", fake_many)
    from restybuild.cli import build_parser

    args = build_parser().parse_args(["build", "--jobs", "1"])
    assert build_command.run(args) == 0
    assert seen["restyfiles"] == ["services/api/Restyfile", "services/web/Restyfile"]
    assert (seen["template"], seen["jobs"]) == ("reg.test:5000/{name}:1", 1)


def test_a_fleet_file_not_in_utf8_points_at_the_byte(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from restybuild.cli import main
    from restybuild.fleet import fleet_config

    (tmp_path / "restybuild.toml").write_bytes(b'[fleet]\n# caf\xe9 team\napps = ["a"]\n')
    with pytest.raises(ConfigError, match="is not UTF-8 \\(byte 0xe9\\)") as e:
        fleet_config(tmp_path)
    assert e.value.span is not None and (e.value.span.line, e.value.span.col) == (2, 6)
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == Exit.CONFIG
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("table, message", [
    ('[fleet]\napps = "x"\n', "[fleet] apps"),
    ('[fleet]\napps = ["nope/*/Restyfile"]\n', "matches no file"),
    ('[fleet]\napps = ["a/Restyfile"]\njobs = 0\n', "[fleet] jobs"),
    ('[fleet\n', "restybuild.toml is not TOML: Expected ']'"),
])
def test_a_bad_fleet_table_is_a_clear_error(tmp_path: Path, table: str, message: str) -> None:
    from restybuild.fleet import fleet_config

    (tmp_path / "restybuild.toml").write_text(table)
    with pytest.raises(ConfigError, match=re.escape(message)):
        fleet_config(tmp_path)
