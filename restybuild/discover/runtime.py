"""Step 5, continued: `workers`, `resources`, `probe`s and `expose` proposed from what the
conf shows, each with a comment saying what it is based on (most are guesses)."""

from __future__ import annotations

from restybuild.discover.layout import Line
from restybuild.discover.model import ConfFacts
from restybuild.lint.rules.rb401_memory_budget import DEFAULT_MASTER, DEFAULT_WORKER
from restybuild.units import parse_size

MI = 1 << 20


def _mi(n: int) -> str:
    return f"{n // MI}Mi" if n % (1 << 30) else f"{n >> 30}Gi"


def _round(n: int, step: int = 64 * MI) -> int:
    return max(step, -(-n // step) * step)


def runtime_lines(conf: ConfFacts) -> list[Line]:
    lines: list[Line] = []
    if conf.workers and conf.workers.isdigit():
        workers = int(conf.workers)
        lines.append(Line(f"workers {workers}", f"guess: the old host's worker_processes "
                                                f"{workers}, kept; fit it to the CPU limit"))
    else:
        workers = 2
        seen = f"worker_processes {conf.workers}" if conf.workers else "no worker_processes"
        lines.append(Line("workers cpu", f"guess: the conf says {seen}; one worker per CPU of "
                                         "the limit below"))
    dicts = 0
    for _name, size in conf.dicts:
        dicts += parse_size(size) or 0
    running = DEFAULT_MASTER + workers * DEFAULT_WORKER + dicts
    budget = running + workers * DEFAULT_WORKER  # old workers linger during a reload
    limit = _round(budget + budget // 2)
    lines += [
        Line("resources {", f"guess: master 16Mi + {workers} workers x 64Mi + shared dicts "
                            f"{_mi(_round(dicts, MI))} (+ as much again for the workers of "
                            f"a reload) = {_mi(_round(budget, MI))}; limit with half again "
                            "as headroom: measure the old host's RSS"),
        Line(f"    request cpu {workers * 250}m memory {_mi(_round(running))}"),
        Line(f"    limit   cpu {workers} memory {_mi(limit)}"),
        Line("}"),
    ]
    lines += _probes(conf)
    ports = [x.port for x in conf.listens if not x.loopback]
    if ports:
        lines.append(Line("expose " + " ".join(map(str, ports)), "the conf's listen ports"))
    return lines


def _probes(conf: ConfFacts) -> list[Line]:
    """A readiness probe on the health location that tests the most (the app's Lua over
    nginx alone), a liveness probe on one nginx answers by itself (a dependency of the app
    that is down must not restart the pod); else the stub restybuild adds."""
    ports = [x.port for x in conf.listens if not x.loopback]
    if not ports:
        return []
    if not conf.health:
        return [Line(f"probe readiness http /healthz port {ports[0]}",
                     "guess: the conf has no health location; restybuild adds one answering "
                     "200 (point it at a path that tests the app)")]
    ready = next((h for h in conf.health if h.lua), conf.health[0])
    out = [Line(f"probe readiness http {ready.path} port {ready.port}",
                f"guess: the location at {ready.where} answers with {ready.answer}"
                + (" (the app's Lua: it tests the app)" if ready.lua else ""))]
    live = next((h for h in conf.health if not h.lua), None)
    if live is not None:
        out.append(Line(f"probe liveness http {live.path} port {live.port}",
                        f"guess: the location at {live.where} answers with {live.answer}, "
                        "nginx alone: restarts a pod whose nginx stops answering"))
    return out
