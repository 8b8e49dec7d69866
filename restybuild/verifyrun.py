"""Verify a candidate: the checks of :mod:`restybuild.verify` at the same time, reported in
one order, and the ones whose inputs did not change not run again.

The checks only read the candidate image, so each runs in a thread of its own: the
library check, then the module load check (it loads the modules the library check
found), and the boot check, in whose container `nginx -t` runs once nginx is up (one
container start less); the `nginx -t` job takes that result, or runs `nginx -t` in a
container of its own when nginx did not come up. A failure is reported as the sequential
run would report it: the first failing check in the order nginx -t, libraries, module
load, boot;
a later check that failed first waits for the earlier ones, and the checks after the
one reported are stopped. On a failure or an interrupt every container of the
verification is removed (:func:`restybuild.engine.cancel_all`) and every thread has
ended before the exception goes on, so no tag moves and nothing is left.

The library and module load checks are reused when they passed before on the same
inputs (:mod:`restybuild.verifycache`); `nginx -t` and the boot check read the whole
image (the conf, the app's Lua code) and run for every new image. An image that passed
before with the same checks asked runs none (:mod:`restybuild.verifyimage`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from restybuild import interrupt, verifycache, verifyimage
from restybuild.candidate import load_modules
from restybuild.elf.bundle import BUNDLE_DIR
from restybuild.engine import Cancelled, cancel_all, cancelled, engine_errors, resume
from restybuild.errors import VerifyFailed
from restybuild.plan import BuildPlan
from restybuild.records import dataclass
from restybuild.verify import (
    LOAD_LINE,
    Booted,
    Timing,
    VerifyReport,
    boot_check,
    library_check,
    load_conf,
    module_load_check,
    nginx_test,
    tested,
)

SEARCHED = re.compile(r"^restybuild-load: searched (\S+)$", re.M)
PATHS = re.compile(r"^restybuild-load: (c?path) (.*)$", re.M)
T = TypeVar("T")
ORDER = ("nginx -t", "libraries", "module load", "boot")


def run_in_order(jobs: Sequence[tuple[str, Callable[[], Any]]],
                 clock: Callable[[], float] = time.monotonic) -> tuple[list[Any], list[Timing]]:
    """Run `jobs` at the same time; their results, or the exception of the first failing
    one in the order given, once all before it passed. Whatever happens, every thread has
    ended (the rest cancelled: their containers removed) before this returns or raises."""
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    t0 = clock()
    spans: dict[str, tuple[float, float]] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            start = clock() - t0
            try:
                return fn()
            finally:
                spans[name] = (start, clock() - t0)
        return run

    pool = ThreadPoolExecutor(max_workers=max(1, len(jobs)),
                              thread_name_prefix="restybuild-check")
    futures: list[Future[Any]] = []
    try:
        with interrupt.shielded():  # every thread started is one of `futures`
            futures = [pool.submit(timed(name, fn)) for name, fn in jobs]
        while True:
            interrupt.check()
            for f in futures:
                if not f.done():
                    break
                error = f.exception()
                if error is not None:
                    raise error
            else:
                break
            wait([f for f in futures if not f.done()], timeout=0.25,
                 return_when=FIRST_COMPLETED)
    except BaseException:
        with interrupt.shielded():
            cancel_all()
            for f in futures:
                f.cancel()
            wait(futures)
            pool.shutdown(wait=True)
            resume()
        raise
    pool.shutdown(wait=True)
    timings = [Timing(name, *spans.get(name, (0.0, 0.0))) for name, _fn in jobs]
    return [f.result() for f in futures], timings


def awaited(future: Future[T]) -> T:
    """The result of `future`, which another check's thread sets; Cancelled when the checks
    were cancelled first (that thread may then never run)."""
    while True:
        try:
            return future.result(timeout=0.1)
        except TimeoutError:
            if cancelled():
                raise Cancelled from None


@dataclass(frozen=True)
class Outcome:
    value: Any
    reused: bool = False
    save: tuple[str, str, dict[str, Any]] | None = None  # (check, key, entry) once verified


class Inputs:
    """What the cache keys of one candidate are made from, read from the engine once."""

    def __init__(self, client: Any, image: str, plan: BuildPlan, reuse: bool) -> None:
        self.plan, self.reuse = plan, reuse
        self.attrs: dict[str, Any] = client.api.inspect_image(image)
        base = client.api.inspect_image(plan.runtime_image)
        self.base_id = str(base.get("Id"))
        self.layers = verifycache.final_layers(plan, self.attrs, base)

    def key(self, check: str, text: str) -> str | None:
        if self.layers is None:
            return None
        return verifycache.fixed_key(check, self.plan, self.attrs, self.base_id,
                                     self.layers, text)

    def lookup(self, check: str, key: str | None, reads: Callable[[dict[str, Any]],
                                                                  verifycache.Reads]
               ) -> dict[str, Any] | None:
        """The entry of a pass on these inputs, or None."""
        if not self.reuse or key is None or self.layers is None:
            return None
        entry = verifycache.load(check, key)
        if entry is None:
            return None
        try:
            same = entry.get("layers") == verifycache.layer_key(self.layers, reads(entry))
        except (TypeError, AttributeError, ValueError, KeyError):  # not what it writes
            return None
        return entry if same else None

    def save(self, check: str, key: str | None, reads: verifycache.Reads,
             entry: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
        if key is None or self.layers is None:
            return None
        return check, key, {**entry, "layers": verifycache.layer_key(self.layers, reads)}


def library_reads(plan: BuildPlan) -> verifycache.Reads:
    """The library check reads the base's index, and of the candidate the bundle folder,
    the natives, the nginx modules copied in and the rocks tree; all of it when runtime
    packages were installed."""
    if plan.runtime_packages_cmd:
        return verifycache.Reads(("/",))
    return verifycache.Reads(tuple(filter(None, (BUNDLE_DIR, *plan.natives, *plan.module_files,
                                                 plan.rocks_tree))))


def load_reads(plan: BuildPlan, attrs: dict[str, Any], entry: dict[str, Any]
               ) -> verifycache.Reads:
    """The load check runs the loader and LuaJIT's require: the library folders and their
    conf, every shared object, nginx and its modules, and the files require looked for."""
    config = attrs.get("Config") or {}
    env = dict(e.split("=", 1) for e in config.get("Env") or () if "=" in e)
    llp = [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d.startswith("/")]
    # not the prefix's logs folder: nginx opening its default error log before it reads
    # the conf can only warn; the check's outcome is its exit status and its own lines
    roots = (*library_reads(plan).roots, *verifycache.SYSTEM_ROOTS, *llp, plan.nginx,
             *load_modules(plan))
    searched = [str(n) for n in entry["searched"]]
    files = verifycache.searched_files(searched, str(entry["path"]), str(entry["cpath"]),
                                       str(config.get("WorkingDir") or "/"))
    return verifycache.Reads(tuple(roots), files, shared_objects=True)


def libraries_job(client: Any, image: str, ins: Inputs) -> Outcome:
    plan = ins.plan
    key = ins.key("libraries", "")
    entry = ins.lookup("libraries", key, lambda _e: library_reads(plan))
    try:
        if entry is not None:
            modules = tuple((str(n), str(p)) for n, p in entry["modules"])
            return Outcome((tuple(map(str, entry["lines"])), modules), reused=True)
    except (TypeError, ValueError, KeyError):  # damaged: run it
        pass
    with engine_errors("verification (the library check)"):
        check, _text = library_check(client, image, plan)
    save = ins.save("libraries", key, library_reads(plan),
                    {"lines": list(check.lines), "modules": [list(m) for m in check.modules]})
    return Outcome((check.lines, check.modules), save=save)


def load_job(client: Any, image: str, ins: Inputs, libraries: Callable[[], Outcome]
             ) -> Outcome:
    modules: tuple[tuple[str, str], ...] = libraries().value[1]
    if not modules:
        return Outcome(())
    plan = ins.plan
    key = ins.key("module-load", load_conf(plan, modules))
    entry = ins.lookup("module-load", key, lambda e: load_reads(plan, ins.attrs, e))
    if entry is not None and isinstance(entry.get("loaded"), list):
        return Outcome(tuple(map(str, entry["loaded"])), reused=True)
    with engine_errors("verification (the module load check)"):
        log = module_load_check(client, image, plan, modules)
    paths = {m.group(1): m.group(2) for m in PATHS.finditer(log)}
    data = {"loaded": [m.group(0) for m in LOAD_LINE.finditer(log)],
            "searched": sorted(set(SEARCHED.findall(log))),
            "path": paths.get("path", ""), "cpath": paths.get("cpath", "")}
    save = ins.save("module-load", key, load_reads(plan, ins.attrs, data), data)
    return Outcome(tuple(data["loaded"]), save=save)


def published(future: Future[T], fn: Callable[[], T]) -> T:
    """`fn`'s result, also set on `future` (or its exception) for the check that awaits it."""
    try:
        out = fn()
    except BaseException as e:
        future.set_exception(e)
        raise
    future.set_result(out)
    return out


