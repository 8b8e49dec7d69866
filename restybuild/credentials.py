"""The credentials for a registry, read from the Docker config as the docker CLI reads them.

The docker CLI (its ``cli/config`` package) does this, and so does this module:

0. ``DOCKER_AUTH_CONFIG`` (recent CLIs), when set, is a config's JSON whose ``auths``
   entry for the host wins over everything below (one that does not parse is ignored).
1. The config file is ``$DOCKER_CONFIG/config.json`` when ``DOCKER_CONFIG`` is set, else
   ``~/.docker/config.json``; no file means no credentials (an anonymous push).
2. The store for a registry host is the helper ``credHelpers[HOST]`` names, else the one
   ``credsStore`` names, else the file itself.
3. A helper store runs ``docker-credential-NAME get`` with the server address (the host,
   ``HOST[:PORT]``) on stdin and reads ``{"ServerURL", "Username", "Secret"}`` on stdout;
   a Username of ``<token>`` makes the Secret an identity token. "credentials not found"
   means none: the CLI then sends no credentials, it does not fall back to ``auths``.
   A helper that is not on PATH, or fails otherwise, is an error (the CLI's "error getting
   credentials"), not an anonymous push.
4. The file store is ``auths[HOST]`` (a key written as a URL counts by its host):
   ``auth`` is base64 ``user:password``; ``identitytoken`` a token.

The result is the ``X-Registry-Auth`` the engine gets with the push
(:func:`restybuild.push.push_image`), so the Docker SDK never reads the config on its own.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from restybuild.errors import ConfigError, InputError, Span
from restybuild.records import dataclass

PREFIX = "docker-credential-"
TOKEN_USERNAME = "<token>"
NOT_FOUND = "credentials not found in native keychain"  # the helpers' own words
HELPER_TIMEOUT = 60  # seconds; a helper that waits on a locked keyring does not hang a push
INDEX_SERVER = "https://index.docker.io/v1/"  # the key Docker Hub's credentials have


@dataclass(frozen=True)
class Credentials:
    auth: dict[str, str]  # the engine's AuthConfig fields; {} is anonymous
    source: str  # where they came from, for messages: "docker-credential-x (credsStore ...)"


def config_path() -> Path:
    """The Docker config the docker CLI reads."""
    folder = os.environ.get("DOCKER_CONFIG")
    return Path(folder) / "config.json" if folder else Path.home() / ".docker" / "config.json"


def load_config(path: Path) -> dict[str, Any]:
    """The config file as a dict; {} when there is none; a bad one is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise InputError(f"cannot read the Docker config {path}: {e.strerror or e}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"the Docker config is not JSON: {e.msg}",
                          span=Span(str(path), e.lineno, e.colno),
                          hint="fix it, or log in again: docker login HOST") from None
    if not isinstance(data, dict):
        raise ConfigError("the Docker config is not a JSON object", span=Span(str(path), 1, 1))
    return data


def sdk_refusal(error: Exception) -> ConfigError:
    """The error for a Docker config the Docker SDK cannot read while it connects: it decodes
    every `auths` entry's ``auth`` as base64 ``USER:PASSWORD`` and raises on the first that is
    not, whichever registry this run talks to. Names the entries it cannot decode."""
    path = config_path()
    auths = load_config(path).get("auths")
    bad = sorted(str(key) for key, entry in (auths.items() if isinstance(auths, dict) else ())
                 if isinstance(entry, dict) and "auth" in entry
                 and "identitytoken" not in entry and not _sdk_decodes(entry["auth"]))
    which = (f"the `auth` of {', '.join(bad)}" if bad
             else "an entry of it")
    return ConfigError(
        f"the Docker config {path} cannot be read by the Docker SDK: {which} is not base64 "
        f"USER:PASSWORD ({error})",
        hint="log in again (docker login HOST), remove the entry, or point DOCKER_CONFIG at a "
             "folder with a good config.json")


def _sdk_decodes(auth: Any) -> bool:
    """Whether the Docker SDK's decode_auth takes `auth` (base64 of text with a colon)."""
    if not isinstance(auth, str) or not auth:
        return False
    try:
        login, sep, password = base64.b64decode(auth.encode("ascii")).partition(b":")
        login.decode("utf-8"), password.decode("utf-8")
    except ValueError:  # binascii.Error and the Unicode errors are ValueErrors
        return False
    return bool(sep)


def server_address(registry: str) -> str:
    """What the CLI names a registry by in the config and to a helper."""
    if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        return INDEX_SERVER
    return registry


def helper_for(config: dict[str, Any], registry: str) -> tuple[str, str] | None:
    """(helper name, the config key that names it) for `registry`, or None: the file."""
    helpers = config.get("credHelpers")
    server = server_address(registry)
    if isinstance(helpers, dict) and isinstance(helpers.get(server), str) and helpers[server]:
        return helpers[server], f"credHelpers[{server!r}]"
    store = config.get("credsStore")
    if isinstance(store, str) and store:
        return store, "credsStore"
    return None


