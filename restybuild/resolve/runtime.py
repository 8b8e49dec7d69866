"""How the app runs: `shared_dict`, `resources`, `workers`, `probe`, `metrics`, `env`, `expose`."""

from __future__ import annotations

import math
import re

from restybuild.errors import Span
from restybuild.model import EnvVar, Metrics, Probe, Resources, SharedDict, Workers
from restybuild.resolve.context import PATH_RE, Context
from restybuild.syntax import (
    EnvStmt,
    ExposeStmt,
    MetricsStmt,
    ProbeStmt,
    ResourcesStmt,
    Restyfile,
    SharedDictStmt,
    Value,
    WorkersStmt,
)
from restybuild.units import parse_cpu, parse_int, parse_size

PROBE_KINDS = ("liveness", "readiness", "startup")
DICT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MIN_DICT = 8192  # lua-nginx-module refuses smaller zones
MAX_WORKERS = 1024


def shared_dicts(ctx: Context, rf: Restyfile) -> tuple[SharedDict, ...]:
    out: list[SharedDict] = []
    seen: dict[str, Span] = {}
    for st in rf.of(SharedDictStmt):
        n, s = st.name, st.size
        if not DICT_RE.fullmatch(n.text):
            raise ctx.err(f"`{n.text}` is not a valid shared dict name", n.span)
        if n.text in seen:
            raise ctx.err(f"shared dict `{n.text}` is declared twice; the first is at "
                          f"{seen[n.text]}", n.span)
        size = parse_size(s.text)
        if size is None:
            raise ctx.err(f"`{s.text}` is not a size", s.span,
                          hint="sizes look like 150m, 10M, 512Mi, 1Gi or 64k (at most 1 PiB)")
        if size < MIN_DICT:
            raise ctx.err(f"shared dict `{n.text}` is too small ({s.text})", s.span,
                          hint="lua-nginx-module needs at least 8k")
        seen[n.text] = n.span
        out.append(SharedDict(n.text, size, s.text, st.span))
    return tuple(out)


def resources(ctx: Context, rf: Restyfile) -> Resources | None:
    for st in rf.of(ResourcesStmt):
        return _resources(ctx, st)
    return None


def _resources(ctx: Context, st: ResourcesStmt) -> Resources:
    vals: dict[str, int] = {}
    ctx.once([(item.kind, item.span) for item in st.items])
    for item in st.items:
        for pair in item.pairs:
            key = f"{item.kind}_{pair.name}"
            if key in vals:
                raise ctx.err(f"`{item.kind} {pair.name}` is given twice", pair.value.span)
            parsed = parse_cpu(pair.value.text) if pair.name == "cpu" else \
                parse_size(pair.value.text)
            if parsed is None or parsed <= 0:
                example = "500m, 2 or 1.5" if pair.name == "cpu" else "512Mi, 1Gi or 256m"
                raise ctx.err(f"`{pair.value.text}` is not a {pair.name} quantity",
                              pair.value.span, hint=f"for example {example}")
            vals[key] = parsed
    for res in ("cpu", "memory"):
        req, lim = vals.get(f"request_{res}"), vals.get(f"limit_{res}")
        if req is not None and lim is not None and req > lim:
            raise ctx.err(f"the {res} request is above the {res} limit", st.span)
    return Resources(vals.get("request_cpu"), vals.get("request_memory"),
                     vals.get("limit_cpu"), vals.get("limit_memory"), st.span)


def workers(ctx: Context, rf: Restyfile, res: Resources | None) -> Workers | None:
    for st in rf.of(WorkersStmt):
        return _workers(ctx, st, res)
    return None


def _workers(ctx: Context, st: WorkersStmt, res: Resources | None) -> Workers:
    val = st.count
    if val.text == "cpu":
        if res is None or res.limit_cpu is None:
            raise ctx.err("`workers cpu` needs a CPU limit", val.span,
                          hint="add: resources { limit cpu 2 memory 1Gi }")
        return Workers(max(1, math.ceil(res.limit_cpu / 1000)), True, st.span)
    if val.text == "auto":
        raise ctx.err("`workers auto` counts the node's CPUs, not the container's limit",
                      val.span, hint="write `workers N` or `workers cpu`")
    count = parse_int(val.text, 1, MAX_WORKERS)
    if count is None:
        raise ctx.err(f"`{val.text}` is not a worker count", val.span,
                      hint=f"write a number from 1 to {MAX_WORKERS}, or `cpu`")
    return Workers(count, False, st.span)


