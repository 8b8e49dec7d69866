"""What a base image has, besides its libraries: nginx and its modules, the directives they
define, its accounts, its packages, and the files nginx finds there by default.

Lint reads these facts to predict what verification would find (an account the base
lacks, a directive no module of the base defines, an include of a file the image will not
have). They come, like the library index, from a snapshot the recipe ships
(``base_facts`` in a flavor; ``debian-bookworm`` has one), from the lock file, or from
``restybuild base snapshot IMAGE``, which reads a local image through the engine: it runs
``nginx -V`` in a throwaway container with no network and reads the rest of the image's
files through the archive API.
"""

from __future__ import annotations

import json
import posixpath
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restybuild.records import dataclass

if TYPE_CHECKING:
    from restybuild.recipes import Flavor

FORMAT = 1
#: Files outside nginx's conf folder that confs name by one distribution's path: the CA
#: bundle of `lua_ssl_trusted_certificate` (CentOS's, Debian's, Alpine's, openSUSE's). A
#: snapshot says which of them the base has (lint: a CentOS path on a Debian base).
PROBED = ("/etc/pki/tls/certs/ca-bundle.crt", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
          "/etc/pki/tls/cacert.pem", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem",
          "/etc/ssl/ca-bundle.pem")
_VERSION = re.compile(r"nginx version: (\S+)")
_ARGS = re.compile(r"^configure arguments: (.*)$", re.M)
_MODULE_ARG = re.compile(r"--with-(\w+_module)\b|--add(?:-dynamic)?-module=(\S+)")