def check_helper(registry: str) -> None:
    """Before a long build: the helper the config names for `registry` is on PATH."""
    path = config_path()
    helper = helper_for(load_config(path), registry)
    if helper is not None and shutil.which(PREFIX + helper[0]) is None:
        raise _missing(helper, registry, path)


def for_registry(registry: str) -> Credentials:
    """The credentials the docker CLI would send to `registry` (HOST[:PORT])."""
    server = server_address(registry)
    from_env = _from_env(server)
    if from_env is not None:
        return from_env
    path = config_path()
    config = load_config(path)
    helper = helper_for(config, registry)
    if helper is not None:
        return _from_helper(helper, registry, server, path)
    entry = _auth_entry(config.get("auths"), server)
    if entry is None:
        return Credentials({}, f"none ({path} has no entry for {server})")
    return _from_entry(entry, server, f"`auths` of {path}")


def _from_env(server: str) -> Credentials | None:
    """The `auths` entry of DOCKER_AUTH_CONFIG for `server`, if there is one."""
    text = os.environ.get("DOCKER_AUTH_CONFIG", "")
    try:
        data = json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None  # as the CLI: the stores below answer
    entry = _auth_entry(data.get("auths") if isinstance(data, dict) else None, server)
    if entry is None or not (entry.get("auth") or entry.get("identitytoken")):
        return None
    return _from_entry(entry, server, "`auths` of DOCKER_AUTH_CONFIG")


def _from_entry(entry: dict[str, Any], server: str, where: str) -> Credentials:
    if entry.get("identitytoken"):
        return Credentials({"identitytoken": str(entry["identitytoken"]),
                            "serveraddress": server}, where)
    if not entry.get("auth"):
        return Credentials({}, f"none (the entry for {server} in {where} is empty)")
    user, password = _decode(str(entry["auth"]), server, where)
    return Credentials({"username": user, "password": password, "serveraddress": server}, where)


def _auth_entry(auths: Any, server: str) -> dict[str, Any] | None:
    if not isinstance(auths, dict):
        return None
    if isinstance(auths.get(server), dict):
        return dict(auths[server])
    for key, entry in auths.items():  # a key written as a URL: its host counts
        host = str(key).removeprefix("https://").removeprefix("http://").split("/", 1)[0]
        if host == server and isinstance(entry, dict):
            return dict(entry)
    return None


def _decode(auth: str, server: str, where: str) -> tuple[str, str]:
    try:
        user, sep, password = base64.b64decode(auth, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        sep, user, password = "", "", ""
    if not sep or not user:
        raise ConfigError(f"the `auth` of {server} in the {where} is not base64 "
                          "USER:PASSWORD", hint=f"log in again: docker login {server}")
    return user, password.strip("\x00")


def _missing(helper: tuple[str, str], registry: str, path: Path) -> ConfigError:
    name, key = helper
    return ConfigError(
        f"the credential helper {PREFIX}{name} is not on PATH ({key} in {path} names it "
        f"for {registry})",
        hint=f"install {PREFIX}{name}, put its folder on PATH, or remove {key} from {path}")


def _from_helper(helper: tuple[str, str], registry: str, server: str,
                 path: Path) -> Credentials:
    name, key = helper
    program = shutil.which(PREFIX + name)
    if program is None:
        raise _missing(helper, registry, path)
    source = f"{PREFIX}{name} ({key} in {path})"
    try:
        proc = subprocess.run([program, "get"], input=server, capture_output=True, text=True,
                              errors="replace", timeout=HELPER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"the credential helper {PREFIX}{name} did not answer within "
                         f"{HELPER_TIMEOUT}s for {server}",
                         hint="unlock its store (a keyring, a password manager) and push "
                              "again") from None
    except OSError as e:
        raise InputError(f"cannot run the credential helper {program}: {e.strerror or e}",
                         hint=f"make it executable, or remove {key} from {path}") from None
    said = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
    if proc.returncode != 0:
        if NOT_FOUND in proc.stdout or NOT_FOUND in proc.stderr:
            return Credentials({}, f"none ({PREFIX}{name} has none for {server})")
        raise InputError(
            f"the credential helper {PREFIX}{name} failed for {server} (exit "
            f"{proc.returncode}): {said[0] if said else 'no output'}",
            hint=f"check it: echo {server} | {PREFIX}{name} get; or log in again: "
                 f"docker login {server}")
    return Credentials(_parse(proc.stdout, name, server), source)


def _parse(output: str, name: str, server: str) -> dict[str, str]:
    try:
        data = json.loads(output)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("Secret", ""), str) \
            or not isinstance(data.get("Username", ""), str):
        raise InputError(f"the credential helper {PREFIX}{name} answered for {server} with "
                         "something else than its JSON ({\"Username\": ..., \"Secret\": ...})",
                         hint=f"check it: echo {server} | {PREFIX}{name} get")
    user, secret = data.get("Username", ""), data.get("Secret", "")
    if not user and not secret:
        return {}
    if user == TOKEN_USERNAME:
        return {"identitytoken": secret, "serveraddress": server}
    return {"username": user, "password": secret, "serveraddress": server}
