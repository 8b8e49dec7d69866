"""What each step of ``discover`` found, as frozen values, and the findings it reports."""

from __future__ import annotations

from restybuild.records import dataclass, field


@dataclass(frozen=True)
class Finding:
    """Something the user must know: what will break, where it was seen, how to fix it."""

    step: str  # nginx | conf | rocks | natives | layout | lint | build
    severity: str  # error | warning | info
    message: str
    where: str = ""  # a path of the host (or the checkout), with :line when known
    hint: str = ""

    def render(self) -> str:
        head = f"{self.where}: " if self.where else ""
        text = f"{head}{self.severity}: [{self.step}] {self.message}"
        return text + (f"\n  fix: {self.hint}" if self.hint else "")


@dataclass(frozen=True)
class NginxFacts:
    """`nginx -V` of the running nginx, and the base chosen for it."""

    version: str  # "openresty/1.13.6.2", "nginx/1.20.1", "" when not known
    compiler: str  # "gcc 4.8.5 20150623 (Red Hat 4.8.5-44) (GCC)"
    openssl: str  # "OpenSSL 1.0.2k-fips  26 Jan 2017"
    configure: tuple[str, ...]
    family: str  # centos | debian | alpine | "" (not known)
    recipe: str
    flavor: str | None
    base_version: str | None
    base_line: str  # the `base ...` statement
    comments: tuple[str, ...]  # why this base, EOL, what to test next
    lacking: tuple[str, ...]  # modules the host had that the base lacks
    modules: tuple[str, ...] = ()  # the modules the host had
    #: (recipe module, the old nginx's modules it brings): `module NAME` lines to write
    declare: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def option(self, name: str) -> str | None:
        for arg in self.configure:
            if arg.startswith(f"--{name}="):
                return arg.split("=", 1)[1]
        return None


@dataclass(frozen=True)
class Listen:
    port: int
    loopback: bool


@dataclass(frozen=True)
class Health:
    """A health-like location the conf answers itself, on a port the pod's address reaches."""

    path: str  # what a probe requests ("/healthz")
    port: int
    answer: str  # "return 200", "stub_status", "content_by_lua_block"...
    where: str  # the location's place (file:line:col)

    @property
    def lua(self) -> bool:
        """Answered by the app's Lua (tests the app), not by nginx alone."""
        return "_by_lua" in self.answer


@dataclass(frozen=True)
class ConfFacts:
    """The running nginx's conf, read as nginx reads it (includes followed)."""

    main: str  # absolute path on the host ("/usr/local/openresty/nginx/conf/nginx.conf")
    prefix: str  # nginx's prefix (-p)
    files: tuple[str, ...]  # every conf file read, host paths
    package_path: tuple[str, ...]  # lua_package_path entries, expanded ($prefix, relative)
    package_cpath: tuple[str, ...]
    dicts: tuple[tuple[str, str], ...]  # (name, size)
    workers: str | None  # worker_processes as written
    user: str | None
    listens: tuple[Listen, ...]
    lua_files: tuple[str, ...]  # *_by_lua_file targets, host paths
    static_dirs: tuple[str, ...]  # root/alias folders, host paths
    referenced: tuple[str, ...]  # other files named (certificates, mime.types...), host paths
    directives: tuple[tuple[str, str], ...] = ()  # (name, where) of the first use of each
    health: tuple[Health, ...] = ()  # health-like locations, in conf order


@dataclass(frozen=True)
class RockPin:
    name: str
    version: str
    note: str = ""  # system packages it needs
    system: tuple[tuple[str, str], ...] = ()  # (build package, runtime package)
    deps: tuple[str, ...] = ()  # the installed rocks it depends on (its manifest entry)
    tree: str = ""  # the tree it is installed in (host path)


@dataclass(frozen=True)
class RocksFacts:
    tree: str  # host path of the tree ("/usr/local/openresty/luajit")
    rocks: tuple[RockPin, ...]
    owned: frozenset[str]  # host paths of the files the rocks installed


@dataclass(frozen=True)
class NativeFacts:
    path: str  # host path of the .so
    dst: str  # the cpath folder it sits in (image path)
    deps: tuple[tuple[str, str], ...]  # (soname, host path) the base lacks, to copy
    missing: tuple[str, ...]  # sonames found nowhere


@dataclass(frozen=True)
class Discovery:
    """Everything found, ready to be laid out as a project."""

    root: str
    host: bool  # a copy of a host's files (else an app's checkout)
    nginx: NginxFacts
    conf: ConfFacts | None
    rocks: tuple[RocksFacts, ...]
    natives: tuple[NativeFacts, ...]
    findings: tuple[Finding, ...] = field(default=())
    #: every rock of every tree once, as Lua loads it (the tree earlier on the Lua path
    #: wins a rock two trees have), each after the rocks it depends on
    pins: tuple[RockPin, ...] = ()
    #: the old host's OpenResty bundle lualib (its bundled resty.*, ngx.*, cjson), which
    #: every OpenResty base has: never shipped; "" when the host has none
    bundle: str = ""
