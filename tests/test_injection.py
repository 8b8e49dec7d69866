"""Values that reach the Dockerfile or a shell cannot add an instruction or a command.

Each hostile value is either refused by the resolver with a file:line:col error,
or reaches the rendered Dockerfile quoted so that `;`, `$()`, backticks,
newlines and quotes stay data.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from restybuild.errors import RestyError
from restybuild.render import render_dockerfile
from tests.conftest import planned, write_tree

INSTRUCTIONS = ("FROM", "RUN", "COPY", "ENV", "LABEL", "EXPOSE", "USER", "STOPSIGNAL", "ENTRYPOINT",
                "CMD")
HOSTILE = ["a;touch /pwned", "a$(touch /pwned)", "a`touch /pwned`", 'a"b', "a'b", "a\\nRUN x",
           "a && touch /pwned", "a|sh", "${PATH}", "a\tb", "a b"]

BASE = {"conf/nginx.conf": "events {}\nhttp {}\n"}


def render(tmp_path: Path, restyfile: str, extra: dict[str, str] | None = None) -> str:
    write_tree(tmp_path, {**BASE, **(extra or {}), "Restyfile": restyfile})
    return render_dockerfile(planned(tmp_path / "Restyfile"))


def instructions(dockerfile: str) -> list[str]:
    lines = [ln for ln in dockerfile.splitlines() if ln and not ln.startswith("#")]
    for ln in lines:
        assert ln.split()[0] in INSTRUCTIONS, f"not an instruction: {ln!r}"
    return [ln.split()[0] for ln in lines]


def quoted(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'


def outcome(tmp_path: Path, restyfile: str, extra: dict[str, str] | None = None) -> str | None:
    """The rendered Dockerfile, or None when the resolver refused the value (as it may)."""
    try:
        return render(tmp_path, restyfile, extra)
    except RestyError as e:
        assert e.span is not None and e.span.line >= 1 and e.span.col >= 1
        return None


HEAD = "name app\nbase debian-bookworm\nconf conf\n"
SAFE = instructions(render_dockerfile(planned(
    Path(__file__).parent / "cases" / "minimal" / "Restyfile")))


@pytest.mark.parametrize("value", HOSTILE)
def test_env_values_are_quoted(tmp_path: Path, value: str) -> None:
    text = outcome(tmp_path, HEAD + f'env X="{value.replace(chr(34), chr(92) + chr(34))}"\n')
    if text is None:
        return
    env_lines = [ln for ln in text.splitlines() if ln.startswith("ENV X=")]
    assert len(env_lines) == 1
    expected = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    assert env_lines[0] == f'ENV X="{expected}"'
    assert instructions(text).count("RUN") == 0


@pytest.mark.parametrize("value", HOSTILE)
def test_rock_names_and_versions_are_refused_or_quoted(tmp_path: Path, value: str) -> None:
    for rock in (f'"{value}" 1.0-1', f'lua-cjson "{value}"'):
        src = HEAD + "rocks -> luarocks {\n  rock " + rock.replace("\\", "\\\\") + "\n}\n"
        text = outcome(tmp_path, src)
        if text is None:
            continue
        runs = [ln for ln in text.splitlines() if ln.startswith("RUN ")]
        assert len(runs) == 1
        words = shlex.split(runs[0][4:])
        assert value in words  # one word, whatever it holds


@pytest.mark.parametrize("value", HOSTILE)
def test_system_packages_are_refused_or_quoted(tmp_path: Path, value: str) -> None:
    src = (HEAD + "rocks -> luarocks {\n  rock lua-cjson 2.1.0-1\n  system \""
           + value.replace('"', '\\"') + '" -> "' + value.replace('"', '\\"') + '"\n}\n')
    text = outcome(tmp_path, src)
    if text is None:
        return
    for line in text.splitlines():
        if line.startswith("RUN apt-get"):
            assert value in shlex.split(line[4:].split("&&")[1])


@pytest.mark.parametrize("value", HOSTILE)
def test_paths_are_refused_or_quoted(tmp_path: Path, value: str) -> None:
    for src in (HEAD + f'lua "{value}" -> lua\n', HEAD + f'lua lua -> "{value}"\n',
                f'name app\nbase debian-bookworm\nprefix "/x/{value}"\nconf conf\n'):
        text = outcome(tmp_path, src.replace("\\", "\\\\"), {"lua/a.lua": "return 1\n"})
        if text is not None:
            assert instructions(text) == SAFE or "COPY" in instructions(text)
            for line in text.splitlines():
                if line.startswith("CMD "):
                    import json

                    json.loads(line[4:])  # the CMD stays one JSON array


@pytest.mark.parametrize("value", HOSTILE)
def test_server_urls_are_refused_or_quoted(tmp_path: Path, value: str) -> None:
    url = "https://rocks.invalid/" + value.replace('"', '\\"')
    src = HEAD + f'rocks -> luarocks {{\n  server "{url}"\n  rock lua-cjson 2.1.0-1\n}}\n'

    text = outcome(tmp_path, src)
    if text is None:
        return
    runs = [ln for ln in text.splitlines() if ln.startswith("RUN ")]
    installs = [ln for ln in runs if "luarocks" in ln and " install " in ln]
    assert len(installs) == 1 and len(runs) == 2  # the install, then the tree's times
    assert any(w.startswith("--server=") for w in shlex.split(installs[0][4:]))
    assert "rocks.invalid" not in next(ln for ln in runs if ln not in installs)


def test_a_hostile_label_cannot_break_out(tmp_path: Path) -> None:
    # the name is the only user value in a LABEL; it is refused unless plain
    with pytest.raises(RestyError) as e:
        render(tmp_path, 'name "a\\" RUN x"\nbase debian-bookworm\nconf conf\n')
    assert e.value.span is not None and e.value.span.line == 1
