"""Image economics of the example app: restybuild against the Dockerfile a team writes by hand.

Both are built on the real daemon from the same copy of the project (Restyfile.example
and examples/demo, its natives and rock server built by examples/demo/build.sh), the
hand-written one from bench/naive/Dockerfile (one stage from the builder base, the whole
project copied, `luarocks install` in the final image, natives copied by hand).

For each, side by side:

- final size and bytes over the runtime base (restybuild/debian-bookworm:runtime);
- the floor: the bytes of the files the final stage must add (the app's files as the
  context carries them: conf, Lua code, natives and bundled libraries; plus the rocks
  tree, read back from the image) — the same floor for both;
- the layers over the runtime base;
- after a one-line Lua change, then after a rocks change (the rock bumped to 1.0-2 with
  one more line of Lua, its server rebuilt, the Restyfile and the naive Dockerfile asking
  for it): the layers whose digest changed, the bytes of those layers (what a push sends,
  uncompressed), the rebuild time as a share of the cold build, and (restybuild) whether
  the natives, conf and app layers kept their digests;
- a rebuild with nothing changed (the image that passed before: restybuild runs no
  check, restybuild.verifyimage), as a share of the cold build.

restybuild's times are the whole `restybuild build` (plan, build, verification: nginx -t,
the library and module checks, the boot check) after the edit, against the whole
`restybuild build --no-cache`; its verification alone is timed too (the build without it
is the rest). The naive times are `docker build` and `docker build --no-cache` (it has no
verification). Targets: bytes over the base at most 1.05x the floor; a Lua-only change
alters exactly one layer, within 10% of the Lua code's size; the rebuild after it at most
15% of the cold build; after a rocks change the natives, conf and app layers keep their
digests.

Each cold build and each Lua rebuild is made 3 times (every Lua edit another version
string, every run's edits salted: no build cache or passed check of an earlier run or
repeat is taken), and the fastest counts: the machine is shared. restybuild's fastest
builds are broken down (RESTYBUILD_TIMINGS): the interpreter and imports, loading,
planning, connecting, the engine's build, each check's start and end (and whether it was
reused), the tag.

    python bench/bench_image.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import best  # noqa: E402
from restybuild.engine import connect  # noqa: E402
from restybuild.inputs import load  # noqa: E402
from restybuild.plan import plan  # noqa: E402

RUNTIME = "restybuild/debian-bookworm:runtime"
TAG = "restybuild-bench/image:{}"
REPEAT = 3  # cold builds and Lua rebuilds, each builder: the fastest is reported
ENTRY = "import sys; from restybuild.cli import entry; entry()"
LABEL = {"io.restybuild.bench": "bench_image"}


def project_copy(tmp: Path) -> Path:
    proj = tmp / "project"
    (proj / "examples").mkdir(parents=True)
    shutil.copytree(ROOT / "examples/demo", proj / "examples/demo",
                    ignore=shutil.ignore_patterns("build"))
    shutil.copy(ROOT / "Restyfile.example", proj / "Restyfile.example")
    shutil.copy(ROOT / "bench/naive/Dockerfile", proj / "Dockerfile")
    subprocess.run(["bash", "examples/demo/build.sh"], cwd=proj, check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHON": sys.executable})
    return proj


def env() -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


BREAKDOWN: dict[str, Any] = {}  # the last build's RESTYBUILD_TIMINGS, by what it was


def ours(proj: Path, tag: str, cold: bool, what: str = "cold") -> float:
    cmd = [sys.executable, "-c", ENTRY, "build", "Restyfile.example", "-t", tag, "-q"]
    t = time.perf_counter()
    done = subprocess.run(cmd + (["--no-cache"] if cold else []), cwd=proj, check=False,
                          env={**env(), "RESTYBUILD_TIMINGS": "1"}, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"restybuild build failed ({what}):\n{done.stderr}")
    for line in done.stderr.splitlines():
        if line.startswith("restybuild-timings: ") and took < BREAKDOWN.get(what, {}).get(
                "wall", float("inf")):  # the fastest of the repeats
            BREAKDOWN[what] = {**json.loads(line.split(" ", 1)[1]), "wall": took}
    return took


def verification_time(client: Any, proj: Path, tag: str) -> float:
    """The verification of `tag` alone, as the build runs it."""
    from restybuild.verifyrun import verify

    os.chdir(proj)
    try:
        inputs = load("Restyfile.example")
        bp = plan(inputs.project, inputs.base.index, inputs.tree)
    finally:
        os.chdir(ROOT)
    t = time.perf_counter()
    verify(client, client.images.get(tag).id, bp, reuse=False)
    return time.perf_counter() - t


def naive(client: Any, proj: Path, tag: str, cold: bool) -> float:
    t = time.perf_counter()
    client.images.build(path=str(proj), tag=tag, nocache=cold, rm=True, forcerm=True,
                        labels=LABEL, network_mode="none")
    return time.perf_counter() - t


def layers(client: Any, tag: str) -> list[tuple[str, int]]:
    """(diff ID, bytes) of each layer of `tag`, oldest first."""
    image = client.images.get(tag)
    ids = list(image.attrs["RootFS"]["Layers"])
    sizes = []
    for entry in reversed(client.api.history(image.id)):
        created = str(entry.get("CreatedBy") or "")
        if "#(nop)" not in created or "#(nop) COPY" in created or "#(nop) ADD" in created:
            sizes.append(int(entry.get("Size") or 0))
    if len(sizes) != len(ids):
        sizes = [0] * (len(ids) - len(sizes)) + sizes[-len(ids):]
    return list(zip(ids, sizes))


def tree_bytes(client: Any, image: str, path: str) -> int:
    container = client.containers.create(image, ["true"], network_mode="none", labels=LABEL)
    try:
        stream, _ = container.get_archive(path)
        data = b"".join(stream)
    finally:
        container.remove(force=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return sum(m.size for m in tar.getmembers() if m.isfile())


def floor_bytes(client: Any, proj: Path, tag: str) -> tuple[int, int, int]:
    """(all, Lua code, rocks tree): the bytes of the files the final stage must add."""
    os.chdir(proj)
    try:
        inputs = load("Restyfile.example")
        bp = plan(inputs.project, inputs.base.index, inputs.tree)
    finally:
        os.chdir(ROOT)
    files = lua = 0
    for e in bp.context:
        if e.arcname.startswith("layers/") and not e.is_dir:
            n = len(e.data) if e.data is not None else Path(str(e.source)).stat().st_size
            files += n
            lua += n if e.arcname.startswith("layers/app/") else 0
    rocks = tree_bytes(client, tag, bp.rocks_tree) if bp.rocks_tree else 0
    return files + rocks, lua, rocks


#: in each edit: no run takes an earlier run's build cache (or passed checks) for its own
SALT = f"{time.time_ns() % 10**8:08d}"


def lua_edit(proj: Path, n: int = 0) -> None:
    handler = proj / "examples/demo/lua/demo/handler.lua"
    text = handler.read_text()
    new = re.sub(r'local _M = \{ _VERSION = "[^"]*" \}',
                 f'local _M = {{ _VERSION = "1.{n + 1}-{SALT}" }}', text)
    assert new != text, "the edit changed nothing"
    handler.write_text(new)


def rocks_edit(proj: Path) -> None:
    src = proj / "examples/demo/rocks-src/restydemo-banner"
    spec = src / "restydemo-banner-1.0-1.rockspec"
    spec.rename(src / "restydemo-banner-1.0-2.rockspec")
    new = src / "restydemo-banner-1.0-2.rockspec"
    new.write_text(new.read_text().replace('version = "1.0-1"', 'version = "1.0-2"'))
    banner = src / "restydemo/banner.lua"
    banner.write_text(banner.read_text() + f"-- 1.0-2: one more line ({SALT})\n")
    subprocess.run([sys.executable, "-m", "restybuild.rockserver", "examples/demo/build/rocks",
                    "examples/demo/rocks-src/restydemo-banner"], cwd=proj, check=True,
                   env=env(), stdout=subprocess.DEVNULL)
    for name in ("Restyfile.example", "Dockerfile"):
        path = proj / name
        path.write_text(re.sub(r"restydemo-banner 1\.0-1", "restydemo-banner 1.0-2",
                               path.read_text()))


def human(n: float) -> str:
    for unit, size in (("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def builders(client: Any, proj: Path, what: str = "cold") -> dict[str, Any]:
    return {"restybuild": lambda tag, cold: ours(proj, tag, cold, what),
            "naive": lambda tag, cold: naive(client, proj, tag, cold)}


def cold_builds(client: Any, proj: Path, base: Any) -> dict[str, dict[str, Any]]:
    out = {}
    base_size, base_layers = int(base.attrs["Size"]), set(base.attrs["RootFS"]["Layers"])
    for name, build in builders(client, proj).items():
        tag = TAG.format(name)
        cold = min(build(tag, True) for _ in range(REPEAT))
        image = client.images.get(tag)
        out[name] = {"cold": cold, "size": int(image.attrs["Size"]),
                     "over": int(image.attrs["Size"]) - base_size,
                     "layers": len([d for d in image.attrs["RootFS"]["Layers"]
                                    if d not in base_layers])}
    return out


def change(client: Any, proj: Path, what: str, r: dict[str, dict[str, Any]]) -> None:
    """One edit, each builder's rebuild; the Lua edit made REPEAT times (the version string
    set anew each time), the fastest rebuild kept (the rocks bump is made once)."""
    times: dict[str, list[float]] = {name: [] for name in r}
    stats: dict[str, tuple[list[Any], list[Any]]] = {}
    for n in range(REPEAT if what == "Lua" else 1):
        lua_edit(proj, n) if what == "Lua" else rocks_edit(proj)
        for name, build in builders(client, proj, what).items():
            tag = TAG.format(name)
            old = layers(client, tag)
            times[name].append(build(tag, False))
            stats.setdefault(name, (old, layers(client, tag)))
    for name, (old, new) in stats.items():
        t = min(times[name])
        known = {d for d, _ in old}
        changed = [(d, size) for d, size in new if d not in known]
        r[name][what] = {"changed": len(changed), "bytes": sum(size for _, size in changed),
                         "time": t, "share": t / r[name]["cold"],
                         "kept": [d for d, _ in old[-3:]] == [d for d, _ in new[-3:]]}


def engine_floor(client: Any) -> dict[str, float]:
    """What any rebuild that boots the image pays outside restybuild's own work, best of 5:
    one container of the runtime base created, started, ended and removed (the boot check
    needs one), and the interpreter importing the Docker SDK (the build talks to the engine
    through it); `python -c pass` too, to show how much of that is the interpreter."""
    def container() -> None:
        c = client.containers.create(RUNTIME, ["true"], network_mode="none", labels=LABEL)
        try:
            c.start()
            c.wait()
        finally:
            c.remove(force=True)

    def python(code: str) -> None:
        subprocess.run([sys.executable, "-c", code], check=True, env=env())

    return {"container": best(container), "python": best(lambda: python("pass")),
            "sdk": best(lambda: python("import docker"))}


def report(r: dict[str, dict[str, Any]], floor: int, lua: int, rocks: int,
           verify_s: float, engine: dict[str, float]) -> None:
    o, n = r["restybuild"], r["naive"]
    rows = [("final size", human(o["size"]), human(n["size"])),
            (f"bytes over {RUNTIME}", human(o["over"]), human(n["over"])),
            (f"  over the floor ({human(floor)})", f"{o['over'] / floor:.3f}x",
             f"{n['over'] / floor:.1f}x"),
            ("layers over the runtime base", str(o["layers"]), str(n["layers"])),
            ("cold build (--no-cache)", f"{o['cold']:.2f} s", f"{n['cold']:.2f} s")]
    for what in ("Lua", "rocks"):
        rows += [(f"{what} change: layers changed", str(o[what]["changed"]),
                  str(n[what]["changed"])),
                 (f"{what} change: bytes a push sends", human(o[what]["bytes"]),
                  human(n[what]["bytes"])),
                 (f"{what} change: rebuild / cold", f"{o[what]['time']:.2f} s = "
                  f"{o[what]['share']:.0%}", f"{n[what]['time']:.2f} s = {n[what]['share']:.0%}")]
    rows.append(("rocks change: natives, conf, app digests kept",
                 "yes" if o["rocks"]["kept"] else "NO", "-"))
    rows.append(("nothing changed: rebuild / cold", f"{o['unchanged']:.2f} s = "
                 f"{o['unchanged'] / o['cold']:.0%}",
                 f"{n['unchanged']:.2f} s = {n['unchanged'] / n['cold']:.0%}"))
    print(f"{'':46} {'restybuild':>18} {'hand-written':>18}")
    for label, a, b in rows:
        print(f"{label:46} {a:>18} {b:>18}")
    lua_verify = BREAKDOWN.get("Lua", {}).get("spans", {}).get("verify", 0.0)
    print(f"floor: {human(floor)} (Lua code {human(lua)}, rocks tree {human(rocks)}); "
          f"restybuild's whole verification run alone, no check reused, {verify_s:.2f} s; "
          f"in the rebuild after the Lua change {lua_verify:.2f} s, the rest of that rebuild "
          f"{o['Lua']['time'] - lua_verify:.2f} s = "
          f"{(o['Lua']['time'] - lua_verify) / o['cold']:.0%} of the cold build")
    for what, b in BREAKDOWN.items():
        spans = b["spans"]
        print(f"restybuild {what} build, {b['wall']:.2f} s in all: " + ", ".join(
            f"{k} {v * 1000:.0f} ms" for k, v in spans.items()) + "; checks (start-end, s): "
            + ", ".join(f"{k} {a:.2f}-{e:.2f}{' reused' if r else ''}"
                        for k, (a, e, r) in b.get("checks", {}).items()))
    print("  (start: the interpreter and the command line; imports: the build's modules; "
          "connect: importing the Docker SDK and asking the engine; build: the engine's "
          "build of the context; verify: the checks, at the same time)")
    build = BREAKDOWN.get("Lua", {}).get("spans", {}).get("build", 0.0)
    least = build + engine["container"] + engine["sdk"]
    print(f"the least a Lua rebuild that boots the image can take here: the engine's build "
          f"{build * 1000:.0f} ms + one container {engine['container'] * 1000:.0f} ms + "
          f"the interpreter with the Docker SDK {engine['sdk'] * 1000:.0f} ms "
          f"(`python -c pass` {engine['python'] * 1000:.0f} ms) = {least:.2f} s = "
          f"{least / o['cold']:.0%} of the cold build")
    print("targets: over the floor <= 1.05x; Lua change: 1 layer, within 10% of the Lua "
          "code's size; rebuild <= 15% of cold; rocks change: natives, conf, app kept")


def main() -> int:
    client = connect()
    base = client.images.get(RUNTIME)
    with tempfile.TemporaryDirectory(prefix="restybuild-bench-image-") as tmp:
        proj = project_copy(Path(tmp))
        try:
            r = cold_builds(client, proj, base)
            floor, lua, rocks = floor_bytes(client, proj, TAG.format("restybuild"))
            verify_s = verification_time(client, proj, TAG.format("restybuild"))
            for what in ("Lua", "rocks"):
                change(client, proj, what, r)
            tag = TAG.format("restybuild")
            r["restybuild"]["unchanged"] = min(ours(proj, tag, False, "unchanged")
                                               for _ in range(REPEAT))
            r["naive"]["unchanged"] = min(naive(client, proj, TAG.format("naive"), False)
                                          for _ in range(REPEAT))
            engine = engine_floor(client)
        finally:
            for name in ("restybuild", "naive"):
                with contextlib.suppress(Exception):  # never built: nothing to remove
                    client.images.remove(TAG.format(name), noprune=True)
    report(r, floor, lua, rocks, verify_s, engine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
