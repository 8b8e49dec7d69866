"""Make a base image offline: mmdebstrap from Debian packages, then `docker import`.

No image registry is involved: the packages come from the Debian archive the
host's apt already uses (or `--mirror`), the image from the tarball.
"""

from __future__ import annotations

import posixpath
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from restybuild import recipes
from restybuild.engine import image_id
from restybuild.errors import ConfigError
from restybuild.progress import Progress

HOST_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*",
            "/usr/share/lintian/*")
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def default_mirror(suite: str) -> str | None:
    """The host's apt sources when they are for `suite` (keeps local mirrors and proxies)."""
    for path in HOST_SOURCES:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if suite in text:
            return str(path)
    return None


def mmdebstrap_command(suite: str, variant: str, packages: list[str], target: str,
                       mirror: str | None) -> list[str]:
    cmd = ["mmdebstrap", f"--variant={variant}", "--include=" + ",".join(packages)]
    cmd += [f"--dpkgopt=path-exclude={p}" for p in EXCLUDES]
    cmd += ['--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin '
            '"$1"/var/cache/apt/archives/*.deb "$1"/var/log/*.log',
            suite, target]
    if mirror:
        cmd.append(mirror)
    return cmd


def bootstrap(client: Any, name: str, *, force: bool = False, mirror: str | None = None,
              progress: Progress | None = None) -> list[str]:
    """Make the runtime and builder images of recipe `name`, and the image of its [modules]
    files; return the tags made."""
    progress = progress or Progress()
    recipe = recipes.load(name)
    boot = recipe.bootstrap
    if boot is None:
        raise ConfigError(f"recipe `{name}` is not built from packages; pull its image instead",
                          hint="bootstrappable: " + ", ".join(
                              r for r in recipes.available()
                              if recipes.load(r).bootstrap is not None))
    if shutil.which("mmdebstrap") is None:
        raise ConfigError("mmdebstrap is not installed", hint="apt-get install mmdebstrap")
    suite = boot.suite
    mirror = mirror or default_mirror(suite)
    runtime_pkgs = list(boot.runtime_packages)
    images = [(boot.runtime_tag, boot.variant, runtime_pkgs, '["nginx", "-g", "daemon off;"]'),
              (boot.builder_tag, boot.variant, runtime_pkgs + list(boot.builder_packages),
               '["bash"]')]
    if boot.modules_tag and boot.module_packages:
        # only the packages (and what they need) unpacked, nothing installed: the files of
        # the [modules] are kept, at the versions the suite has now, as the base's nginx
        images.append((boot.modules_tag, "extract", list(boot.module_packages), ""))
    made: list[str] = []
    for tag, variant, pkgs, cmd in images:
        if not force and image_id(client, tag) is not None:
            progress.note(f"{tag}: already on this engine (use --force to rebuild)")
            continue
        keep = frozenset(m.file for m in recipe.modules if m.file) if variant == "extract" \
            else None
        what = f"{suite} with {len(pkgs)} packages" + (" (unpacked only)" if keep else "")
        _make_image(client, recipe.name, tag, what,
                    mmdebstrap_command(suite, variant, pkgs, "{}", mirror), cmd, keep, progress)
        made.append(tag)
    return made


def _make_image(client: Any, recipe: str, tag: str, what: str, command: list[str], cmd: str,
                keep: frozenset[str] | None, progress: Progress) -> None:
    """mmdebstrap `command` (its target "{}") into a tarball, keep only the files `keep`
    when given, and import it as `tag`."""
    from docker.errors import APIError

    with tempfile.TemporaryDirectory(prefix="restybuild-bootstrap-") as tmp:
        tarball = str(Path(tmp) / "rootfs.tar")
        progress.begin(f"{tag}: mmdebstrap {what}")
        returncode = _run_showing([tarball if c == "{}" else c for c in command], progress)
        if returncode != 0:
            progress.close()
            raise ConfigError(f"mmdebstrap failed for {tag} (exit {returncode})",
                              notes=("\n".join(progress.tail[-15:]),))
        if keep is not None:
            tarball = _only(tarball, keep, str(Path(tmp) / "modules.tar"))
        progress.end(f"{tag}: root filesystem made")
        progress.begin(f"{tag}: importing it into the Docker engine")
        repo, _, version = tag.rpartition(":")
        # `docker import` takes CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME and
        # WORKDIR changes (not STOPSIGNAL: the planner sets it in every image)
        changes = [f"ENV {PATH_ENV}", f"LABEL io.restybuild.recipe={recipe}"]
        if cmd:
            changes.append(f"CMD {cmd}")
        try:
            client.api.import_image_from_file(tarball, repository=repo, tag=version,
                                              changes=changes)
        except APIError as e:
            progress.close()
            raise ConfigError(f"the Docker engine refused to import {tag}: "
                              f"{e.explanation or e}") from None
        progress.end(f"{tag}: imported ({image_id(client, tag)})")


def _only(tarball: str, keep: frozenset[str], out: str) -> str:
    """A copy of `tarball` with only the files `keep` (absolute paths) and their folders; a
    file the packages did not install is an error naming it."""
    import tarfile

    wanted = {"./" + k.lstrip("/") for k in keep}
    folders = {posixpath.dirname(w) for w in wanted}
    while any(posixpath.dirname(f) not in folders and f != "." for f in folders):
        folders |= {posixpath.dirname(f) for f in folders if f != "."}
    found: set[str] = set()
    with tarfile.open(tarball) as src, tarfile.open(out, "w") as dst:
        for member in src:
            if member.name in folders and member.isdir():
                dst.addfile(member)
            elif member.name in wanted and member.isfile():
                dst.addfile(member, src.extractfile(member))
                found.add(member.name)
    missing = sorted(wanted - found)
    if missing:
        raise ConfigError("the [modules] packages installed no " + ", ".join(
            m[1:] for m in missing), hint="fix `file` in the recipe's [modules] table")
    return out


def _run_showing(command: list[str], progress: Progress) -> int:
    """Run `command`, its stderr lines shown as they come (and kept: progress.tail)."""
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    try:
        assert proc.stderr is not None
        for text in proc.stderr:
            progress.line(text)
        return proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