@dataclass(frozen=True)
class BaseFacts:
    image: str
    image_id: str
    nginx: str  # the binary
    version: str  # "nginx/1.22.1", "openresty/1.21.4.3"
    configure: tuple[str, ...]  # nginx -V's configure arguments
    modules: tuple[str, ...]  # compiled in (--with-*_module, --add-module)
    dynamic_modules: tuple[str, ...]  # .so files of the image's modules folder
    #: directive -> the contexts it may stand in, for the binary and each dynamic module
    #: (restybuild.elf.ngxcmds); a directive a module defines counts once it is loaded
    directives: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (name, module file, ctx)
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()  # installed distribution packages
    #: nginx's default conf folder's files (mime.types...), and those of `probed` it has
    files: tuple[str, ...] = ()
    #: the well-known paths the snapshot looked for (:data:`PROBED`); () in older snapshots
    probed: tuple[str, ...] = ()
    #: module files the base lacks that `module NAME` adds (the recipe's modules image);
    #: their directives are in `directives` too, known once the module is declared
    offered: tuple[str, ...] = ()

    def option(self, name: str) -> str | None:
        """The value of a configure option (`--conf-path`), or None."""
        for arg in self.configure:
            if arg.startswith(f"--{name}="):
                return arg.split("=", 1)[1]
        return None

    @property
    def conf_dir(self) -> str:
        conf = self.option("conf-path") or posixpath.join(self.option("prefix") or "", "conf",
                                                           "nginx.conf")
        return posixpath.dirname(conf)

    @cached_property
    def _places(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        """directive -> (file that defines it, its contexts), built once: lint asks per
        directive."""
        out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for name, source, ctx in self.directives:
            out.setdefault(name, []).append((source, ctx))
        return out

    def _loaded(self, directive: str,
                loaded: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
        """The places of `directive` in nginx and the dynamic modules `loaded` (paths)."""
        names = {posixpath.basename(m) for m in loaded}
        return [(source, ctx) for source, ctx in self._places.get(directive, ())
                if source == self.nginx or posixpath.basename(source) in names]

    def known(self, directive: str, loaded: tuple[str, ...]) -> bool | None:
        """Whether nginx knows `directive` with the dynamic modules `loaded` (paths); None when
        the facts hold no directives (an older snapshot)."""
        if not self.directives:
            return None
        return bool(self._loaded(directive, loaded))

    def contexts(self, directive: str, loaded: tuple[str, ...]) -> frozenset[str]:
        """The contexts (`http_loc`, `stream_srv`...) `directive` may stand in, over nginx and
        the dynamic modules `loaded` (paths)."""
        return frozenset(c for _source, ctx in self._loaded(directive, loaded) for c in ctx)

    def providers(self, directive: str) -> tuple[str, ...]:
        """The dynamic module files that define `directive`: the base's first, then the
        ones `module NAME` offers."""
        found = {source for source, _ctx in self._places.get(directive, ())} - {self.nginx}
        return tuple(sorted(found, key=lambda f: (f in self.offered, f)))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "image": self.image, "image_id": self.image_id,
                "nginx": self.nginx, "version": self.version, "configure": list(self.configure),
                "modules": list(self.modules), "dynamic_modules": list(self.dynamic_modules),
                "directives": [[n, s, list(c)] for n, s, c in self.directives],
                "users": list(self.users), "groups": list(self.groups),
                "packages": list(self.packages), "files": list(self.files),
                "offered": list(self.offered), "probed": list(self.probed)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BaseFacts:
        if d.get("format") != FORMAT:
            raise ValueError(f"base facts format {d.get('format')} (expected {FORMAT})")
        return cls(
            image=str(d["image"]), image_id=str(d["image_id"]), nginx=str(d["nginx"]),
            version=str(d["version"]), configure=tuple(d["configure"]),
            modules=tuple(d["modules"]), dynamic_modules=tuple(d["dynamic_modules"]),
            directives=tuple((str(n), str(s), tuple(c)) for n, s, c in d["directives"]),
            users=tuple(d["users"]), groups=tuple(d["groups"]),
            packages=tuple(d["packages"]), files=tuple(d["files"]),
            offered=tuple(d.get("offered", ())), probed=tuple(d.get("probed", ())))

    def dumps(self) -> str:
        """One line per list item, for readable diffs of a shipped snapshot."""
        d = self.to_json()
        parts = []
        for key in sorted(d):
            value = d[key]
            if isinstance(value, list) and value:
                inner = ",\n  ".join(json.dumps(v) for v in value)
                parts.append(f"{json.dumps(key)}: [\n  {inner}\n]")
            else:
                parts.append(f"{json.dumps(key)}: {json.dumps(value)}")
        return "{\n" + ",\n".join(parts) + "\n}\n"


@lru_cache(maxsize=8)
def load_facts(path: str) -> BaseFacts:
    """A snapshot a base recipe ships (``base_facts``)."""
    return BaseFacts.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def flavor_facts(flavor: Flavor) -> BaseFacts | None:
    """The base facts `flavor`'s recipe ships (``base_facts`` of the flavor), or None when it
    ships none; a damaged snapshot is a ConfigError naming the file."""
    if not flavor.base_facts:
        return None
    try:
        return load_facts(flavor.base_facts)
    except OSError as e:
        from restybuild.errors import InputError

        raise InputError(f"cannot read {flavor.base_facts}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError) as e:
        from restybuild.errors import ConfigError

        raise ConfigError(f"{flavor.base_facts} is not a base-facts snapshot: {e}",
                          hint=f"write it again: restybuild base snapshot {flavor.recipe} -o "
                               f"{flavor.base_facts}") from None


def parse_nginx_v(text: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(version, configure arguments, compiled-in modules) from `nginx -V`'s output."""
    import shlex

    version = _VERSION.search(text)
    args_line = _ARGS.search(text)
    try:
        configure = tuple(shlex.split(args_line.group(1))) if args_line else ()
    except ValueError:
        configure = tuple(args_line.group(1).split()) if args_line else ()
    modules = []
    for arg in configure:
        m = _MODULE_ARG.match(arg)
        if m:
            modules.append(m.group(1) or posixpath.basename(m.group(2).rstrip("/")))
    return (version.group(1) if version else ""), configure, tuple(modules)


def accounts(passwd: str) -> tuple[str, ...]:
    """The names of /etc/passwd or /etc/group."""
    return tuple(sorted({line.split(":", 1)[0] for line in passwd.splitlines()
                         if line and not line.startswith("#") and ":" in line}))


def packages(dpkg_status: str | None, apk_installed: str | None) -> tuple[str, ...]:
    """Installed packages from dpkg's status file or apk's database."""
    out: set[str] = set()
    if dpkg_status:
        for stanza in dpkg_status.split("\n\n"):
            fields = dict(line.split(": ", 1) for line in stanza.splitlines()
                          if ": " in line and not line.startswith(" "))
            if "Package" in fields and fields.get("Status", "").endswith(" installed"):
                out.add(fields["Package"])
    if apk_installed:
        out |= {line[2:] for line in apk_installed.splitlines() if line.startswith("P:")}
    return tuple(sorted(out))
