"""The Docker engine, through the Docker SDK: connect, check images, run throwaway containers.

`docker` is imported here only, inside functions, so `plan` and `lint` never pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from restybuild.errors import DockerUnavailable


def connect() -> Any:
    """A client for the daemon of DOCKER_HOST (or the default socket); one clear error if none."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except DockerException as e:
        import os
        import sys

        host = os.environ.get("DOCKER_HOST", "the default socket")
        if os.environ.get("RESTYBUILD_DEBUG"):
            print(f"restybuild: {_short(e)}", file=sys.stderr)
        raise DockerUnavailable(
            f"no Docker daemon answers at {host}: start one, or point DOCKER_HOST at one"
        ) from None
    return client


def _short(e: Exception) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:160]


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


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    output: str


def run_once(client: Any, image: str, command: list[str], timeout: float = 120,
             **kwargs: Any) -> RunResult:
    """Run `command` in a fresh container of local `image` with no network; always remove it."""
    require_image(client, image, "build it first")
    kwargs.setdefault("network_mode", "none")
    container = client.containers.create(image, command, detach=True, **kwargs)
    try:
        container.start()
        status = container.wait(timeout=timeout)
        out = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        return RunResult(int(status.get("StatusCode", 1)), out)
    finally:
        container.remove(force=True)
