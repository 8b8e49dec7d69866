"""Push a local image to its registry through the engine; return the digest it got there.

The engine does the pushing (`POST /images/NAME/push`), with the credentials the docker
CLI would send to that registry (:mod:`restybuild.credentials`: the Docker config's
``credHelpers``, ``credsStore`` or ``auths``). The engine answers with a stream of
progress events; an ``error`` event in it is the registry's refusal (or the engine's), and
becomes a :class:`PushFailed` naming the registry, where the credentials came from and what
to do.
"""

from __future__ import annotations

from typing import Any

from restybuild import interrupt
from restybuild.engine import engine_errors, require_image
from restybuild.errors import ConfigError, Exit, RestyError
from restybuild.progress import Progress
from restybuild.records import dataclass

#: Seconds to look, after a push was stopped, for a manifest the engine had sent already.
SETTLE = 1.0


class PushFailed(RestyError):
    """The registry refused the push or could not be reached: an output not written."""

    exit_code = Exit.IO


@dataclass(frozen=True)
class Pushed:
    tag: str
    digest: str  # sha256:...
    reference: str  # REPO@sha256:...
    sent: int  # bytes of the layers the registry did not have


def split_tag(tag: str) -> tuple[str, str]:
    """`host:5000/team/app:1.0` -> (`host:5000/team/app`, `1.0`); no tag means `latest`."""
    repo, _, version = tag.rpartition(":") if ":" in tag.split("/")[-1] else (tag, "", "latest")
    return repo, version or "latest"


def registry_of(tag: str) -> str | None:
    """The registry a tag names (`HOST[:PORT]` or `localhost`), or None when it names none."""
    first, sep, _ = tag.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def check_pushable(tag: str) -> str:
    """The registry of `tag`; refuse a tag without one (the engine would pick a public one),
    and one whose credential helper is not on PATH (before a build, not after it)."""
    from restybuild.credentials import check_helper

    registry = registry_of(tag)
    if registry is None:
        raise ConfigError(f"`{tag}` names no registry to push to",
                          hint="tag the image HOST[:PORT]/NAME[:TAG], e.g. "
                               "registry.example:5000/team/app:1.0 (-t)")
    check_helper(registry)
    return registry


def push_image(client: Any, tag: str, progress: Progress) -> Pushed:
    """Push local image `tag`; its digest in the registry. Never pushes anything else."""
    from docker.errors import APIError

    from restybuild.credentials import for_registry

    registry = check_pushable(tag)
    require_image(client, tag, "build it first: restybuild build RESTYFILE -t " + tag)
    repo, version = split_tag(tag)
    credentials = for_registry(registry)
    known = _repo_digests(client, tag, repo)
    progress.begin(f"pushing {tag}")
    state = _PushState(registry, progress, credentials.source)
    try:
        with engine_errors(f"the push of {tag}"):
            events = client.api.push(repo, tag=version, stream=True, decode=True,
                                     auth_config=credentials.auth)
            how = _follow(client, events, state, tag)
            if how == "abandoned":
                progress.close()
                progress.warn(f"stopped waiting for {registry}'s answer to the manifest of "
                              f"{tag}: the registry's tag may have moved or not; look at "
                              f"{repo}:{version} there (push it again to be sure)")
                raise KeyboardInterrupt
            if how == "stopped":
                state.digest = _new_digest(client, tag, repo, known)
                if state.digest is None:
                    raise KeyboardInterrupt  # the registry's tag is as it was
            if interrupt.received() is not None:  # it came too late to stop anything
                progress.close()
                progress.warn(f"the push of {tag} is done ({registry} had its manifest when "
                              "the signal came): the signal is ignored")
                interrupt.reset()
    except APIError as e:
        raise PushFailed(f"the Docker engine refused to push {tag}: {e.explanation or e}",
                         hint=_hint(registry, str(e.explanation or e),
                                    credentials.source)) from None
    finally:
        progress.close()
    if state.digest is None:
        raise PushFailed(f"the push of {tag} ended without a digest",
                         hint=f"check the registry at {registry} (its log, its disk)")
    reference = f"{repo}@{state.digest}"
    progress.end(f"pushed {reference}", _sent(progress.sent))
    return Pushed(tag, state.digest, reference, progress.sent)


def _follow(client: Any, events: Any, state: _PushState, tag: str) -> str:
    """Read the engine's push events (in a thread: signals are only recorded meanwhile):
    "done", or "stopped" when a signal stopped the push, or "abandoned" when a second
    signal stopped the wait for the manifest's answer.

    While layers go up, a signal cuts the connection: the engine stops the push at its next
    progress message, which it can no longer send, before the manifest (which moves the
    registry's tag). Once every layer is up the engine is sending the manifest, which no
    client can stop: its answer is awaited, and the push ends as it ends, unless another
    signal comes (a registry that never answers): then the connection is cut, and whether
    the registry's tag moved is not known."""
    import queue
    import threading

    box: queue.Queue[Any] = queue.Queue()
    end = object()

    def read() -> None:
        try:
            for event in events:
                box.put(event)
        except BaseException as e:  # handed to the main thread
            box.put(e)
        box.put(end)

    threading.Thread(target=read, daemon=True).start()
    waiting = 0  # the signals recorded when the wait for the manifest began
    with interrupt.shielded():
        while True:
            try:
                item = box.get(timeout=0.05)
            except queue.Empty:
                item = None
            if item is end:
                return "done"
            if isinstance(item, BaseException):
                raise item
            if item is not None:
                state.event(item)
            if waiting and interrupt.count() > waiting and state.digest is None:
                _cut(client, events)
                return "abandoned"
            if interrupt.received() is None or state.digest is not None or waiting:
                continue
            while not box.empty():  # what the engine said before the signal decides
                item = box.get()
                if item is end or isinstance(item, BaseException):
                    box.put(item)
                    break
                state.event(item)
            if state.digest is None and not state.sending_manifest():
                _cut(client, events)
                return "stopped"
            waiting = interrupt.count()
            state.progress.warn(f"interrupted while {state.registry} takes the manifest of "
                                f"{tag}: that cannot be stopped; waiting for its answer "
                                "(Ctrl-C again stops waiting, not knowing whether the "
                                "registry's tag moved)")


