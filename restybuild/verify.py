"""Prove a candidate image before its tag moves: `nginx -t`, libraries, module loads, boot.

1. `nginx -t`, run by ``docker exec`` in the boot check's container once nginx is up
   (the same image, user, read-only root and run folder as a container of its own, for
   one container start less: the engine's dearest step). When nginx does not come up,
   `nginx -t` runs in a container of its own, so that its failure is the one reported.
2. The library check: every native and every ``.so`` of the rocks tree (C
   rocks link system libraries too) is resolved in the candidate's own files,
   as its loader would (:mod:`restybuild.candidate`): no name may stay
   unresolved and every symbol version needed must be defined.
3. The load check: each Lua C module (natives, and the rocks tree's
   ``lib/lua/5.1`` modules) is ``require``d inside nginx's LuaJIT by a
   generated ``init_by_lua_block``, run by booting nginx in the candidate.
   ``nginx -t`` cannot do it: it has not run ``init_by_lua*`` since
   lua-nginx-module 0.10.13. The generated conf is a separate minimal one
   (the recipe's ``load_module`` lines, the effective ``lua_package_path`` and
   ``lua_package_cpath``, nothing else), because the app's conf may hold its
   own ``init_by_lua*`` and a second one is an error. It is put into the
   created container with ``put_archive`` under ``/tmp/restybuild/verify``
   before it starts, not planned into the image: the image stays exactly what
   was built, and the Dockerfile does not change with verification. The block
   exits nginx (``os.exit``) once every module was tried, so no worker starts.
4. The boot check starts nginx in the candidate (no network), waits until its
   workers are up, fails on any `[emerg]`, `[alert]`, `[crit]` or `[error]`
   logged while starting, sends each declared probe's request to 127.0.0.1
   inside the container (bash's /dev/tcp, through `docker exec`: the
   container has no network and the image may have no HTTP client; an image
   without bash is reported as unchecked) and wants a status from 200 to 399
   as Kubernetes does, then stops nginx gracefully. It follows the log as nginx writes
   it (no polling) and stops nginx once the workers started: each worker finishes its
   ``init_worker_by_lua*`` code before it acts on the stop, so what that code logs is in
   the log read after nginx exited.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from restybuild.conf.edit import directive
from restybuild.conf.effective import RUN_DIR
from restybuild.engine import RunResult, run_once, throwaway
from restybuild.errors import VerifyFailed
from restybuild.nginxlog import BAD, interesting
from restybuild.plan import BuildPlan
from restybuild.records import dataclass

if TYPE_CHECKING:
    from restybuild.candidate import LibraryCheck

WORKER = re.compile(r"start worker process \d+")
VERIFY_DIR = "/tmp/restybuild/verify"  # restybuild's own; put into the container only
LOAD_LINE = re.compile(r"^restybuild-load: (ok|FAIL) (\S+) ?(.*)$", re.M)


@dataclass(frozen=True)
class VerifyReport:
    nginx_t: str
    boot_log: str
    workers: int
    libraries: tuple[str, ...] = ()  # one line per native or rocks .so resolved
    modules: tuple[str, ...] = ()  # one line per Lua C module required in nginx
    probes: tuple[str, ...] = ()  # one line per probe: `readiness /ready 8089: 200`
    timings: tuple[Timing, ...] = ()  # each check's start and end, in the canonical order


@dataclass(frozen=True)
class Timing:
    check: str
    start: float  # seconds after the verification began
    end: float
    reused: bool = False  # passed before on the same inputs (restybuild.verifycache)


def expected_workers(plan: BuildPlan) -> int:
    if plan.workers is not None:
        return plan.workers
    for args in plan.effective.values("worker_processes"):
        if args and args[0].isascii() and args[0].isdigit():
            return int(args[0])
    return 1


def as_kubernetes(plan: BuildPlan, read_only: bool = True) -> dict[str, Any]:
    """How a container of the candidate runs: as `restybuild k8s` runs the pod. Its USER
    (non-root, group 0), all capabilities dropped, no new privileges, and a read-only root
    with a tmpfs on the run folder (the pod's memory-backed emptyDir)."""
    run: dict[str, Any] = {"user": plan.user, "cap_drop": ["ALL"],
                           "security_opt": ["no-new-privileges"]}
    if read_only:
        run.update(read_only=True,
                   tmpfs={d: "mode=0777" for d in (RUN_DIR, *plan.data)})
    return run


def failure(what: str, output: str, plan: BuildPlan, hint: str,
            extra: tuple[str, ...] = ()) -> VerifyFailed:
    """`what` failed: at the user's line of nginx's first error when it names one (in the
    user's terms, with the source line), every error line as a note."""
    lines = interesting(output, plan.effective)
    first = next((x for x in lines if x.span is not None and BAD.search(f"[{x.level}]")), None)
    notes = (*extra, *(x.line for x in lines if x is not first))
    if first is not None:
        return VerifyFailed(f"{what}: {first.message}", span=first.span, notes=notes,
                            hint=hint)
    return VerifyFailed(what, notes=notes, hint=hint)


def nginx_test(client: Any, image: str, plan: BuildPlan) -> str:
    """`nginx -t` in a container of its own; raise on failure."""
    return tested(run_once(client, image, [*plan.cmd, "-t"], **as_kubernetes(plan)), plan)


def tested(result: RunResult, plan: BuildPlan) -> str:
    """The output of a `nginx -t` that passed; raise when it failed."""
    if result.exit_code != 0:
        raise failure("`nginx -t` failed in the candidate image", result.output, plan,
                      "fix the nginx configuration; the tag did not move")
    return result.output


def exec_test(container: Any, plan: BuildPlan) -> RunResult | None:
    """`nginx -t` in the running `container` (as its user, with its environment); None when
    the engine could not run it (then it runs in a container of its own)."""
    from docker.errors import APIError
    from requests.exceptions import RequestException

    try:
        code, out = container.exec_run([*plan.cmd, "-t"])
    except (APIError, RequestException, ConnectionError):
        return None
    if code is None:
        return None
    return RunResult(int(code), out.decode("utf-8", "replace") if out else "")


PROBE = ("exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET {path} HTTP/1.0\\r\\n"
         "Host: localhost\\r\\nUser-Agent: restybuild-probe\\r\\n\\r\\n' >&3 && head -n 1 <&3")
STATUS = re.compile(r"^HTTP/\d(?:\.\d)? (\d{3})")
PROBE_TRIES = 3  # a probe with no answer (closed, refused) is asked again, this many times in all
PROBE_PAUSE = 0.2  # seconds between


def probe_check(container: Any, plan: BuildPlan) -> tuple[tuple[str, ...], list[str]]:
    """Each probe's request inside the running `container`: (report lines, failures)."""
    lines: list[str] = []
    failures: list[str] = []
    for kind, path, port in plan.probes:
        where = f"{kind} probe GET {path} on port {port}"
        for attempt in range(PROBE_TRIES):  # as the kubelet's failureThreshold: no answer
            if attempt:  # yet is asked again, an answer (any status) is final
                time.sleep(PROBE_PAUSE)
            code, out = container.exec_run(["bash", "-c", PROBE.format(port=port, path=path)])
            text = out.decode("utf-8", "replace").strip() if out else ""
            m = STATUS.match(text)
            status = int(m.group(1)) if m else 0
            if status or code in (126, 127) or "executable file not found" in text:
                break
        if code in (126, 127) or "executable file not found" in text:
            lines.append(f"{where}: not checked (the image has no bash)")
            continue
        lines.append(f"{where}: {status or text or 'no answer'}")
        if not 200 <= status < 400:
            failures.append(f"{where} answered {text or 'nothing'} (want 200-399)")
    return tuple(lines), failures


def wait_for_workers(container: Any, want: int, timeout: float) -> tuple[int, bool, bool]:
    """Follow the container's log until `want` workers started; (workers started, whether
    nginx ended first, whether that was the kill at `timeout`, which ends the log)."""
    import threading

    late = threading.Event()

    def kill() -> None:
        late.set()
        _kill(container)

    killer = threading.Timer(timeout, kill)
    killer.daemon = True
    killer.start()
    stream = container.logs(stdout=True, stderr=True, stream=True, follow=True)
    text, started, ended = "", 0, True
    try:
        for chunk in stream:
            text += chunk.decode("utf-8", "replace")
            started = len(WORKER.findall(text))
            if started >= want:
                ended = False
                break
    finally:
        killer.cancel()
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return started, ended, late.is_set()


def _kill(container: Any, signal: str = "SIGKILL") -> bool:
    """Send `signal`; False when the container was not running any more."""
    from docker.errors import APIError
    from requests.exceptions import RequestException

    try:
        container.kill(signal=signal)
    except (APIError, RequestException, ConnectionError):
        return False
    return True


@dataclass(frozen=True)
class Booted:
    """What the boot check saw: nginx's log, the workers started, the probe report, and the
    `nginx -t` run in its container (None when nginx did not come up to run it)."""

    log: str
    workers: int
    probes: tuple[str, ...] = ()
    nginx_t: RunResult | None = None


def boot_check(client: Any, image: str, plan: BuildPlan, timeout: float = 30) -> Booted:
    """Start nginx in `image`, wait for its workers, run `nginx -t` and check the probes
    beside it, stop it; raise on errors (not on `nginx -t`'s: see :class:`Booted`).

    Its workers started, nginx is stopped gracefully (SIGQUIT) at once (after the probes):
    a worker runs its init_worker_by_lua* code to its end before it acts on the signal,
    so whatever that code logs is in the log read once nginx exited, however long it
    takes. A graceful stop exits 0: any other status is nginx ending on its own."""
    want = expected_workers(plan)
    with throwaway(client, image, [*plan.cmd, "-g", "error_log stderr notice;"],
                   **as_kubernetes(plan)) as container:
        container.start()
        started, exited, late = wait_for_workers(container, want, timeout)
        probes, probe_failures, test = _while_up(container, plan) if not exited \
            else ((), [], None)
        if not exited and not _kill(container, "SIGQUIT"):
            exited = True
        try:
            code = int(container.wait(timeout=15).get("StatusCode", 1))
        except Exception:  # the graceful stop took too long
            _kill(container)
            code = 0
        exited = exited or code != 0
        log = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    bad = [line for line in log.splitlines() if BAD.search(line)]
    if exited or bad or started < want:
        if late or (not exited and not bad):
            why = f"only {started} of {want} worker(s) started within {timeout:.0f}s"
        elif exited:
            why = "nginx exited while starting"
        else:
            why = "nginx logged errors while starting"
        hint = ("this is what `nginx -t` does not catch (init_by_lua* runs only at start); "
                "the tag did not move")
        if "resty.core" in log:
            hint = ("nginx could not load resty.core from the base's Lua libraries: a "
                    "lua_package_path without `;;` drops them; " + hint)
        raise failure(f"boot check failed: {why}", log, plan, hint)
    if probe_failures:
        raise failure("probe check failed: " + probe_failures[0], log, plan,
                      "the probe's location must answer 200-399; the tag did not move",
                      tuple(probe_failures[1:]))
    return Booted(log, started, probes, test)


def _while_up(container: Any, plan: BuildPlan
              ) -> tuple[tuple[str, ...], list[str], RunResult | None]:
    """With nginx up in `container`: `nginx -t` (in a thread) beside the probes."""
    import threading

    test: list[RunResult | None] = [None]

    def run_test() -> None:
        test[0] = exec_test(container, plan)

    thread = threading.Thread(target=run_test, name="restybuild-check-t", daemon=True)
    thread.start()
    try:
        probes, failures = probe_check(container, plan) if plan.probes else ((), [])
    finally:
        thread.join()
    return probes, failures, test[0]


def library_check(client: Any, image: str, plan: BuildPlan) -> tuple[LibraryCheck, str]:
    """Resolve every native and rocks `.so` in `image`; raise naming what is missing."""
    from restybuild.candidate import check_candidate

    check = check_candidate(client, image, plan)
    if check.problems:
        raise VerifyFailed(f"library check failed: {check.problems[0]}",
                           notes=check.problems[1:15],
                           hint="declare a `search` folder that holds the library, or install "
                                "the package that provides it; the tag did not move")
    return check, "\n".join(check.lines)


def load_conf(plan: BuildPlan, modules: tuple[tuple[str, str], ...]) -> str:
    """A minimal nginx.conf whose init_by_lua_block requires each module, then exits."""
    main = "".join(directive("load_module", *args) + "\n"
                   for args in plan.effective.values("load_module"))
    http = "".join(f"    {directive(name, *args)}\n"
                   for name in ("lua_package_path", "lua_package_cpath")
                   for args in plan.effective.values(name))
    entries = ", ".join(f"{{{_lua_str(n)}, {_lua_str(p)}}}" for n, p in modules)
    return f"""# generated by restybuild to verify a candidate; not part of the image
daemon off;
master_process off;
error_log stderr notice;
pid {VERIFY_DIR}/nginx.pid;
{main}events {{ worker_connections 16; }}
http {{
{http}    init_by_lua_block {{
        local function say(...) io.stderr:write("restybuild-load: ", ...) end
        for name in pairs(package.loaded) do say("searched ", name, "\\n") end
        table.insert(package.loaders, 1, function(name) say("searched ", name, "\\n") end)
        say("path ", package.path, "\\n")
        say("cpath ", package.cpath, "\\n")
        local failed = 0
        for _, m in ipairs({{ {entries} }}) do
            local ok, err = pcall(require, m[1])
            if ok then
                io.stderr:write("restybuild-load: ok ", m[1], "\\n")
            elseif tostring(err):find("undefined symbol: luaopen_", 1, true) then
                local f, err2 = package.loadlib(m[2], "*")
                if f then
                    io.stderr:write("restybuild-load: ok ", m[1],
                        " (no luaopen_ function: a plain library, dlopen'd)\\n")
                else
                    failed = failed + 1
                    io.stderr:write("restybuild-load: FAIL ", m[1], " ",
                        (tostring(err2):gsub("%s+", " ")), "\\n")
                end
            else
                failed = failed + 1
                io.stderr:write("restybuild-load: FAIL ", m[1], " ",
                    (tostring(err):gsub("%s+", " ")), "\\n")
            end
        end
        io.stderr:flush()
        os.exit(failed == 0 and 0 or 3)
    }}
}}
"""


def _lua_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def module_load_check(client: Any, image: str, plan: BuildPlan,
                      modules: tuple[tuple[str, str], ...], timeout: float = 60) -> str:
    """Boot nginx in `image` with :func:`load_conf`; raise naming each module that fails."""
    from restybuild.context import ContextEntry, make_tar

    conf = load_conf(plan, modules)
    rel = VERIFY_DIR.lstrip("/")
    data = make_tar((ContextEntry(rel, is_dir=True, group_writable=True),  # nginx writes its pid
                     ContextEntry(f"{rel}/nginx.conf", data=conf.encode())))
    cmd = [plan.nginx, "-p", plan.prefix.rstrip("/") + "/", "-c", f"{VERIFY_DIR}/nginx.conf"]
    # the generated conf is put in before the container starts: its root stays writable
    with throwaway(client, image, cmd, **as_kubernetes(plan, read_only=False)) as container:
        container.put_archive("/", data)
        container.start()
        status = container.wait(timeout=timeout)
        log: str = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    results = {m.group(2): (m.group(1), m.group(3)) for m in LOAD_LINE.finditer(log)}
    failed = [f"module '{name}' ({path}) failed to load: {results[name][1]}"
              for name, path in modules if results.get(name, ("", ""))[0] == "FAIL"]
    untried = [name for name, _p in modules if name not in results]
    code = int(status.get("StatusCode", 1))
    if failed or untried or code != 0:
        if not failed:
            failed = [f"nginx exited with status {code} before loading "
                      + ", ".join(untried or ["the modules"])]
        raise VerifyFailed(f"Lua C module load check failed: {failed[0]}",
                           notes=(*failed[1:], *(x.line for x in interesting(log, plan.effective))),
                           hint="the module was require()d inside nginx's LuaJIT in the "
                                "candidate; the tag did not move")
    return log
