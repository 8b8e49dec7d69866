"""What long work (bootstrap, build, verify, push) shows on stderr while it runs.

One reporter for every long command, in three modes:

- on a terminal (stderr is a TTY, ``NO_COLOR`` unset, ``TERM`` not ``dumb``): rich draws a
  live line per phase with a spinner and the time elapsed, one bar per pushed layer with
  its bytes, and prints the build steps above them (bold) with their output (dimmed);
- anywhere else (CI logs, pipes, ``NO_COLOR``): plain lines, no escape code at all, one a
  phase start and end (with its time), a step, an output line, a finished layer;
- quiet (``-q``): nothing but warnings; the command prints its result on stdout.

rich is imported only when a terminal is drawn on, so `plan` and `lint` never load it.
The last lines of the current step are kept (:attr:`Progress.tail`) for error messages.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, TextIO

TAIL = 40


def fancy_stream(stream: TextIO) -> bool:
    """Whether to draw on `stream`: a terminal that may show escape codes."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
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
        self._console: Any = None  # rich.console.Console on a terminal
        self._live: Any = None  # its rich.progress.Progress while a phase runs
        self._phase: Any = None  # its task ID of the phase line
        self._layers: dict[str, Any] = {}
        self.sent = 0  # bytes of the layers pushed (not those the registry had)

    # -- phases ----------------------------------------------------------------------------
    def begin(self, what: str) -> None:
        """A phase starts (`what`: e.g. "verifying candidate ...: nginx -t, boot check")."""
        self._phase_start = time.monotonic()
        if self.fancy:
            live = self._ensure_live()
            if self._phase is not None:
                live.remove_task(self._phase)
            self._phase = live.add_task(what, total=None)
        else:
            self._plain(what)

    def end(self, summary: str, detail: str = "") -> None:
        """The phase ended well: `summary`, the time it took, and `detail`."""
        took = time.monotonic() - self._phase_start
        self._stop_live()
        self._print(f"{summary} ({took:.1f}s{', ' + detail if detail else ''})", "green")

    def close(self) -> None:
        """Stop drawing (an error or an interrupt ends the phase)."""
        self._stop_live()

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
            if self.fancy and self._phase is not None:
                self._live.update(self._phase, description=text)
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
        if not self.fancy:
            return
        live = self._ensure_live()
        task = self._layers.get(key)
        if task is None:
            task = self._layers[key] = live.add_task(label, total=total)
        live.update(task, completed=min(done, total) if total else done, total=total)

    def transferred(self, key: str, label: str, size: int | None) -> None:
        """`key` is done: `size` bytes sent, or None when the other side had it already."""
        if size:
            self.sent += size
        task = self._layers.pop(key, None)
        if task is not None and self._live is not None:
            self._live.remove_task(task)
        self._print(f"  {label}: " + (human(size) if size else "already there"), "dim")

    # -- output ----------------------------------------------------------------------------
    def _plain(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _print(self, text: str, style: str | None) -> None:
        if self.quiet:
            return
        if not self.fancy:
            self._plain(text)
            return
        from rich.text import Text

        self._ensure_console().print(Text(text, style=style or ""), highlight=False,
                                     soft_wrap=True)

    def _ensure_console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.stream, force_terminal=True, highlight=False)
        return self._console

    def _ensure_live(self) -> Any:
        if self._live is None:
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

            self._live = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                  BarColumn(), Bytes(), TimeElapsedColumn(),
                                  console=self._ensure_console(), transient=True)
            self._live.start()
        return self._live

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
        self._live = None
        self._phase = None
        self._layers = {}
