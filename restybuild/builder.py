"""Run a build plan through the Docker SDK (classic builder); its steps go to a
:class:`restybuild.progress.Progress`."""

from __future__ import annotations

import tempfile
from typing import Any, BinaryIO

from restybuild.context import ContextEntry, make_tar, write_tar
from restybuild.engine import BUILD_TIMEOUT, engine_errors
from restybuild.errors import BuildFailed, DockerUnavailable
from restybuild.plan import BuildPlan
from restybuild.progress import Progress


def context_entries(plan: BuildPlan, dockerfile: str) -> tuple[ContextEntry, ...]:
    return (*plan.context, ContextEntry("Dockerfile", data=dockerfile.encode()))


def context_tar(plan: BuildPlan, dockerfile: str) -> bytes:
    """The context in memory (tests; a build streams it through a file instead)."""
    return make_tar(context_entries(plan, dockerfile))


def context_file(plan: BuildPlan, dockerfile: str) -> BinaryIO:
    """The context tar in an unnamed temporary file, rewound: memory stays bounded whatever
    the size of the app's files."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it (a `with` there)
    write_tar(context_entries(plan, dockerfile), out)
    out.seek(0)
    return out


def build_image(client: Any, plan: BuildPlan, dockerfile: str, progress: Progress,
                pull: bool = False, no_cache: bool = False) -> str:
    """Build the candidate image; return its ID. No tag is set here. `no_cache`: every step
    runs again, none taken from the engine's build cache (``docker build --no-cache``)."""
    from docker.errors import APIError

    from restybuild import timings

    image_id: str | None = None
    try:
        with context_file(plan, dockerfile) as data, \
                engine_errors(lambda: f"the build ({progress.step or 'the start'})"):
            timings.mark("context")
            stream = client.api.build(
                fileobj=data, custom_context=True, rm=True, forcerm=True,
                decode=True, pull=pull, network_mode=None, timeout=BUILD_TIMEOUT,
                nocache=no_cache,
            )
            for chunk in stream:
                image_id = _chunk(chunk, progress) or image_id
    except APIError as e:
        raise BuildFailed(f"the Docker engine refused the build: {e.explanation or e}") from None
    if image_id is None:
        raise BuildFailed("the build ended without an image")
    return image_id


def _chunk(chunk: dict[str, Any], progress: Progress) -> str | None:
    """Show one chunk of the build's stream; the image ID when it names one."""
    image_id = None
    if "stream" in chunk:
        for piece in str(chunk["stream"]).splitlines():
            progress.line(piece)
            if piece.startswith("Successfully built "):
                image_id = piece.split()[-1]
    elif "error" in chunk:
        detail = str(chunk.get("error", "")).strip()
        step = progress.step or "the start"
        if "no space left on device" in detail:
            raise DockerUnavailable(f"the Docker engine ran out of disk space at {step}",
                              notes=(detail,),
                              hint="free space on the engine's data root (docker system "
                                   "prune), then build again")
        raise BuildFailed(f"the build failed at {step}",
                          notes=(*tuple(progress.tail[-15:]), detail),
                          hint=_hint(step, progress.tail))
    elif "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
        image_id = str(chunk["aux"]["ID"])
    return image_id


#: What luarocks says when no rocks server answered (no network in the build, or a mirror
#: that is down).
UNREACHABLE = ("Failed fetching manifest", "Failed downloading", "No results matching query",
               "Could not resolve host", "Temporary failure in name resolution",
               "Network is unreachable")


def _hint(step: str, tail: list[str]) -> str:
    """What to do about a failed step, when its output says."""
    if "luarocks" in step and any(u in line for line in tail for u in UNREACHABLE):
        return ("no rocks server was reachable from the build: declare an offline one in the "
                "rocks block, `server DIR` (a folder `python -m restybuild.rockserver DIR "
                "ROCK_SOURCES...` makes)")
    if ("apt-get" in step or "apk add" in step) and any(
            u in line for line in tail for u in UNREACHABLE[3:]):
        return ("the build has no network to fetch packages: install them in the base image "
                "instead, or build where the package mirror is reachable")
    return "the step's output is above; fix the cause and build again"
