"""Five generated apps on one base through `restybuild build A B C D E --push`, on the real
engine and a registry of its own on 127.0.0.1 (scripts/registry-up in a temporary folder):

- wall time with --jobs 1 against --jobs 2 (each run builds every app anew: its files carry
  the run's salt, so no layer comes from the cache);
- the bytes the registry stores (its blobs) against the sum of the five images' sizes;
- the bytes a second push sends after a Lua-only change in one app (what restybuild counts
  from the push events, and what the registry's blobs grew by).

    python bench/bench_fleet.py
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import ROOT, restybuild_cmd
from restybuild.progress import human

NAMES = ("orders", "users", "search", "billing", "gateway")
BASE = "restybuild/debian-bookworm:runtime"


def write_app(folder: Path, name: str, salt: str, port: int) -> Path:
    """An app: a conf with a vhost, 12 Lua modules of about 2 kB, a shared dict."""
    lua = folder / "lua" / name
    lua.mkdir(parents=True, exist_ok=True)
    for i in range(12):
        body = "".join(f"function M.f{j}(x) return x * {j} + {i} end\n" for j in range(60))
        (lua / f"m{i}.lua").write_text(f"-- {salt}\nlocal M = {{}}\n{body}return M\n")
    (folder / "conf").mkdir(exist_ok=True)
    (folder / "conf/nginx.conf").write_text(
        "events {}\nhttp {\n  lua_package_path \"$prefix/lua/?.lua;;\";\n"
        f"  lua_shared_dict {name}_cache 1m;\n  server {{\n    listen {port};\n"
        f"    location / {{ content_by_lua_block {{ ngx.say(require(\"{name}.m0\").f1(1)) }} }}\n"
        "  }\n}\n")
    (folder / "Restyfile").write_text(
        f"name {name}\nbase debian-bookworm\nconf conf\nlua lua -> lua\n"
        f"shared_dict {name}_cache 1m\n")
    return folder / "Restyfile"


def blob_bytes(storage: Path) -> int:
    blobs = storage / "docker/registry/v2/blobs"
    return sum(p.stat().st_size for p in blobs.rglob("data") if p.is_file())


def fleet(files: list[Path], registry: str, jobs: int) -> float:
    cmd = [*restybuild_cmd(), "build", *map(str, files), "-t", f"{registry}/bench/{{name}}:1",
           "--jobs", str(jobs), "--push", "-q"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the fleet failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return took


def main() -> int:
    import docker

    client = docker.from_env()
    with tempfile.TemporaryDirectory(prefix="restybuild-bench-fleet-") as tmp:
        env = {**os.environ, "RESTYBUILD_REGISTRY_DIR": f"{tmp}/registry"}
        env.pop("RESTYBUILD_REGISTRY_HTPASSWD", None)
        registry = subprocess.run([str(ROOT / "scripts/registry-up")], env=env, check=True,
                                  capture_output=True, text=True).stdout.strip()
        assert registry.startswith("127.0.0.1:")
        made: set[str] = set()
        try:
            return _bench(client, Path(tmp), registry, made)
        finally:
            for name in NAMES:
                with contextlib.suppress(docker.errors.ImageNotFound):
                    ref = f"{registry}/bench/{name}:1"
                    made.add(str(client.images.get(ref).id))
                    client.images.remove(ref, noprune=True)
            for image in made:
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(image, noprune=False)
            subprocess.run([str(ROOT / "scripts/registry-down")], env=env, check=False)


def _ids(client: Any, registry: str) -> set[str]:
    return {client.images.get(f"{registry}/bench/{n}:1").id for n in NAMES}


def _bench(client: Any, tmp: Path, registry: str, made: set[str]) -> int:
    storage = tmp / "registry/storage"
    # the base's layer once, so that both timed runs push only what the apps add
    client.images.get(BASE).tag(f"{registry}/bench/base", "prime")
    subprocess.run([*restybuild_cmd(), "push", f"{registry}/bench/base:prime", "-q"],
                   check=True, capture_output=True)
    client.images.remove(f"{registry}/bench/base:prime", noprune=True)
    times = {}
    for jobs in (1, 2):
        files = [write_app(tmp / f"apps-{jobs}" / n, n, f"run {jobs}", 18200 + i)
                 for i, n in enumerate(NAMES)]
        times[jobs] = fleet(files, registry, jobs)
        made |= _ids(client, registry)
    sizes = sum(int(client.images.get(f"{registry}/bench/{n}:1").attrs["Size"]) for n in NAMES)
    stored = blob_bytes(storage)
    # a Lua-only change in one app, built and pushed alone
    changed = tmp / "apps-2" / "search"
    target = changed / "lua/search/m3.lua"
    target.write_text(target.read_text() + "-- a fix\n")
    before = blob_bytes(storage)
    proc = subprocess.run([*restybuild_cmd(), "build", str(changed / "Restyfile"), "-t",
                           f"{registry}/bench/search:1", "--push"], capture_output=True,
                          text=True, cwd=ROOT, check=True)
    made |= _ids(client, registry)
    sent = re.search(r"pushed \S+ \([\d.]+s, (.+?) sent\)$", proc.stderr, re.M)
    grew = blob_bytes(storage) - before
    results = {"jobs1_s": round(times[1], 2), "jobs2_s": round(times[2], 2),
               "speedup": round(times[1] / times[2], 2), "image_sizes": sizes,
               "registry_blobs": stored, "stored_over_sizes": round(stored / sizes, 4),
               "second_push_sent": sent.group(1) if sent else "?", "registry_grew": grew}
    print(f"5 apps, --jobs 1: {times[1]:.1f} s; --jobs 2: {times[2]:.1f} s "
          f"({times[1] / times[2]:.2f}x)")
    print(f"registry blobs {human(stored)} for images of {human(sizes)} in all "
          f"({stored / sizes:.1%})")
    print(f"a Lua-only change in one app: the push sent {results['second_push_sent']} of "
          f"layers (uncompressed, as the engine counts them); the registry grew by "
          f"{human(grew)} (compressed layer, config, manifest)")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
