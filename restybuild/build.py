"""Build, verify, tag: the tag moves only after the candidate proved itself."""

from __future__ import annotations

from typing import Any

from restybuild import interrupt, timings
from restybuild.builder import build_image
from restybuild.elf.libindex import LibraryIndex
from restybuild.engine import connect, forget_candidate, image_id, local_image, record_candidate
from restybuild.errors import ConfigError, DockerUnavailable, Span
from restybuild.lock import BaseIndex, choose_index
from restybuild.model import Project
from restybuild.plan import BuildPlan, plan
from restybuild.progress import Progress
from restybuild.push import Pushed, push_image, split_tag
from restybuild.records import dataclass
from restybuild.render import render_dockerfile
from restybuild.source import SourceTree
from restybuild.verify import VerifyReport
from restybuild.verifyrun import verify


@dataclass(frozen=True)
class BuildResult:
    image_id: str
    tag: str
    plan: BuildPlan
    report: VerifyReport
    pushed: Pushed | None = None


def check_bases(client: Any, bp: BuildPlan, project: Project, pull: bool) -> None:
    """Refuse to start when a base image is missing and may not be pulled."""
    from restybuild import recipes

    recipe = recipes.load(project.flavor.recipe)
    boot = recipe.bootstrap
    engine_arch = _arch(str(client.info().get("Architecture", "")))
    for ref in filter(None, (bp.runtime_image, bp.builder_image, bp.modules_image)):
        image = local_image(client, ref)
        if image is not None:
            image_arch = _arch(str(image.attrs.get("Architecture", "")))
            if engine_arch and image_arch and image_arch != engine_arch:
                raise DockerUnavailable(
                    f"the base image {ref} is for {image_arch}, but this Docker engine runs "
                    f"{engine_arch}", hint="use an image of the engine's architecture, or "
                    "an engine of the image's (DOCKER_HOST)")
            continue
        if boot is not None and ref in (boot.runtime_tag, boot.builder_tag, boot.modules_tag):
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
                  client: Any = None, base: BaseIndex | None = None,
                  progress: Progress | None = None, push: bool = False,
                  no_cache: bool = False) -> BuildResult:
    """Plan, build, verify; tag only a verified image; remove a failed candidate; with
    `push`, push the image once tagged (a candidate that failed is never pushed).

    The base facts are the ones `plan` would use (:func:`restybuild.lock.choose_index`);
    a lock must still describe the image the engine has under that name, and a base
    with none is read from the engine (it is there: the build needs it).

    An interrupt at any moment leaves the tag where it was: it is recorded when it
    arrives (:mod:`restybuild.interrupt`), checked right before the tag moves, and a
    tag moved while one arrived is put back.
    """
    tree = SourceTree()
    base = base if base is not None else choose_index(project, tree)
    # plan before asking the engine anything, unless only the engine knows the base
    live = base.index is None and bool(project.natives)
    facts = base.facts
    bp = None if live else plan(project, base.index, tree, facts)
    timings.mark("plan")
    client = client or connect()
    timings.mark("connect")
    index = _engine_index(client, project, base)
    bp = bp or plan(project, index, tree, facts)
    progress = progress or Progress(quiet=quiet)
    for warning in bp.warnings:
        progress.warn(warning)
    dockerfile = render_dockerfile(bp)
    timings.mark("render")
    check_bases(client, bp, project, pull)
    timings.mark("check bases")
    candidate: str | None = None
    try:
        progress.begin(f"building {project.name} ({len(bp.context)} context files)")
        candidate = build_image(client, bp, dockerfile, progress, pull=pull, no_cache=no_cache)
        record_candidate(candidate)
        progress.end(f"built candidate {candidate[:19]}")
        timings.mark("build")
        progress.begin(f"verifying candidate {candidate[:19]}: nginx -t, boot check")
        report = verify(client, candidate, bp, reuse=not no_cache, say=progress.note)
        timings.mark("verify")
        with interrupt.shielded():
            interrupt.check()
            _move_tag(client, candidate, tag)
        timings.mark("tag")
        progress.end(f"verified {candidate[:19]}")
    except BaseException:
        with interrupt.shielded():
            progress.close()
            if _discard(client, candidate, bp):
                forget_candidate()  # else the next run removes it (engine.remove_stale)
        raise
    forget_candidate()
    pushed = push_image(client, tag, progress) if push else None
    return BuildResult(candidate, tag, bp, report, pushed)


def _engine_index(client: Any, project: Project, base: BaseIndex) -> LibraryIndex | None:
    """The base facts to build with: the chosen ones, checked against the engine's image."""
    ref = project.runtime_image
    image = local_image(client, ref)
    lock = base.lock
    if lock is not None and image is not None:
        _as_pinned("base image", ref, str(image.id), lock.image_id, base.source,
                   project.base.span)
    packaged = [m for m in project.modules if m.file]
    if lock is not None and lock.modules_id and packaged:
        modules = local_image(client, lock.modules_ref)
        if modules is not None:
            _as_pinned("modules image", lock.modules_ref, str(modules.id), lock.modules_id,
                       base.source, packaged[0].span)
    if base.index is None and image is not None and project.natives:
        from restybuild.elf.image import read_index

        return read_index(client, ref, (project.flavor.nginx, *project.flavor.load_modules))
    return base.index


def _as_pinned(what: str, ref: str, found: str, pinned: str, source: str,
               span: Span | None) -> None:
    if found != pinned:
        raise ConfigError(
            f"the {what} {ref} on this engine ({found[:19]}) is not the one {source} pins "
            f"({pinned[:19]})", span=span,
            hint="if the new image is meant, write the lock again: restybuild lock")


def _move_tag(client: Any, candidate: str, tag: str) -> None:
    """Point `tag` at `candidate`; if a signal arrived meanwhile, point it back and raise."""
    before = image_id(client, tag)
    repo, version = split_tag(tag)
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
