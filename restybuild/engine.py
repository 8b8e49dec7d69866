"""The Docker engine, through the Docker SDK: connect, check images, run throwaway containers.

`docker` is imported here only, inside functions, so `plan` and `lint` never pay for it.

Every container restybuild creates is a throwaway (verification, reading an
image's files) and carries the label :data:`RUN_LABEL`, naming this machine,
process and its start time. A run that dies without cleaning up (the daemon
went away, SIGKILL) leaves labelled containers; the next run removes those
whose process is gone (:func:`remove_stale`).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from restybuild import interrupt
from restybuild.errors import DockerUnavailable
from restybuild.records import dataclass

RUN_LABEL = "io.restybuild.run"
#: Seconds an API call may wait for the daemon (RESTYBUILD_ENGINE_TIMEOUT overrides).
DEFAULT_TIMEOUT = 60
#: A build streams for as long as its steps run; its reads get this long without output.
BUILD_TIMEOUT = 3600
STALE_OTHER_HOST = 24 * 3600  # a run of another machine is stale after a day


def timeout() -> int:
    try:
        value = int(os.environ.get("RESTYBUILD_ENGINE_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        value = DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def connect() -> Any:
    """A client for the daemon of DOCKER_HOST (or the default socket); one clear error if none,
    within :func:`timeout` seconds also when the daemon accepts and never answers."""
    import docker
    from docker.errors import DockerException
    from requests.exceptions import ReadTimeout

    host = os.environ.get("DOCKER_HOST", "the default socket")
    wait = timeout()
    try:
        try:
            try:
                client = docker.from_env(timeout=wait)
            except (ValueError, TypeError) as e:  # the SDK decodes the config's `auths` first
                from restybuild.credentials import sdk_refusal

                raise sdk_refusal(e) from None
            client.ping()
        except DockerException as e:  # the SDK wraps what asking the API version raised
            if isinstance(e.__context__, ReadTimeout):
                raise e.__context__ from None
            raise
    except ReadTimeout:
        raise DockerUnavailable(
            f"the Docker daemon at {host} accepted the connection but did not answer within "
            f"{wait:.0f}s", hint="check the daemon (its log, its load); RESTYBUILD_ENGINE_TIMEOUT "
            "sets the wait") from None
    except DockerException as e:
        import sys

        if os.environ.get("RESTYBUILD_DEBUG"):
            print(f"restybuild: {_short(e)}", file=sys.stderr)
        raise DockerUnavailable(
            f"no Docker daemon answers at {host}: start one, or point DOCKER_HOST at one"
        ) from None
    remove_stale(client)
    return client


def _short(e: Exception) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:160]


@contextmanager
def engine_errors(during: str | Callable[[], str]) -> Iterator[None]:
    """Turn a lost or silent daemon into one line (Exit.ENGINE) naming what was running."""
    from docker.errors import APIError
    from requests.exceptions import ReadTimeout, RequestException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except APIError:
        raise  # the daemon answered: an error of the request, not of the connection
    except ReadTimeout:
        what = during() if callable(during) else during
        raise DockerUnavailable(
            f"the Docker engine stopped answering during {what}",
            hint="check the daemon (its log, its disk, its memory) and build again; no tag "
                 "moved; RESTYBUILD_ENGINE_TIMEOUT sets the wait") from None
    except (RequestException, HTTPError, ConnectionError) as e:
        what = during() if callable(during) else during
        raise DockerUnavailable(
            f"the Docker engine went away during {what}", notes=(_short(e),),
            hint="check the daemon (its log, its disk, its memory) and build again; no tag "
                 "moved; the next run removes what this one left") from None


def local_image(client: Any, ref: str) -> Any | None:
    """Local image `ref`, or None: never pulls."""
    from docker.errors import ImageNotFound

    try:
        return client.images.get(ref)
    except ImageNotFound:
        return None


def image_id(client: Any, ref: str) -> str | None:
    """The ID of local image `ref`, or None: never pulls."""
    image = local_image(client, ref)
    return None if image is None else str(image.id)


def require_image(client: Any, ref: str, hint: str) -> str:
    found = image_id(client, ref)
    if found is None:
        raise DockerUnavailable(f"the image {ref} is not on this Docker engine", hint=hint)
    return found


# -- throwaway containers -----------------------------------------------------------------
def _start_time(pid: int) -> str | None:
    """The start time of process `pid` (clock ticks since boot), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def run_label() -> str:
    """This run: `HOST PID START`, so a later run can tell whether it still lives."""
    pid = os.getpid()
    return f"{socket.gethostname()} {pid} {_start_time(pid) or 0}"


