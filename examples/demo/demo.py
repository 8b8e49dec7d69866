#!/usr/bin/env python3
"""`make demo`: build Restyfile.example, verify it, run it, send it one request.

1. build the demo's natives and its offline rocks server (examples/demo/build.sh);
2. `restybuild build Restyfile.example -t restydemo:latest` (nginx -t + boot check);
3. check 127.0.0.1:8089 is free, start the image with host networking (its conf
   listens on 127.0.0.1 only), send one request that goes through greeter.so;
4. print the response and the image's size, stop and remove the container.
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
from restybuild.loopback import fetch, port_free  # noqa: E402

TAG = "restydemo:latest"
HOST, PORT = "127.0.0.1", 8089


def main() -> int:
    os.chdir(ROOT)
    subprocess.run(["bash", "examples/demo/build.sh"], check=True,
                   env={**os.environ, "PYTHON": sys.executable})
    rc = restybuild(["build", "Restyfile.example", "-t", TAG])
    if rc != 0:
        return rc
    if not port_free(PORT):
        print(f"demo: {HOST}:{PORT} is in use; stop what listens there and run again",
              file=sys.stderr)
        return 2
    client = connect()
    container = client.containers.run(TAG, network_mode="host", detach=True)
    try:
        body = fetch(PORT)
        ready = fetch(PORT, "/ready")
    except OSError as e:
        print(f"demo: no answer from {HOST}:{PORT}: {e}", file=sys.stderr)
        print(container.logs().decode(errors="replace"), file=sys.stderr)
        return 1
    finally:
        container.remove(force=True)
    image = client.images.get(TAG)
    base = client.images.get("restybuild/debian-bookworm:runtime")
    size, added = int(image.attrs["Size"]), int(image.attrs["Size"]) - int(base.attrs["Size"])
    print(f"\nGET http://{HOST}:{PORT}/      -> {body.strip()}")
    print(f"GET http://{HOST}:{PORT}/ready -> {ready.strip()}")
    print(f"image {TAG}: {size / 1e6:.1f} MB, of which {added / 1e3:.1f} kB added on top of "
          "the runtime base")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
