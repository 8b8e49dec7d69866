"""The Restyfile's typed syntax tree: frozen nodes with spans, one class per statement form.

:mod:`restybuild.parser` builds it from Lark's parse tree with a Transformer
(the pattern of Lark's ``create_ast`` example); the resolver reads only these
nodes. Each statement class names its grammar rule (``RULE``) and its keyword
(``KEYWORD``, a key of :data:`restybuild.statements.STATEMENTS`).
"""

from __future__ import annotations

from typing import ClassVar, Optional, TypeVar, Union

from restybuild.errors import Span
from restybuild.records import dataclass


@dataclass(frozen=True)
class Value:
    """A bare word or a quoted string; `text` has the quotes and escapes removed."""

    text: str
    raw: str  # as written
    span: Span

    @property
    def quoted(self) -> bool:
        return self.raw.startswith('"')


@dataclass(frozen=True)
class Option:
    """`key value` after a statement's arguments (`port 80`, `period 5s`)."""

    RULE: ClassVar[str] = "option"
    key: str
    key_span: Span
    value: Value
    span: Span


@dataclass(frozen=True)
class RestyfileStmt:
    RULE: ClassVar[str] = "restyfile_stmt"
    KEYWORD: ClassVar[str] = "restyfile"
    version: Value
    span: Span


@dataclass(frozen=True)
class NameStmt:
    RULE: ClassVar[str] = "name_stmt"
    KEYWORD: ClassVar[str] = "name"
    name: Value
    span: Span


@dataclass(frozen=True)
class BaseStmt:
    RULE: ClassVar[str] = "base_stmt"
    KEYWORD: ClassVar[str] = "base"
    recipe: Value
    version: Optional[Value]
    flavor: Optional[Value]
    span: Span


@dataclass(frozen=True)
class BaseImageStmt:
    RULE: ClassVar[str] = "base_image_stmt"
    KEYWORD: ClassVar[str] = "base"
    ref: Value
    recipe: Value
    digest: Optional[Value]
    span: Span


@dataclass(frozen=True)
class PrefixStmt:
    RULE: ClassVar[str] = "prefix_stmt"
    KEYWORD: ClassVar[str] = "prefix"
    path: Value
    span: Span


@dataclass(frozen=True)
class ConfStmt:
    RULE: ClassVar[str] = "conf_stmt"
    KEYWORD: ClassVar[str] = "conf"
    src: Value
    dst: Optional[Value]
    span: Span


@dataclass(frozen=True)
class LuaStmt:
    RULE: ClassVar[str] = "lua_stmt"
    KEYWORD: ClassVar[str] = "lua"
    src: Value
    dst: Value
    span: Span


@dataclass(frozen=True)
class FilesStmt:
    RULE: ClassVar[str] = "files_stmt"
    KEYWORD: ClassVar[str] = "files"
    src: Value
    dst: Value
    span: Span


@dataclass(frozen=True)
class DataStmt:
    RULE: ClassVar[str] = "data_stmt"
    KEYWORD: ClassVar[str] = "data"
    path: Value
    size: Optional[Value]
    span: Span


@dataclass(frozen=True)
class SearchItem:
    RULE: ClassVar[str] = "search_item"
    KEYWORD: ClassVar[str] = "search"
    dirs: tuple[Value, ...]
    span: Span


@dataclass(frozen=True)
class NativeStmt:
    RULE: ClassVar[str] = "native_stmt"
    KEYWORD: ClassVar[str] = "native"
    src: Value
    dst: Value
    search: tuple[SearchItem, ...]
    span: Span


@dataclass(frozen=True)
class ServerItem:
    RULE: ClassVar[str] = "server_item"
    KEYWORD: ClassVar[str] = "server"
    location: Value
    span: Span


@dataclass(frozen=True)
class RockItem:
    RULE: ClassVar[str] = "rock_item"
    KEYWORD: ClassVar[str] = "rock"
    first: Value  # NAME, or PATH.rockspec / PATH.rock
    second: Optional[Value]  # VERSION
    span: Span


@dataclass(frozen=True)
class SystemItem:
    RULE: ClassVar[str] = "system_item"
    KEYWORD: ClassVar[str] = "system"
    build: Value
    runtime: Optional[Value]
    span: Span