def _cut(client: Any, events: Any) -> None:
    """Close the connection of the engine's push stream (the SDK's generator keeps the HTTP
    response): shut down, so the engine sees it closed at once."""
    import socket
    from contextlib import suppress

    frame = getattr(events, "gi_frame", None)
    response = (frame.f_locals if frame is not None else {}).get("response")
    if response is None:
        return
    with suppress(Exception):
        raw = client.api._get_raw_response_socket(response)
        getattr(raw, "_sock", raw).shutdown(socket.SHUT_RDWR)  # a SocketIO holds _sock
    with suppress(Exception):
        response.close()


def _repo_digests(client: Any, tag: str, repo: str) -> set[str]:
    """The image's digests in `repo` the engine knows (it adds one once a push is done)."""
    image = client.images.get(tag)
    digests = (getattr(image, "attrs", None) or {}).get("RepoDigests") or ()
    return {d.partition("@")[2] for d in digests if d.partition("@")[0] == repo}


def _new_digest(client: Any, tag: str, repo: str, known: set[str]) -> str | None:
    """The digest the push got if the engine had sent the manifest before it was stopped
    (restybuild had not read the last layer's end yet): it records one within moments."""
    import time

    deadline = time.monotonic() + SETTLE
    while True:
        try:
            new = _repo_digests(client, tag, repo) - known
        except Exception:  # the engine gone: say the push was stopped
            return None
        if len(new) == 1 or time.monotonic() > deadline:
            return next(iter(new)) if len(new) == 1 else None
        time.sleep(0.1)


def _sent(n: int) -> str:
    from restybuild.progress import human

    return f"{human(n)} sent" if n else "nothing sent: the registry had every layer"


class _PushState:
    """The engine's push events, read one by one."""

    def __init__(self, registry: str, progress: Progress, source: str = "") -> None:
        self.registry = registry
        self.progress = progress
        self.source = source  # where the credentials came from
        self.digest: str | None = None
        self.sizes: dict[str, int] = {}
        self.layers: dict[str, bool] = {}  # each layer the engine named: is it up?

    def sending_manifest(self) -> bool:
        """Every layer is up: what the engine does now is send the manifest."""
        return bool(self.layers) and all(self.layers.values())

    def event(self, event: dict[str, Any]) -> None:
        if "error" in event or "errorDetail" in event:
            detail = str((event.get("errorDetail") or {}).get("message")
                         or event.get("error") or "").strip()
            raise PushFailed(f"the push to {self.registry} failed: {detail}",
                             hint=_hint(self.registry, detail, self.source))
        aux = event.get("aux")
        if isinstance(aux, dict) and "Digest" in aux:
            self.digest = str(aux["Digest"])
            return
        layer, status = str(event.get("id", "")), str(event.get("status", ""))
        if not layer:
            return
        label = f"layer {layer}"
        moved = event.get("progressDetail") or {}
        done = status == "Pushed" or status == "Layer already exists" \
            or status.startswith("Mounted from")
        self.layers[layer] = self.layers.get(layer, False) or done
        if status == "Pushing" and "current" in moved:
            total = moved.get("total")
            self.sizes[layer] = max(self.sizes.get(layer, 0), int(moved["current"]))
            self.progress.transfer(layer, label, int(moved["current"]),
                                   int(total) if total else None)
        elif status == "Pushed":
            self.progress.transferred(layer, label, self.sizes.get(layer) or None)
        elif status == "Layer already exists" or status.startswith("Mounted from"):
            self.progress.transferred(layer, label, None)


def _hint(registry: str, detail: str, source: str = "") -> str:
    low = detail.lower()
    if any(w in low for w in ("unauthorized", "authentication required", "no basic auth",
                              "denied", "authorization")):
        return (f"log in to {registry} (docker login {registry}): restybuild uses the Docker "
                "config the docker CLI uses ($DOCKER_CONFIG/config.json, else "
                "~/.docker/config.json, with its credential helpers); the credentials sent: "
                + (source or "none"))
    if "server gave http response to https client" in low:
        return (f"the engine speaks TLS to {registry}, which answers plain HTTP: give it TLS, "
                "or list it in the daemon's insecure-registries")
    if any(w in low for w in ("connection refused", "no such host", "i/o timeout", "dial tcp")):
        return f"no registry answers at {registry}: start it, or check the tag's HOST:PORT"
    if "no space left" in low:
        return f"the registry at {registry} is out of disk space"
    return f"check the registry at {registry} and push again: restybuild push TAG"
