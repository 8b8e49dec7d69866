"""Benchmark: the ELF closure of every ``*.so*`` under /usr/lib/x86_64-linux-gnu, three ways.

1. restybuild's loader model, all files in one process (a fresh interpreter,
   timed from its start: imports and reading /etc/ld.so.cache included);
2. a shell loop of ``ldd`` over the same files (one bash, one ldd per file);
3. auditwheel's ``lddtree.ldd`` over the same files, in one process.

auditwheel is installed only into a venv of its own in the checkout,
``.venv-bench`` (``python -m venv`` + ``pip install auditwheel``; never a shared
folder such as /tmp, whose code another user could have put there), which this
script creates when it is missing; it never enters restybuild's own dependencies.

Files: every regular file (symlinks are the same files again) whose name
contains ``.so`` below the folder, subfolders included. Before timing, all
files are read once, so every contender finds them in the page cache.

Results are compared with ldd's for every file ldd can read (it prints
"not a dynamic executable" or "statically linked" for the others): the set
of files loaded (by real path, ld.so itself left out: it is always loaded),
the names not found, and the symbol versions reported missing. Any
difference is printed with both sides.

4. the command itself, ``restybuild deps FILE... --json`` on all files in one process
   (the whole process: interpreter, imports, loader setup, printing), against the ldd
   loop, and its results compared with ldd's the same way;
5. ``restybuild deps`` on one file (the whole process, the best of 25 runs), against
   ``python -c pass`` run alternately with it.

Before timing, Python's bytecode of restybuild is written (``compileall``), as an
installed package has it.

Targets (issue 3): the loader model at least 5x faster than the ldd loop and 20x faster
than auditwheel's lddtree; (performance issue) ``restybuild deps`` on every file at least
12x faster than the ldd loop with ldd's results, and on one file within 4x of
``python -c pass``. Run: ``python bench/bench_elf.py [FOLDER]``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.common import best, compile_bytecode  # noqa: E402

VENV = ROOT / ".venv-bench"
FOLDER = "/usr/lib/x86_64-linux-gnu"

OURS = r"""
import json, os, sys, time
t0 = time.perf_counter()
from restybuild.elf.fs import HostFS
from restybuild.elf.host import host_env
from restybuild.elf.loader import Loader
files = json.load(open(sys.argv[1]))
loader = Loader(host_env(""), HostFS())
rtld = os.path.realpath(loader.env.rtld or "")
out = {}
t1 = time.perf_counter()
for f in files:
    try:
        c = loader.session().load_main(f)
    except FileNotFoundError as e:
        out[f] = {"error": str(e)}
        continue
    if c.error:  # the loader refuses the file itself
        out[f] = {"error": c.error}
        continue
    found = sorted({os.path.realpath(lk.path) for lk in c.lookups if lk.new} - {rtld})
    missing = sorted({lk.name for lk in c.lookups if lk.path is None and not lk.error})
    errors = sorted({lk.error for lk in c.lookups if lk.error})
    versions = sorted({v.version for v in c.version_problems if not v.weak})
    out[f] = {"found": found, "missing": missing, "errors": errors, "versions": versions}
t2 = time.perf_counter()
json.dump({"results": out, "resolve_s": t2 - t1, "startup_s": t1 - t0}, open(sys.argv[2], "w"))
"""

AUDITWHEEL = r"""
import json, os, sys, time
from pathlib import Path
from auditwheel.lddtree import ldd
files = json.load(open(sys.argv[1]))
rtld = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
out = {}
t1 = time.perf_counter()
for f in files:
    try:
        r = ldd(Path(f))
    except Exception as e:  # auditwheel raises on some files
        out[f] = {"error": type(e).__name__}
        continue
    libs = r["libs"] if isinstance(r, dict) else r.libraries
    found, missing = set(), set()
    for name, lib in libs.items():
        real = lib["realpath"] if isinstance(lib, dict) else lib.realpath
        if real:
            found.add(os.path.realpath(str(real)))
        else:
            missing.add(name)
    out[f] = {"found": sorted(found - {rtld}), "missing": sorted(missing)}
