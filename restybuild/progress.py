"""What long work (bootstrap, build, verify, push) shows on stderr while it runs.

One reporter for every long command, in three modes:

- on a terminal (stderr is a TTY, ``NO_COLOR`` unset or empty, as its convention says,
  ``TERM`` not ``dumb``): rich draws a live line per phase with a spinner and the time
  elapsed, one bar per pushed layer with its bytes, and prints the build steps above them
  (bold) with their output (dimmed);
- anywhere else (CI logs, pipes, ``NO_COLOR`` set to anything): plain lines, no escape
  code at all, one a phase start and end (with its time), a step, an output line, a
  finished layer;
- quiet (``-q``): nothing but warnings; the command prints its result on stdout.

rich is imported only when a terminal is drawn on, so `plan` and `lint` never load it.
The last lines of the current step are kept (:attr:`Progress.tail`) for error messages.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any, TextIO

TAIL = 40


def fancy_stream(stream: TextIO) -> bool:
    """Whether to draw on `stream`: a terminal that may show escape codes."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":  # set and not empty
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def human(n: float) -> str:
    """Bytes as docker shows them: 1000-based, 3 significant digits."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"  # pragma: no cover - the loop returns


class Screen:
    """The terminal drawing (rich): lines printed above a live area of tasks, one per key
    (a phase, a layer, an app) with a spinner, a bar, bytes and the time elapsed."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        self.console = Console(file=stream, force_terminal=True, highlight=False)
        self.live: Any = None
        self.tasks: dict[str, Any] = {}

    def print(self, text: str, style: str | None) -> None:
        from rich.text import Text

        self.console.print(Text(text, style=style or ""), highlight=False, soft_wrap=True)

    def task(self, key: str, description: str | None = None, done: int | None = None,
             total: int | None = None) -> None:
        """Show (or update) the live line of `key`."""
        live = self._ensure_live()
        if key not in self.tasks:
            self.tasks[key] = live.add_task(description or key, total=total)
        fields: dict[str, Any] = {}
        if description is not None:
            fields["description"] = description
        if done is not None:
            fields.update(completed=min(done, total) if total else done, total=total)
        live.update(self.tasks[key], **fields)

    def remove(self, key: str) -> None:
        task = self.tasks.pop(key, None)
        if task is not None and self.live is not None:
            self.live.remove_task(task)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
        self.live = None
        self.tasks = {}

    def _ensure_live(self) -> Any:
        if self.live is None:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            class Bytes(DownloadColumn):  # nothing on a phase's line (it has no total)
                def render(self, task: Any) -> Any:
                    return "" if task.total is None else super().render(task)

            self.live = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 BarColumn(), Bytes(), TimeElapsedColumn(),
                                 console=self.console, transient=True)
            self.live.start()
        return self.live


class Progress:
    """Phases (begin/end), build steps and their output, byte transfers; see the module."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False,
                 fancy: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.fancy = (not quiet) and (fancy_stream(self.stream) if fancy is None else fancy)
        self.step = ""
        self.tail: list[str] = []
        self.started = time.monotonic()
        self._phase_start = self.started
        self._screen: Screen | None = None  # on a terminal, once something is drawn
        self.sent = 0  # bytes of the layers pushed (not those the registry had)
        self._lock = threading.Lock()  # apps' lines come from one thread each

    @property
    def screen(self) -> Screen:
        if self._screen is None:
            self._screen = Screen(self.stream)
        return self._screen

    # -- phases ----------------------------------------------------------------------------
    def begin(self, what: str) -> None:
        """A phase starts (`what`: e.g. "verifying candidate ...: nginx -t, boot check")."""
        self._phase_start = time.monotonic()
        if self.fancy:
            self.screen.remove("phase")
            self.screen.task("phase", what)
        else:
            self._print(what, None)

    def end(self, summary: str, detail: str = "") -> None:
        """The phase ended well: `summary`, the time it took, and `detail`."""
        took = time.monotonic() - self._phase_start
        self.close()
        self._print(f"{summary} ({took:.1f}s{', ' + detail if detail else ''})", "green")

    def close(self) -> None:
        """Stop drawing (an error or an interrupt ends the phase)."""
        if self._screen is not None:
            self._screen.stop()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    # -- lines -----------------------------------------------------------------------------
    def line(self, text: str) -> None:
        """One line of a build's output: a `Step N/M : ...` heading or a step's output."""
        from restybuild.nginxlog import strip_ansi

        text = strip_ansi(text).rstrip("\n")
        if not text:
            return
        if text.startswith("Step "):
            self.step = text
            self.tail = []
            if self.fancy and "phase" in self.screen.tasks:
                self.screen.task("phase", text)
            self._print(text, "bold")
        else:
            self.tail = [*self.tail, text][-TAIL:]
            self._print("  " + text, "dim")

    def note(self, text: str) -> None:
        """A line worth reading while the work goes on."""
        self._print(text, None)

    def warn(self, text: str) -> None:
        """A warning: shown even when quiet."""
        if self.quiet:
            self.stream.write(text + "\n")
            self.stream.flush()
        else:
            self._print(text, "yellow")

    # -- bytes -----------------------------------------------------------------------------
    def transfer(self, key: str, label: str, done: int, total: int | None) -> None:
        """`done` of `total` bytes of `key` (a layer) moved; drawn on a terminal only."""
        if self.fancy:
            self.screen.task("bytes " + key, label, done, total)

    def transferred(self, key: str, label: str, size: int | None) -> None:
        """`key` is done: `size` bytes sent, or None when the other side had it already."""
        if size:
            self.sent += size
        if self._screen is not None:
            self._screen.remove("bytes " + key)
        self._print(f"  {label}: " + (human(size) if size else "already there"), "dim")

    # -- many apps at once (restybuild.fleet): their lines, prefixed ----------------------
    def app_line(self, app: str, text: str, always: bool = False) -> None:
        """A line of app `app`'s own progress; `always`: shown even when quiet (an error)."""
        from restybuild.nginxlog import strip_ansi

        text = strip_ansi(text).rstrip()
        if not text or (self.quiet and not always):
            return
        with self._lock:
            if not self.fancy:
                self.stream.write(f"{app} | {text}\n")
                self.stream.flush()
                return
            self.screen.task("app " + app, f"{app}: {text.strip()[:90]}")
            if not text.startswith((" ", "Step ")):
                self.screen.print(f"{app} | {text}", None)

    def app_done(self, app: str) -> None:
        with self._lock:
            if self._screen is not None:
                self._screen.remove("app " + app)

    # -- output ----------------------------------------------------------------------------
    def _print(self, text: str, style: str | None) -> None:
        if self.quiet:
            return
        if self.fancy:
            self.screen.print(text, style)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()