def nginx_t_job(client: Any, image: str, plan: BuildPlan, booted: Callable[[], Booted]
                ) -> Outcome:
    """`nginx -t` as the boot check ran it in its container; in a container of its own when
    nginx did not come up (its failure then comes first)."""
    try:
        up: Booted | None = booted()
    except VerifyFailed:
        up = None
    if up is not None and up.nginx_t is not None:
        return Outcome(tested(up.nginx_t, plan))
    with engine_errors("verification (nginx -t)"):
        return Outcome(nginx_test(client, image, plan))


def boot_job(client: Any, image: str, plan: BuildPlan) -> Booted:
    with engine_errors("verification (the boot check)"):
        return boot_check(client, image, plan)


def verify(client: Any, image: str, plan: BuildPlan, reuse: bool = True,
           say: Callable[[str], None] | None = None) -> VerifyReport:
    """Run every check against the candidate `image` (see the module's docstring); with
    `reuse`, a check that passed before on the same inputs is not run again."""
    native = bool(plan.natives or plan.rocks_tree)
    lib_done: Future[Outcome] = Future()
    boot_done: Future[Booted] = Future()
    with engine_errors("verification"):
        ins = Inputs(client, image, plan, reuse)  # read once, before any check starts

    def libraries() -> Outcome:
        return libraries_job(client, image, ins) if native else Outcome(((), ()))

    key = verifyimage.image_key(plan, ins.attrs, ins.base_id)
    before = verifyimage.passed(key) if reuse else None
    if before is not None:
        if say is not None:
            say("verification: this image passed before, with the same checks")
        _mark(before.timings)
        return before

    jobs = [("nginx -t", lambda: nginx_t_job(client, image, plan, lambda: awaited(boot_done))),
            ("libraries", lambda: published(lib_done, libraries)),
            ("module load", lambda: load_job(client, image, ins, lambda: awaited(lib_done))),
            ("boot", lambda: Outcome(published(boot_done,
                                               lambda: boot_job(client, image, plan))))]
    (t, lib, load, booted), timings = run_in_order(jobs)
    for name, out in (("library check", lib), ("module load check", load)):
        if out.reused and say is not None:
            say(f"{name}: unchanged layers, passed before")
    for out in (lib, load):
        if out.save is not None:
            verifycache.store(*out.save)
    boot_report: Booted = booted.value
    timings = [Timing(x.check, x.start, x.end, o.reused)
               for x, o in zip(timings, (t, lib, load, booted))]
    _mark(timings)
    report = VerifyReport(t.value, boot_report.log, boot_report.workers, lib.value[0],
                          load.value, boot_report.probes, tuple(timings))
    verifyimage.keep(key, report)
    return report


def _mark(timings: Sequence[Timing]) -> None:
    from restybuild import timings as marks

    marks.add("checks", {x.check: [round(x.start, 3), round(x.end, 3), x.reused]
                         for x in timings})