def _alive(label: str, created: float) -> bool:
    host, _, rest = label.partition(" ")
    pid, _, start = rest.partition(" ")
    if host != socket.gethostname():
        return time.time() - created < STALE_OTHER_HOST
    return pid.isdigit() and _start_time(int(pid)) == start


def remove_stale(client: Any) -> int:
    """Remove what earlier runs that ended without cleaning up left on this engine: their
    labelled containers, then the candidate images they recorded; how many things."""
    from docker.errors import APIError

    removed = 0
    try:
        found = client.api.containers(all=True, filters={"label": RUN_LABEL})
    except APIError:
        return 0
    for c in found:
        label = (c.get("Labels") or {}).get(RUN_LABEL, "")
        if _alive(label, float(c.get("Created") or 0)):
            continue
        try:
            client.api.remove_container(c["Id"], force=True)
            removed += 1
        except APIError:
            pass
    for record in _records():
        label, image = record.get("run", ""), record.get("candidate", "")
        if record.get("engine") != _engine_name() or _alive(label, time.time()):
            continue
        try:
            if not client.api.inspect_image(image).get("RepoTags"):
                client.api.remove_image(image, noprune=False)
                removed += 1
        except APIError:
            pass
        forget_candidate(label)
    return removed


# -- candidate images in flight: recorded, so a run that died does not leave them forever ---
def _engine_name() -> str:
    return os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


def _record_path(label: str) -> str | None:
    from restybuild.cachedir import private_dir

    folder = private_dir("runs")
    return os.path.join(folder, label.replace(" ", "-") + ".json") if folder else None


def _records() -> list[dict[str, str]]:
    import json

    from restybuild.cachedir import private_dir

    folder = private_dir("runs")
    out: list[dict[str, str]] = []
    for name in sorted(os.listdir(folder)) if folder else ():
        try:
            with open(os.path.join(folder or "", name), encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            out.append({k: str(v) for k, v in data.items()})
    return out


def record_candidate(image: str) -> None:
    """Remember that this run built `image` and has not tagged or removed it yet."""
    import json

    path = _record_path(run_label())
    if path is None:
        return
    data = {"run": run_label(), "engine": _engine_name(), "candidate": image}
    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
    except OSError:
        pass


def forget_candidate(label: str | None = None) -> None:
    path = _record_path(label or run_label())
    if path is not None:
        with suppress(OSError):
            os.remove(path)


class Cancelled(Exception):
    """Raised in a check whose throwaway containers were removed by :func:`cancel_all`."""


_live: set[Any] = set()  # the throwaway containers of this process that exist now
_live_lock = threading.Lock()
_cancelled = threading.Event()


def cancel_all() -> None:
    """Remove every throwaway container of this process now (checks running in other
    threads then end, their waits cut), and refuse to create more until :func:`resume`."""
    _cancelled.set()
    with _live_lock:
        live = list(_live)
    for container in live:
        _remove(container)


def resume() -> None:
    _cancelled.clear()


def cancelled() -> bool:
    """Whether :func:`cancel_all` was called (and :func:`resume` not yet)."""
    return _cancelled.is_set()


@contextmanager
def throwaway(client: Any, image: str, command: list[str], **kwargs: Any) -> Iterator[Any]:
    """A created (not started) container of `image`, labelled as this run's, always removed;
    no network unless `network_mode` says otherwise. Safe from several threads: each one
    is known to :func:`cancel_all` from its creation to its removal."""
    kwargs.setdefault("network_mode", "none")
    labels = {**kwargs.pop("labels", {}), RUN_LABEL: run_label()}
    if _cancelled.is_set():
        raise Cancelled
    with interrupt.shielded():  # created and known, or not created: never a lost container
        container = client.containers.create(image, command, detach=True, labels=labels,
                                             **kwargs)
        with _live_lock:
            _live.add(container)
    try:
        if _cancelled.is_set():  # cancelled while it was being created
            raise Cancelled
        yield container
    finally:
        with interrupt.shielded():
            _remove(container)
            with _live_lock:
                _live.discard(container)


def _remove(container: Any) -> None:
    from docker.errors import APIError
    from requests.exceptions import RequestException

    # the daemon gone, or the container removed already: the next run's remove_stale finishes
    with suppress(APIError, RequestException, ConnectionError):
        container.remove(force=True)


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    output: str


def run_once(client: Any, image: str, command: list[str], timeout: float = 120,
             **kwargs: Any) -> RunResult:
    """Run `command` in a fresh container of local `image` with no network; always remove it."""
    require_image(client, image, "build it first")
    with throwaway(client, image, command, **kwargs) as container:
        container.start()
        status = container.wait(timeout=timeout)
        out = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        return RunResult(int(status.get("StatusCode", 1)), out)
