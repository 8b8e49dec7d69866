"""Many apps at once: lint them all, then build, verify (and push) each, N at a time.

Each app is built by a `restybuild build` process of its own, so one app's failure,
a crash, or its cleanup never touches another, and each keeps the single-app
guarantees (:mod:`restybuild.build`: the tag moves only after verification; a failed
candidate is removed). Their progress lines come here, prefixed with the app's name.

Ctrl-C (or SIGTERM) is recorded by :mod:`restybuild.interrupt`: no app starts after it,
the running ones get SIGINT and clean up as a single build does (no tag moved), and the
table is still printed; the command then exits 130 (143).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from restybuild import interrupt
from restybuild.progress import Progress, human
from restybuild.records import dataclass, field

#: How a finished app's process exit code reads in the table.
RESULTS = {0: "ok", 1: "failed", 2: "syntax error", 3: "I/O error", 4: "config error",
           5: "engine error", 130: "interrupted", 143: "interrupted"}


@dataclass
class App:
    restyfile: str
    name: str
    tag: str
    base: str  # the runtime base image, for the bytes added over it
    result: str = "not started"
    code: int | None = None
    digest: str = ""
    size: int | None = None
    added: int | None = None
    seconds: float = 0.0
    error: str = ""
    proc: Any = None
    started: float = 0.0
    out: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)


def command(app: App, push: bool, pull: bool, no_cache: bool = False) -> list[str]:
    cmd = [sys.executable, "-m", "restybuild", "build", app.restyfile, "-t", app.tag]
    return cmd + (["--push"] if push else []) + (["--pull"] if pull else []) + (
        ["--no-cache"] if no_cache else [])


def lint_all(apps: list[App], progress: Progress) -> None:
    """Lint every app first; one with findings at the error threshold is not built."""
    for app in (a for a in apps if a.code is None):
        proc = subprocess.run([sys.executable, "-m", "restybuild", "lint", app.restyfile],
                              capture_output=True, text=True, check=False, env=_child_env())
        for text in (proc.stdout + proc.stderr).splitlines():
            progress.app_line(app.name, text, always=proc.returncode != 0)
        if proc.returncode != 0:
            app.code, app.result = proc.returncode, "lint failed"
            app.error = "lint: " + (proc.stdout.strip().splitlines() or ["failed"])[0]
        interrupt.check()


def _child_env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1"}


def _start(app: App, push: bool, pull: bool, quiet: bool, progress: Progress,
           no_cache: bool = False) -> None:
    cmd = command(app, push, pull, no_cache) + (["-q"] if quiet else [])
    app.started = time.monotonic()
    app.result = "running"
    app.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", env=_child_env(),
                                start_new_session=False)

    def read_err() -> None:
        for text in app.proc.stderr:
            progress.app_line(app.name, text.rstrip("\n"), always=quiet)

    def read_out() -> None:
        app.out.extend(line.rstrip("\n") for line in app.proc.stdout)

    app.readers = [threading.Thread(target=f, daemon=True) for f in (read_err, read_out)]
    for t in app.readers:
        t.start()


def _finish(app: App, client: Any, progress: Progress) -> None:
    for t in app.readers:
        t.join(timeout=10)
    progress.app_done(app.name)
    app.code = int(app.proc.returncode)
    app.seconds = time.monotonic() - app.started
    app.result = RESULTS.get(app.code, f"failed (exit {app.code})")
    app.digest = next((ln for ln in app.out if "@sha256:" in ln), "")
    if app.code == 0 and client is not None:
        from restybuild.engine import local_image

        image, base = local_image(client, app.tag), local_image(client, app.base)
        if image is not None:
            app.size = int(image.attrs.get("Size") or 0)
            if base is not None:
                app.added = app.size - int(base.attrs.get("Size") or 0)


def run(apps: list[App], *, jobs: int, push: bool, pull: bool, quiet: bool,
        progress: Progress, client: Any, no_cache: bool = False) -> None:
    """Build the apps that passed lint, `jobs` at a time; fill in each one's result."""
    pending = [a for a in apps if a.code is None]
    running: list[App] = []
    # signals are only recorded here (no KeyboardInterrupt between a start and its
    # bookkeeping): the loop sees them within 50 ms
    with interrupt.shielded():
        while (pending or running) and interrupt.received() is None:
            while pending and len(running) < jobs:
                app = pending.pop(0)
                _start(app, push, pull, quiet, progress, no_cache)
                running.append(app)
            for app in [a for a in running if a.proc.poll() is not None]:
                running.remove(app)
                _finish(app, client, progress)
            time.sleep(0.05)
        if running:
            _stop(running, client, progress)


def _stop(running: list[App], client: Any, progress: Progress) -> None:
    """After a signal: the running builds get SIGINT and clean up; wait for them all."""
    deadline = time.monotonic() + 2  # a terminal's Ctrl-C reached them too: let them end
    while time.monotonic() < deadline and any(a.proc.poll() is None for a in running):
        time.sleep(0.05)
    for app in running:
        if app.proc.poll() is None:  # the signal was for this process only (kill -INT PID)
            app.proc.send_signal(signal.SIGINT)
    for app in running:
        try:
            app.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:  # a build that does not stop: end it
            app.proc.kill()
            app.proc.wait()
        _finish(app, client, progress)


