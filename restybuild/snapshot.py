"""`restybuild base snapshot IMAGE`: read a local image's base facts through the engine.

Nothing of the image runs but ``nginx -V`` (in a throwaway container with no network);
every other fact is read from its files through the archive API (:class:`ImageFiles`).
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from restybuild.basefacts import PROBED, BaseFacts, accounts, packages, parse_nginx_v
from restybuild.engine import require_image, run_once, throwaway
from restybuild.errors import DockerUnavailable
from restybuild.records import replace

if TYPE_CHECKING:
    from restybuild.recipes import Flavor


def read_flavor_facts(client: Any, flavor: Flavor, ref: str = "",
                      nginx: str = "") -> BaseFacts:
    """The base facts of a recipe flavor's runtime image (or of `ref`, an image the
    Restyfile puts in its place), with the flavor's packaged modules."""
    return read_facts(client, ref or flavor.image, nginx or flavor.nginx,
                      flavor.modules_image, flavor.offered_files)


def read_facts(client: Any, ref: str, nginx: str, modules_image: str = "",
               offered: tuple[str, ...] = ()) -> BaseFacts:
    """The base facts of local image `ref` (never pulled), whose nginx is `nginx`; with the
    directives of the module files `offered` that `modules_image` holds (`module NAME`)."""
    from restybuild.elf.image import ImageFiles

    image_id = require_image(client, ref, "make or load it on this engine first; restybuild "
                                          "never pulls")
    result = run_once(client, image_id, [nginx, "-V"], timeout=60, entrypoint=[])
    if result.exit_code != 0:
        raise DockerUnavailable(f"`{nginx} -V` failed in {ref} (exit {result.exit_code})",
                                notes=tuple(result.output.splitlines()[-5:]),
                                hint="name the image's nginx in the recipe (`nginx`)")
    version, configure, modules = parse_nginx_v(result.output)
    with throwaway(client, image_id, ["/restybuild-snapshot"], entrypoint=[]) as container:
        files = ImageFiles(client, container)

        def text(path: str) -> str | None:
            data = files.read_file(path)
            return data.decode("utf-8", "replace") if data is not None else None

        facts = BaseFacts(image=ref, image_id=image_id, nginx=nginx, version=version,
                          configure=configure, modules=modules, dynamic_modules=())
        modules_dir = facts.option("modules-path") or posixpath.join(
            facts.option("prefix") or posixpath.dirname(posixpath.dirname(nginx)), "modules")
        dynamic = _listing(files, modules_dir, ".so")
        conf_files = _listing(files, facts.conf_dir, "")
        facts = BaseFacts(
            image=ref, image_id=image_id, nginx=nginx, version=version, configure=configure,
            modules=modules, dynamic_modules=dynamic, directives=_directives(files, nginx, dynamic),
            users=accounts(text("/etc/passwd") or ""), groups=accounts(text("/etc/group") or ""),
            packages=packages(text("/var/lib/dpkg/status"), text("/lib/apk/db/installed")),
            files=(*conf_files, *(f for f in PROBED if files.real(f) is not None)),
            probed=PROBED)
    extra = tuple(f for f in offered if posixpath.basename(f) not in
                  {posixpath.basename(d) for d in dynamic})
    if not (modules_image and extra):
        return facts
    source = require_image(client, modules_image, "make it, offline: restybuild base bootstrap")
    with throwaway(client, source, ["/restybuild-snapshot"], entrypoint=[]) as container:
        more = _directives(ImageFiles(client, container), "", extra)
    return replace(facts, directives=tuple(sorted({*facts.directives, *more})), offered=extra)


def _listing(files: Any, folder: str, suffix: str) -> tuple[str, ...]:
    """The regular files (and links) below `folder` of the image, whose name ends in
    `suffix`."""
    from docker.errors import APIError

    real = files.real(folder)
    if real is None:
        return ()
    try:
        entries = list(files.walk(real))
    except APIError:  # an unreadable folder is an empty one here
        return ()
    return tuple(sorted(posixpath.join(folder, posixpath.relpath(path, real))
                        for path, kind, _link, _data in entries
                        if kind in ("file", "symlink") and path.endswith(suffix)))


def _directives(files: Any, nginx: str,
                dynamic: tuple[str, ...]) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(directive, file that defines it, contexts) of nginx and its dynamic modules."""
    from restybuild.elf import ngxcmds
    from restybuild.elf.reader import NotElf

    out: list[tuple[str, str, tuple[str, ...]]] = []
    for path in (nginx, *dynamic) if nginx else dynamic:
        data = files.read_file(path)
        if data is None:
            continue
        try:
            found = ngxcmds.commands(data)
        except NotElf:  # not a module after all
            continue
        for cmd in found:
            out.append((cmd.name, path, tuple(sorted(ngxcmds.contexts(cmd)))))
    return tuple(sorted(set(out)))