json.dump({"results": out, "resolve_s": time.perf_counter() - t1}, open(sys.argv[2], "w"))
"""


def list_files(folder: str) -> list[str]:
    out = []
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            path = os.path.join(dirpath, name)
            if ".so" in name and os.path.isfile(path) and not os.path.islink(path):
                out.append(path)
    return sorted(out)


def warm(files: list[str]) -> None:
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 20):
                pass


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
    env["LC_ALL"] = "C"
    return env


def run_ours(files_json: str, tmp: str) -> tuple[float, dict[str, Any]]:
    out = os.path.join(tmp, "ours.json")
    env = clean_env()
    env["PYTHONPATH"] = str(ROOT)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", OURS, files_json, out], check=True, env=env)
    wall = time.perf_counter() - t
    return wall, dict(json.loads(Path(out).read_text()))


LDD_LINE = re.compile(r"^\s*(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$")
VERSION_LINE = re.compile(r"version `([^']+)' not found")


def run_ldd(files: list[str]) -> tuple[float, dict[str, dict[str, Any]]]:
    script = 'for f in "$@"; do echo "=== $f"; ldd "$f" 2>&1; done'
    t = time.perf_counter()
    proc = subprocess.run(["bash", "-c", script, "bash", *files], capture_output=True,
                          text=True, env=clean_env())
    wall = time.perf_counter() - t
    results: dict[str, dict[str, Any]] = {}
    rtld = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
    current: dict[str, Any] | None = None
    for line in proc.stdout.splitlines():
        if line.startswith("=== "):
            current = {"found": set(), "missing": set(), "versions": set(), "readable": True,
                       "errors": []}
            results[line[4:]] = current
            continue
        assert current is not None
        if "not a dynamic executable" in line or "statically linked" in line:
            current["readable"] = False
        elif m := VERSION_LINE.search(line):
            current["versions"].add(m.group(1))
        elif "error while loading" in line or line.startswith("ldd: "):
            current["errors"].append(line.strip())
        elif m := LDD_LINE.match(line):
            if m.group(2) == "not found":
                current["missing"].add(m.group(1))
            else:
                current["found"].add(os.path.realpath(m.group(2)))
        elif line.strip().startswith("/"):
            current["found"].add(os.path.realpath(line.strip().split(" (")[0]))
    for r in results.values():
        r["found"] -= {rtld}
    return wall, results


ENTRY = "import sys; from restybuild.cli import entry; entry()"  # what bin/restybuild runs


def ours_env() -> dict[str, str]:
    env = clean_env()
    env["PYTHONPATH"] = str(ROOT)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_deps(files: list[str], tmp: str) -> tuple[float, dict[str, dict[str, Any]]]:
    """``restybuild deps FILES --json`` in one process; its results in ldd's terms."""
    out = os.path.join(tmp, "deps.json")
    t = time.perf_counter()
    with open(out, "w") as fh:
        subprocess.run([sys.executable, "-c", ENTRY, "deps", "--json", *files], stdout=fh,
                       env=ours_env(), check=False)
    wall = time.perf_counter() - t
    rtld = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
    results: dict[str, dict[str, Any]] = {}
    for rep in json.loads(Path(out).read_text())["files"]:
        libs = rep["libraries"]
        results[rep["file"]] = {
            "found": sorted({os.path.realpath(lib["path"]) for lib in libs
                             if lib["path"] and lib["via"] != "loaded"} - {rtld}),
            "missing": sorted({lib["name"] for lib in libs if lib["status"] == "MISSING"}),
            "versions": sorted({m.group(1) for pr in rep["problems"]
                                if pr["severity"] == "error"
                                and (m := re.search(r"needs (\S+)", pr["message"]))}),
        }
    return wall, results


def best_of(cmd: list[str], env: dict[str, str], runs: int) -> float:
    return best(lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=False),
                runs)


def one_file(path: str, runs: int = 25) -> tuple[float, float]:
    """(restybuild deps on `path`, python -c pass): the best of `runs` each, alternated."""
    env = ours_env()
    subprocess.run([sys.executable, "-c", ENTRY, "deps", path], stdout=subprocess.DEVNULL,
                   env=env, check=False)  # warm: the loader facts kept in the cache folder
    ours, bare = float("inf"), float("inf")
    for _ in range(runs):
        ours = min(ours, best_of([sys.executable, "-c", ENTRY, "deps", path], env, 1))
        bare = min(bare, best_of([sys.executable, "-c", "pass"], env, 1))
    return ours, bare


def ensure_auditwheel() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import auditwheel.lddtree"],
                           capture_output=True)
    if check.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "auditwheel"], check=True)
    return python


