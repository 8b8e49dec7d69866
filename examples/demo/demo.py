#!/usr/bin/env python3
"""`make demo`: build Restyfile.example, verify it, run it, send it one request.

1. build the demo's natives and its offline rocks server (examples/demo/build.sh);
2. `restybuild build Restyfile.example -t restydemo:latest` (nginx -t + boot check);
3. start the image as Kubernetes runs it (its non-root USER, read-only root with a tmpfs,
   no capabilities) in a container with no network at all, and send, from inside it
   (`docker exec`), one request that goes through greeter.so and one to /ready;
4. print the responses and the image's size, stop and remove the container.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from restybuild.cli import main as restybuild  # noqa: E402
from restybuild.engine import connect  # noqa: E402
from restybuild.inputs import load  # noqa: E402
from restybuild.loopback import ask_inside  # noqa: E402
from restybuild.plan import plan  # noqa: E402
from restybuild.verify import as_kubernetes  # noqa: E402

TAG = "restydemo:latest"
PORT = 8089


def main() -> int:
    os.chdir(ROOT)
    subprocess.run(["bash", "examples/demo/build.sh"], check=True,
                   env={**os.environ, "PYTHON": sys.executable})
    rc = restybuild(["build", "Restyfile.example", "-t", TAG])
    if rc != 0:
        return rc
    client = connect()
    inputs = load("Restyfile.example")
    run = as_kubernetes(plan(inputs.project, inputs.base.index, inputs.tree))
    container = client.containers.run(TAG, network_mode="none", detach=True, **run)
    try:
        _status, body = ask_inside(container, PORT)
        _status, ready = ask_inside(container, PORT, "/ready")
    except OSError as e:
        print(f"demo: no answer on port {PORT}: {e}", file=sys.stderr)
        print(container.logs().decode(errors="replace"), file=sys.stderr)
        return 1
    finally:
        container.remove(force=True)
    image = client.images.get(TAG)
    base = client.images.get("restybuild/debian-bookworm:runtime")
    size, added = int(image.attrs["Size"]), int(image.attrs["Size"]) - int(base.attrs["Size"])
    print(f"\nGET :{PORT}/      -> {body.strip()}   (sent inside the container)")
    print(f"GET :{PORT}/ready -> {ready.strip()}")
    print(f"image {TAG}: {size / 1e6:.1f} MB, of which {added / 1e3:.1f} kB added on top of "
          "the runtime base")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
