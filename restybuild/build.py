"""Build, verify, tag: the tag moves only after the candidate proved itself."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from restybuild import interrupt
from restybuild.builder import Progress, build_image
from restybuild.engine import connect, forget_candidate, image_id, local_image, record_candidate
from restybuild.errors import DockerUnavailable
from restybuild.model import Project
from restybuild.plan import BuildPlan, plan
from restybuild.render import render_dockerfile
from restybuild.verify import VerifyReport, verify


@dataclass(frozen=True)
class BuildResult:
    image_id: str
    tag: str
    plan: BuildPlan
    report: VerifyReport


def check_bases(client: Any, bp: BuildPlan, project: Project, pull: bool) -> None:
    """Refuse to start when a base image is missing and may not be pulled."""
    from restybuild import recipes

    recipe = recipes.load(project.flavor.recipe)
    boot = recipe.bootstrap
    engine_arch = _arch(str(client.info().get("Architecture", "")))
    for ref in filter(None, (bp.runtime_image, bp.builder_image)):
        image = local_image(client, ref)
        if image is not None:
            image_arch = _arch(str(image.attrs.get("Architecture", "")))
            if engine_arch and image_arch and image_arch != engine_arch:
                raise DockerUnavailable(
                    f"the base image {ref} is for {image_arch}, but this Docker engine runs "
                    f"{engine_arch}", hint="use an image of the engine's architecture, or "
                    "an engine of the image's (DOCKER_HOST)")
            continue
        if boot is not None and ref in (boot.runtime_tag, boot.builder_tag):
            raise DockerUnavailable(
                f"the base image {ref} is not on this Docker engine",
                hint=f"make it, offline: restybuild base bootstrap {recipe.name}")
        if not pull:
            raise DockerUnavailable(
                f"the base image {ref} is not on this Docker engine",
                hint="pull it first (docker pull), or pass --pull to let the engine fetch it")


_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def _arch(name: str) -> str:
    return _ARCH.get(name, name)


def build_and_tag(project: Project, tag: str, *, quiet: bool = False, pull: bool = False,
                  client: Any = None) -> BuildResult:
    """Plan, build, verify; tag only a verified image; remove a failed candidate.

    An interrupt at any moment leaves the tag where it was: it is recorded when it
    arrives (:mod:`restybuild.interrupt`), checked right before the tag moves, and a
    tag moved while one arrived is put back.
    """
    bp = plan(project)
    dockerfile = render_dockerfile(bp)
    client = client or connect()
    check_bases(client, bp, project, pull)
    progress = Progress(quiet=quiet)
    candidate: str | None = None
    try:
        candidate = build_image(client, bp, dockerfile, progress, pull=pull)
        record_candidate(candidate)
        print(f"verifying candidate {candidate[:19]}: nginx -t, boot check", file=sys.stderr)
        report = verify(client, candidate, bp)
        with interrupt.shielded():
            interrupt.check()
            _move_tag(client, candidate, tag)
    except BaseException:
        with interrupt.shielded():
            if _discard(client, candidate, bp):
                forget_candidate()  # else the next run removes it (engine.remove_stale)
        raise
    forget_candidate()
    return BuildResult(candidate, tag, bp, report)


def _split_tag(tag: str) -> tuple[str, str]:
    repo, _, version = tag.rpartition(":") if ":" in tag.split("/")[-1] else (tag, "", "latest")
    return repo, version or "latest"


def _move_tag(client: Any, candidate: str, tag: str) -> None:
    """Point `tag` at `candidate`; if a signal arrived meanwhile, point it back and raise."""
    before = image_id(client, tag)
    repo, version = _split_tag(tag)
    client.api.tag(candidate, repo, version)
    if interrupt.received() is not None:
        if before is not None:
            client.api.tag(before, repo, version)
        else:
            client.api.remove_image(tag, noprune=True)
        raise KeyboardInterrupt


def _discard(client: Any, candidate: str | None, bp: BuildPlan) -> bool:
    """Remove a candidate image that no tag refers to; after an interrupt also the untagged
    images of this Restyfile the build may have finished without telling us. False when
    the engine could not be asked."""
    from docker.errors import APIError
    from requests.exceptions import RequestException

    try:
        if candidate is not None:
            img = client.images.get(candidate)
            if not img.tags:
                client.images.remove(candidate, force=False, noprune=False)
        if interrupt.received() is not None:
            digest = dict(bp.labels)["io.restybuild.restyfile.sha256"]
            client.images.prune(filters={"dangling": True,
                                         "label": f"io.restybuild.restyfile.sha256={digest}"})
    except APIError:
        return True  # the daemon answered: gone already, or in use by another run
    except (RequestException, ConnectionError):
        return False
    return True