def run_auditwheel(python: Path, files_json: str, tmp: str) -> tuple[float, dict[str, Any]]:
    out = os.path.join(tmp, "auditwheel.json")
    t = time.perf_counter()
    subprocess.run([str(python), "-c", AUDITWHEEL, files_json, out], check=True,
                   env=clean_env())
    wall = time.perf_counter() - t
    return wall, dict(json.loads(Path(out).read_text()))


def compare(ours: dict[str, Any], theirs: dict[str, dict[str, Any]],
            keys: tuple[str, ...], name: str) -> tuple[int, list[str]]:
    """Files whose `keys` equal ldd's (`theirs`), and a line per file that differs."""
    same = 0
    diffs = []
    for f, t in theirs.items():
        if not t.get("readable", True) or t.get("errors"):
            continue
        o = ours.get(f, {})
        mismatch = [k for k in keys if set(o.get(k, ())) != set(t.get(k, ()))]
        if mismatch:
            diffs.append(f"{f}: " + "; ".join(
                f"{k}: {name} only {sorted(set(o.get(k, ())) - set(t.get(k, ())))}, "
                f"ldd only {sorted(set(t.get(k, ())) - set(o.get(k, ())))}" for k in mismatch))
        else:
            same += 1
    return same, diffs


def main() -> int:
    folder = sys.argv[1] if len(sys.argv) > 1 else FOLDER
    files = list_files(folder)
    python = ensure_auditwheel()
    compile_bytecode()
    warm(files)
    with tempfile.TemporaryDirectory() as tmp:
        files_json = os.path.join(tmp, "files.json")
        Path(files_json).write_text(json.dumps(files))
        ours_wall, ours = run_ours(files_json, tmp)
        ldd_wall, ldd = run_ldd(files)
        aw_wall, aw = run_auditwheel(python, files_json, tmp)
        deps_wall, deps = run_deps(files, tmp)
    one, bare = one_file(os.path.join(folder, "libz.so.1") if os.path.exists(
        os.path.join(folder, "libz.so.1")) else files[0])
    readable = [f for f, r in ldd.items() if r["readable"] and not r["errors"]]
    same, diffs = compare(ours["results"], ldd, ("found", "missing", "versions"), "restybuild")
    aw_same, aw_diffs = compare(aw["results"], ldd, ("found", "missing"), "auditwheel")
    d_same, d_diffs = compare(deps, ldd, ("found", "missing", "versions"), "deps")
    version = subprocess.run([str(python), "-m", "pip", "show", "auditwheel"],
                             capture_output=True, text=True, env=clean_env()).stdout
    aw_version = next((ln.split()[-1] for ln in version.splitlines()
                       if ln.startswith("Version:")), "?")
    print(f"files: {len(files)} regular *.so* files under {folder}; "
          f"ldd can read {len(readable)}")
    print(f"restybuild, one process:  {ours_wall:7.2f} s wall (interpreter + imports "
          f"{ours['startup_s']:.2f} s, resolving {ours['resolve_s']:.2f} s)")
    print(f"ldd shell loop:           {ldd_wall:7.2f} s   restybuild is "
          f"{ldd_wall / ours_wall:.1f}x faster (target 5x)")
    print(f"auditwheel {aw_version} lddtree:  {aw_wall:7.2f} s   restybuild is "
          f"{aw_wall / ours_wall:.1f}x faster (target 20x)")
    print(f"same result as ldd: restybuild {same} of {len(readable)}, "
          f"auditwheel {aw_same} of {len(readable)}")
    print(f"restybuild deps --json, all files, whole process: {deps_wall:7.2f} s   "
          f"{ldd_wall / deps_wall:.1f}x faster than the ldd loop (target 12x); same result "
          f"as ldd: {d_same} of {len(readable)}")
    print(f"restybuild deps, one file: {one * 1000:.1f} ms; python -c pass: "
          f"{bare * 1000:.1f} ms; {one / bare:.2f}x (target at most 4x)")
    for d in diffs + d_diffs:
        print(f"  restybuild differs: {d}")
    for d in aw_diffs[:10]:
        print(f"  auditwheel differs: {d}")
    if len(aw_diffs) > 10:
        print(f"  ... and {len(aw_diffs) - 10} more auditwheel differences")
    return 0 if not diffs and not d_diffs else 1


if __name__ == "__main__":
    sys.exit(main())