RocksItem = Union[ServerItem, RockItem, SystemItem]


@dataclass(frozen=True)
class RocksStmt:
    RULE: ClassVar[str] = "rocks_stmt"
    KEYWORD: ClassVar[str] = "rocks"
    tree: Value
    items: tuple[RocksItem, ...]
    span: Span


@dataclass(frozen=True)
class SharedDictStmt:
    RULE: ClassVar[str] = "shared_dict_stmt"
    KEYWORD: ClassVar[str] = "shared_dict"
    name: Value
    size: Value
    span: Span


@dataclass(frozen=True)
class WorkersStmt:
    RULE: ClassVar[str] = "workers_stmt"
    KEYWORD: ClassVar[str] = "workers"
    count: Value
    span: Span


@dataclass(frozen=True)
class ResourcePair:
    RULE: ClassVar[str] = "resource_pair"
    name: str  # cpu | memory
    value: Value
    span: Span


@dataclass(frozen=True)
class ResourceItem:
    RULE: ClassVar[str] = "resource_item"
    KEYWORD: ClassVar[str] = "request"  # or "limit": see `kind`
    kind: str  # request | limit
    pairs: tuple[ResourcePair, ...]
    span: Span


@dataclass(frozen=True)
class ResourcesStmt:
    RULE: ClassVar[str] = "resources_stmt"
    KEYWORD: ClassVar[str] = "resources"
    items: tuple[ResourceItem, ...]
    span: Span


@dataclass(frozen=True)
class ProbeStmt:
    RULE: ClassVar[str] = "probe_stmt"
    KEYWORD: ClassVar[str] = "probe"
    kind: Value
    type: Value
    path: Value
    options: tuple[Option, ...]
    span: Span


@dataclass(frozen=True)
class MetricsStmt:
    RULE: ClassVar[str] = "metrics_stmt"
    KEYWORD: ClassVar[str] = "metrics"
    kind: Value
    options: tuple[Option, ...]
    span: Span


@dataclass(frozen=True)
class ScaleStmt:
    RULE: ClassVar[str] = "scale_stmt"
    KEYWORD: ClassVar[str] = "scale"
    replicas: Value  # MIN..MAX
    metric: Value  # cpu
    target: Value  # PERCENT of the CPU request
    span: Span


@dataclass(frozen=True)
class EnvStmt:
    RULE: ClassVar[str] = "env_stmt"
    KEYWORD: ClassVar[str] = "env"
    assignment: Value  # NAME=VALUE, or NAME= followed by a quoted value
    rest: Optional[Value]
    span: Span


@dataclass(frozen=True)
class ModuleStmt:
    RULE: ClassVar[str] = "module_stmt"
    KEYWORD: ClassVar[str] = "module"
    names: tuple[Value, ...]
    span: Span


@dataclass(frozen=True)
class ExposeStmt:
    RULE: ClassVar[str] = "expose_stmt"
    KEYWORD: ClassVar[str] = "expose"
    ports: tuple[Value, ...]
    span: Span


Statement = Union[RestyfileStmt, NameStmt, BaseStmt, BaseImageStmt, PrefixStmt, ConfStmt,
                  LuaStmt, FilesStmt, DataStmt, NativeStmt, ModuleStmt, RocksStmt,
                  SharedDictStmt, WorkersStmt, ResourcesStmt, ProbeStmt, MetricsStmt, ScaleStmt,
                  EnvStmt, ExposeStmt]

#: Every statement class, in the order the language page lists them.
STATEMENT_CLASSES: tuple[type, ...] = (
    RestyfileStmt, NameStmt, BaseStmt, BaseImageStmt, PrefixStmt, ConfStmt, LuaStmt,
    FilesStmt, DataStmt, NativeStmt, ModuleStmt, RocksStmt, SharedDictStmt, WorkersStmt,
    ResourcesStmt, ProbeStmt, MetricsStmt, ScaleStmt, EnvStmt, ExposeStmt)


@dataclass(frozen=True)
class Restyfile:
    """A parsed Restyfile: its statements in order."""

    file: str
    statements: tuple[Statement, ...]

    def of(self, cls: type[S]) -> list[S]:
        """The statements of one class, in order."""
        return [s for s in self.statements if isinstance(s, cls)]


S = TypeVar("S")
