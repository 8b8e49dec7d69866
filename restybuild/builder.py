"""Run a build plan through the Docker SDK (classic builder) and report its progress."""

from __future__ import annotations

import io
import sys
from typing import Any, TextIO

from restybuild.context import ContextEntry, make_tar
from restybuild.errors import BuildFailed, DockerUnavailable
from restybuild.plan import BuildPlan


def context_tar(plan: BuildPlan, dockerfile: str) -> bytes:
    entries = (*plan.context, ContextEntry("Dockerfile", data=dockerfile.encode()))
    return make_tar(entries)


class Progress:
    """Plain lines in CI and pipes; on a terminal, step output is indented and dimmed."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.quiet = quiet
        self.step = ""
        self.tail: list[str] = []

    def line(self, text: str) -> None:
        text = text.rstrip("\n")
        if not text:
            return
        if text.startswith("Step "):
            self.step = text
            self.tail = []
            if not self.quiet:
                self.stream.write(("\x1b[1m" + text + "\x1b[0m" if self.tty else text) + "\n")
        else:
            self.tail = ([*self.tail, text])[-40:]
            if not self.quiet:
                self.stream.write(("\x1b[2m  " + text + "\x1b[0m" if self.tty else "  " + text)
                                  + "\n")
        self.stream.flush()


def build_image(client: Any, plan: BuildPlan, dockerfile: str, progress: Progress,
                pull: bool = False) -> str:
    """Build the candidate image; return its ID. No tag is set here."""
    from docker.errors import APIError
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from urllib3.exceptions import ProtocolError

    data = context_tar(plan, dockerfile)
    image_id: str | None = None
    try:
        stream = client.api.build(
            fileobj=io.BytesIO(data), custom_context=True, rm=True, forcerm=True,
            decode=True, pull=pull, network_mode=None,
        )
        for chunk in stream:
            if "stream" in chunk:
                for piece in str(chunk["stream"]).splitlines():
                    progress.line(piece)
                    if piece.startswith("Successfully built "):
                        image_id = piece.split()[-1]
            elif "error" in chunk:
                detail = str(chunk.get("error", "")).strip()
                if "no space left on device" in detail:
                    step = progress.step or "the start"
                    raise BuildFailed(
                        f"the Docker engine ran out of disk space at {step}",
                        notes=(detail,),
                        hint="free space on the engine's data root (docker system prune), then "
                             "build again")
                raise BuildFailed(
                    f"the build failed at {progress.step or 'the start'}",
                    notes=(*tuple(progress.tail[-15:]), detail),
                    hint="the step's output is above; fix the cause and build again",
                )
            elif "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
                image_id = str(chunk["aux"]["ID"])
    except APIError as e:
        raise BuildFailed(f"the Docker engine refused the build: {e.explanation or e}") from None
    except (RequestsConnectionError, ProtocolError, OSError) as e:
        raise DockerUnavailable(
            f"the Docker engine went away during the build ({progress.step or 'the start'})",
            notes=(str(e)[:200],),
            hint="check the daemon (its log, its disk, its memory) and build again; no tag moved",
        ) from None
    if image_id is None:
        raise BuildFailed("the build ended without an image")
    return image_id