def table(apps: list[App]) -> str:
    """The summary: app, result, image size, bytes added over the base, digest, time."""
    rows = [("app", "result", "size", "added", "digest", "time")]
    for a in apps:
        rows.append((a.name, a.result, human(a.size) if a.size is not None else "-",
                     human(a.added) if a.added is not None else "-", a.digest or "-",
                     f"{a.seconds:.1f}s" if a.started else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n"
                   for r in rows)


def exit_code(apps: list[App]) -> int:
    """0 when every app is ok; else the code of the first that is not (in the order given)."""
    for a in apps:
        if a.code not in (0, None):
            return int(a.code)
    return 0


def prepare(restyfiles: list[str], template: str, push: bool) -> list[App]:
    """The apps, their tags (`template` with `{name}`) checked before anything starts."""
    from restybuild.commands.build import check_tag
    from restybuild.errors import ConfigError, RestyError
    from restybuild.resolve import load_project

    if "{name}" not in template:
        raise ConfigError(f"-t `{template}` would give every app the same tag",
                          hint="put {name} where each app's name goes, e.g. "
                               "-t registry.example:5000/team/{name}:1.0")
    apps: list[App] = []
    seen: dict[str, str] = {}
    for restyfile in restyfiles:
        try:
            project = load_project(restyfile)
        except RestyError as e:  # this app fails; the others go on
            print(e.render(), file=sys.stderr)
            name = os.path.basename(os.path.dirname(os.path.abspath(restyfile)))
            apps.append(App(restyfile, name, "", "", result=RESULTS.get(e.exit_code, "failed"),
                            code=e.exit_code, error=e.message))
            continue
        tag = template.replace("{name}", project.name)
        check_tag(tag, push)
        if tag in seen:
            raise ConfigError(f"{restyfile} and {seen[tag]} would both be tagged {tag}",
                              hint="give the apps different names (the `name` statement)")
        seen[tag] = restyfile
        apps.append(App(restyfile, project.name, tag, project.runtime_image))
    return apps


def build_many(restyfiles: list[str], *, template: str, jobs: int, push: bool, pull: bool,
               quiet: bool, no_cache: bool = False) -> int:
    """`restybuild build A B ...`: lint all, build each, print the table; the exit code."""
    apps = prepare(restyfiles, template, push)
    progress = Progress(quiet=quiet)
    client = _client()
    try:
        lint_all(apps, progress)
        run(apps, jobs=jobs, push=push, pull=pull, quiet=quiet, progress=progress,
            client=client, no_cache=no_cache)
    except KeyboardInterrupt:
        pass  # the table still comes; the command line exits 130 (interrupt.check)
    finally:
        progress.close()
    sys.stdout.write(table(apps))
    sys.stdout.flush()
    return exit_code(apps)


def _client() -> Any:
    """The engine, to read the images' sizes (each build connects on its own)."""
    from restybuild.engine import connect
    from restybuild.errors import DockerUnavailable

    try:
        return connect()
    except DockerUnavailable:
        return None  # each build says so; the table has no sizes


@dataclass(frozen=True)
class FleetConfig:
    """`[fleet]` of restybuild.toml in the working folder: the apps built together."""

    apps: tuple[str, ...]  # Restyfiles, globs expanded, in order
    tag: str | None = None
    jobs: int | None = None
    push: bool = False


def fleet_config(folder: Path) -> FleetConfig | None:
    """The `[fleet]` table of `folder`/restybuild.toml, or None when there is none."""
    import glob

    from restybuild.errors import ConfigError, InputError, Span

    path = folder / "restybuild.toml"
    if not path.is_file():
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = path.read_bytes()
        raw = tomllib.loads(data.decode("utf-8"))
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:  # TOML is UTF-8: a file saved as Latin-1, say
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ConfigError(f"{path} is not UTF-8 (byte 0x{data[e.start]:02x}), as TOML must be",
                          span=Span(str(path), line, col),
                          hint="save it as UTF-8 (iconv -f latin1 -t utf-8)") from None
    except tomllib.TOMLDecodeError as e:
        at = re.search(r" \(at line (\d+), column (\d+)\)$", str(e))
        raise ConfigError(f"{path} is not TOML: {str(e)[:at.start()] if at else e}",
                          span=Span(str(path), int(at[1]), int(at[2])) if at else None,
                          hint="see the README's fleet section for the table") from None
    table = raw.get("fleet")
    if table is None:
        return None
    where = Span(str(path), 1, 1)

    def bad(key: str, want: str) -> ConfigError:
        return ConfigError(f"[fleet] {key} in {path} must be {want}", span=where)

    apps = table.get("apps")
    if not isinstance(apps, list) or not apps or not all(isinstance(a, str) for a in apps):
        raise bad("apps", 'a list of Restyfile paths or globs ("services/*/Restyfile")')
    found: list[str] = []
    for pattern in apps:
        matches = sorted(glob.glob(str(folder / pattern))) if glob.has_magic(pattern) \
            else [str(folder / pattern)]
        if not matches:
            raise ConfigError(f"[fleet] apps: `{pattern}` matches no file in {folder}",
                              span=where)
        found += [os.path.relpath(m) for m in matches if os.path.relpath(m) not in found]
    tag, jobs, push = table.get("tag"), table.get("jobs"), table.get("push", False)
    if tag is not None and not isinstance(tag, str):
        raise bad("tag", 'a tag pattern ("registry.example/team/{name}:1.0")')
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise bad("jobs", "a number, 1 or more")
    if not isinstance(push, bool):
        raise bad("push", "true or false")
    return FleetConfig(tuple(found), tag, jobs, push)
