"""What long work shows: plain lines off a terminal, drawn with rich on one, NO_COLOR, -q."""

from __future__ import annotations

import io

import pytest

from restybuild.progress import Progress, fancy_stream, human


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def _work(progress: Progress) -> None:
    progress.begin("building app (3 context files)")
    progress.line("Step 1/2 : FROM base\n")
    progress.line(" ---> 1234\x1b[0m\n")
    progress.line("Step 2/2 : COPY layers/app/ /\n")
    progress.end("built candidate 1234")
    progress.begin("pushing 127.0.0.1:5000/app:1")
    progress.transfer("aaa", "layer aaa", 500, 1000)
    progress.transferred("aaa", "layer aaa", 1000)
    progress.transferred("bbb", "layer bbb", None)
    progress.warn("warning: something to know")
    progress.end("pushed 127.0.0.1:5000/app@sha256:00", "1.0 kB sent")


def test_plain_lines_when_not_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    progress = Progress(out)
    assert not progress.fancy
    _work(progress)
    lines = out.getvalue().splitlines()
    assert lines[:4] == ["building app (3 context files)", "Step 1/2 : FROM base",
                         "   ---> 1234", "Step 2/2 : COPY layers/app/ /"]
    assert lines[4].startswith("built candidate 1234 (") and lines[4].endswith("s)")
    assert lines[5:9] == ["pushing 127.0.0.1:5000/app:1", "  layer aaa: 1.0 kB",
                          "  layer bbb: already there", "warning: something to know"]
    assert lines[9].endswith("s, 1.0 kB sent)") and len(lines) == 10
    assert "\x1b" not in out.getvalue()
    assert progress.sent == 1000 and progress.step == "Step 2/2 : COPY layers/app/ /"


def test_a_terminal_is_drawn_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    out = FakeTTY()
    progress = Progress(out)
    assert progress.fancy
    _work(progress)
    text = out.getvalue()
    assert "\x1b[" in text and "Step 2/2 : COPY layers/app/ /" in text
    assert "layer aaa: 1.0 kB" in text
    assert text.count("\x1b[?25l") == text.count("\x1b[?25h")  # the cursor is given back


def test_no_color_gives_no_escape_code_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = FakeTTY()
    assert not fancy_stream(out)
    _work(Progress(out))
    assert "\x1b" not in out.getvalue()
    assert "Step 1/2 : FROM base\n" in out.getvalue()


def test_quiet_shows_warnings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = FakeTTY()
    progress = Progress(out, quiet=True)
    _work(progress)
    assert out.getvalue() == "warning: something to know\n"
    assert progress.tail == []  # the last step's output (none)


def test_human() -> None:
    assert [human(n) for n in (0, 999, 1000, 2_100, 138_670_581, 3e9)] == [
        "0 B", "999 B", "1.0 kB", "2.1 kB", "138.7 MB", "3.0 GB"]


def test_plan_and_lint_never_import_rich() -> None:
    import subprocess
    import sys

    code = ("import sys; from restybuild.cli import build_parser; build_parser(); "
            "import restybuild.build, restybuild.push; print('rich' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def _fleet(progress: Progress) -> None:
    progress.app_line("alpha", "building alpha (3 context files)")
    progress.app_line("beta", "Step 1/2 : FROM base\x1b[0m")
    progress.app_line("alpha", "error: probe check failed", always=True)
    progress.app_done("alpha")
    progress.app_done("beta")
    progress.close()


def test_fleet_lines_are_prefixed_with_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = io.StringIO()
    _fleet(Progress(out))
    assert out.getvalue().splitlines() == ["alpha | building alpha (3 context files)",
                                           "beta | Step 1/2 : FROM base",
                                           "alpha | error: probe check failed"]


def test_fleet_lines_on_a_terminal_and_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    out = FakeTTY()
    _fleet(Progress(out))
    text = out.getvalue()
    assert "\x1b[" in text and "alpha | building alpha (3 context files)" in text
    assert text.count("\x1b[?25l") == text.count("\x1b[?25h")
    monkeypatch.setenv("NO_COLOR", "")  # set but empty: no effect (the convention)
    assert Progress(FakeTTY()).fancy
    monkeypatch.setenv("NO_COLOR", "0")  # any other value: plain lines
    plain = FakeTTY()
    _fleet(Progress(plain))
    assert "\x1b" not in plain.getvalue() and plain.getvalue().startswith("alpha | building")


def test_fleet_quiet_shows_the_errors_only(monkeypatch: pytest.MonkeyPatch) -> None:
    out = FakeTTY()
    _fleet(Progress(out, quiet=True))
    assert out.getvalue() == "alpha | error: probe check failed\n"