def _url_path(ctx: Context, val: Value) -> str:
    if not val.text.startswith("/") or not PATH_RE.fullmatch(val.text):
        raise ctx.err(f"`{val.text}` is not a URL path", val.span,
                      hint="write a path such as /healthz")
    return val.text


def probes(ctx: Context, rf: Restyfile) -> tuple[Probe, ...]:
    out: list[Probe] = []
    seen: dict[str, Span] = {}
    for st in rf.of(ProbeStmt):
        kind = st.kind
        if kind.text not in PROBE_KINDS:
            import difflib

            guess = difflib.get_close_matches(kind.text, PROBE_KINDS, n=1)
            raise ctx.err(f"unknown probe kind `{kind.text}`", kind.span,
                          hint=(f"did you mean `{guess[0]}`? " if guess else "")
                          + "kinds: " + ", ".join(PROBE_KINDS))
        if kind.text in seen:
            raise ctx.err(f"the {kind.text} probe is declared twice; the first is at "
                          f"{seen[kind.text]}", st.span)
        if st.type.text != "http":
            raise ctx.err(f"unknown probe type `{st.type.text}`", st.type.span,
                          hint="restybuild knows: http")
        path = _url_path(ctx, st.path)
        opts = ctx.options(st.options, "probe")
        if "port" not in opts:
            raise ctx.err("the probe has no `port`", st.span,
                          hint=f"probe {kind.text} http {path} port 80")
        threshold = opts.get("failure_threshold")
        failures = parse_int(threshold.text, 1, 1000) if threshold else None
        if threshold is not None and failures is None:
            raise ctx.err(f"`{threshold.text}` is not a failure threshold", threshold.span,
                          hint="a number of failed probes from 1 to 1000")
        seen[kind.text] = st.span
        out.append(Probe(kind.text, "http", path, ctx.port(opts["port"]),
                         ctx.duration(opts.get("period")), ctx.duration(opts.get("timeout")),
                         st.span, initial_delay=ctx.duration(opts.get("initial_delay")),
                         failure_threshold=failures))
    return tuple(out)


def metrics(ctx: Context, rf: Restyfile) -> Metrics | None:
    for st in rf.of(MetricsStmt):
        if st.kind.text != "prometheus":
            raise ctx.err(f"unknown metrics kind `{st.kind.text}`", st.kind.span,
                          hint="restybuild knows: prometheus")
        opts = ctx.options(st.options, "metrics")
        if "port" not in opts:
            raise ctx.err("`metrics` has no `port`", st.span,
                          hint="metrics prometheus port 9145")
        path = _url_path(ctx, opts["path"]) if "path" in opts else "/metrics"
        return Metrics(st.kind.text, ctx.port(opts["port"]), path, st.span)
    return None


def env(ctx: Context, rf: Restyfile) -> tuple[EnvVar, ...]:
    out: list[EnvVar] = []
    seen: dict[str, Span] = {}
    for st in rf.of(EnvStmt):
        val = st.assignment
        if st.rest is not None:  # env NAME="a quoted value"
            if not val.text.endswith("="):
                raise ctx.err("`env` takes one NAME=VALUE", st.rest.span,
                              hint='write env NAME=VALUE, or env NAME="VALUE with spaces"')
            val = Value(val.text + st.rest.text, val.raw + st.rest.raw,
                        Span(val.span.file, val.span.line, val.span.col, st.rest.span.end_line,
                             st.rest.span.end_col))
        key, eq, value = val.text.partition("=")
        if not eq or not ENV_KEY_RE.fullmatch(key):
            raise ctx.err(f"`{val.text}` is not NAME=VALUE", val.span,
                          hint='write env NAME=VALUE, or env "NAME=VALUE with spaces"')
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ctx.err(f"the value of `{key}` contains a control character", val.span)
        if key in seen:
            raise ctx.err(f"`{key}` is set twice; the first is at {seen[key]}", val.span)
        seen[key] = val.span
        out.append(EnvVar(key, value, st.span))
    return tuple(out)


def expose(ctx: Context, rf: Restyfile) -> tuple[int, ...]:
    return tuple(ctx.port(v) for st in rf.of(ExposeStmt) for v in st.ports)
