"""Image references as the Docker engine parses them (the distribution project's grammar).

``[HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST]``: the host is DNS components (any case) or an
IPv4 address, PATH is lowercase components (``a-z0-9`` joined by ``.``, ``_``, ``__`` or
dashes) separated by ``/``, the TAG ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``, the name (host
and path) at most 255 characters. `build -t`, `push` and `k8s --image` check theirs here
before anything runs, so a bad one is named at once instead of by the engine after a build
or by the kubelet at the first pull.
"""

from __future__ import annotations

import re

from restybuild.errors import ConfigError

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = rf"(?:{_HOST}(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#: NAME[:TAG]: what `build -t` and `push` take.
TAG_RE = re.compile(rf"(?P<name>{_NAME})(?::{_TAG})?")
#: NAME[:TAG][@sha256:DIGEST]: what a pod's image may be.
REF_RE = re.compile(rf"(?P<name>{_NAME})(?::{_TAG})?(?:@sha256:[0-9a-f]{{64}})?")
MAX_NAME = 255


def _problem(ref: str) -> str | None:
    """What is wrong with `ref` as a reference with an optional digest, or None."""
    if not ref:
        return "it is empty"
    if any(c.isspace() for c in ref):
        return "it has white space in it"
    match = REF_RE.fullmatch(ref)
    if match is None:
        name = re.split(r"[:@]", ref.rpartition("/")[2])[0]
        if name != name.lower():
            return "the repository name must be lowercase"
        if "@" in ref:
            return "a digest is @sha256: and 64 lowercase hex digits"
        return "it is not [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST]"
    if len(match["name"]) > MAX_NAME:
        return f"the name is longer than {MAX_NAME} characters"
    return None


def check_tag(tag: str, option: str) -> None:
    """Refuse `tag` unless it is NAME[:TAG] (no digest: it names what a build makes)."""
    problem = "a tag names no digest" if "@" in tag and _problem(tag) is None else _problem(tag)
    if problem is not None:
        raise ConfigError(f"`{_shown(tag)}` is not an image tag: {problem}",
                          hint=f"write {option} [HOST[:PORT]/]NAME[:TAG], e.g. "
                               "registry.example:5000/team/app:1.0")


def check_reference(ref: str, option: str) -> None:
    """Refuse `ref` unless it is NAME[:TAG][@sha256:DIGEST]."""
    problem = _problem(ref)
    if problem is not None:
        raise ConfigError(f"`{_shown(ref)}` is not an image reference: {problem}",
                          hint=f"write {option} [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST], e.g. "
                               "registry.example:5000/team/app@sha256:0123... (build --push "
                               "prints it)")


def _shown(text: str) -> str:
    """`text` fit for one line of a message: control characters escaped."""
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
