"""The typed, frozen model of a Restyfile that every later stage reads.

Paths on the left of `->` (``src``) are POSIX paths relative to the project
folder (the Restyfile's folder); destinations (``dst``) are absolute paths in
the image, already joined with the nginx prefix.
"""

from __future__ import annotations

from restybuild.errors import Span
from restybuild.recipes import Flavor
from restybuild.records import dataclass


@dataclass(frozen=True)
class Base:
    recipe: str
    version: str | None
    flavor: str | None
    image: str | None  # explicit `base image REF`
    digest: str | None
    span: Span


@dataclass(frozen=True)
class Copy:
    """A folder of the project copied into the image (conf, lua)."""

    src: str
    dst: str
    span: Span


@dataclass(frozen=True)
class DataDir:
    """A folder the app writes at run time: empty in the image, writable (a tmpfs, an
    emptyDir)."""

    path: str  # absolute, in the image
    size: int | None  # bytes; the emptyDir's sizeLimit
    span: Span


@dataclass(frozen=True)
class Native:
    src: str
    dst: str  # folder in the image that is on lua_package_cpath
    search: tuple[str, ...]
    span: Span


@dataclass(frozen=True)
class Rock:
    name: str | None  # `rock NAME VERSION`
    version: str | None
    path: str | None  # `rock PATH.rockspec` / `rock PATH.rock`
    span: Span

    @property
    def label(self) -> str:
        return self.path or f"{self.name} {self.version}"


@dataclass(frozen=True)
class SystemPackage:
    build: str
    runtime: str | None
    span: Span


@dataclass(frozen=True)
class Rocks:
    tree: str  # absolute path of the tree in the image
    server: str | None  # project-relative folder or URL
    server_is_url: bool
    rocks: tuple[Rock, ...]
    system: tuple[SystemPackage, ...]
    span: Span


@dataclass(frozen=True)
class SharedDict:
    name: str
    size: int  # bytes
    size_text: str
    span: Span


@dataclass(frozen=True)
class Workers:
    count: int  # resolved count (from the CPU limit for `workers cpu`)
    from_cpu: bool
    span: Span


@dataclass(frozen=True)
class Resources:
    request_cpu: int | None  # millicores
    request_memory: int | None  # bytes
    limit_cpu: int | None
    limit_memory: int | None
    span: Span


@dataclass(frozen=True)
class Probe:
    kind: str  # liveness | readiness | startup
    type: str  # http
    path: str
    port: int
    period: int | None
    timeout: int | None
    span: Span
    initial_delay: int | None = None  # seconds before the first probe (Kubernetes)
    failure_threshold: int | None = None  # failed probes before Kubernetes acts


@dataclass(frozen=True)
class Metrics:
    kind: str  # prometheus
    port: int
    path: str
    span: Span


@dataclass(frozen=True)
class Module:
    """`module NAME`: an nginx dynamic module of the base's distribution (the recipe's
    [modules] table)."""

    name: str
    package: str  # "" when builtin
    file: str  # its .so in the image; "" when builtin (compiled into the base's nginx)
    span: Span

    @property
    def builtin(self) -> bool:
        return not self.file


@dataclass(frozen=True)
class Scale:
    """`scale MIN..MAX cpu PERCENT`: the HorizontalPodAutoscaler of `restybuild k8s`."""

    min_replicas: int
    max_replicas: int
    cpu_percent: int  # average CPU use, as a percentage of the CPU request
    span: Span


@dataclass(frozen=True)
class EnvVar:
    key: str
    value: str
    span: Span


@dataclass(frozen=True)
class Project:
    """Everything a Restyfile says, checked and resolved against its base recipe."""

    restyfile: str  # path of the Restyfile as given
    root: str  # absolute path of the project folder
    version: int
    name: str
    base: Base
    flavor: Flavor
    prefix: str
    conf: Copy | None
    lua: tuple[Copy, ...]
    natives: tuple[Native, ...]
    rocks: Rocks | None
    shared_dicts: tuple[SharedDict, ...]
    workers: Workers | None
    resources: Resources | None
    probes: tuple[Probe, ...]
    metrics: Metrics | None
    env: tuple[EnvVar, ...]
    expose: tuple[int, ...]
    files: tuple[Copy, ...] = ()  # folders shipped as they are (not Lua)
    data: tuple[DataDir, ...] = ()  # folders written at run time
    scale: Scale | None = None  # the autoscaler's bounds and target
    modules: tuple[Module, ...] = ()  # `module NAME`: dynamic modules of the distribution

    @property
    def image_name(self) -> str:
        return self.name

    @property
    def runtime_image(self) -> str:
        if self.base.image:
            return self.base.image + (f"@{self.base.digest}" if self.base.digest else "")
        return self.flavor.image
