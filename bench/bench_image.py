"""Bytes the example's final stage adds on top of the runtime base, over the bytes it had to add.

The files it had to add: the natives and bundled libraries, the effective
conf, the Lua code (all from the build context) and the rocks tree (read back
from the image). The layers: every history entry above the base image's top.
Target: at most 1.05.

    python bench/bench_image.py
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restybuild.build import build_and_tag  # noqa: E402
from restybuild.engine import connect  # noqa: E402
from restybuild.resolve import load_project  # noqa: E402

TAG = "restybuild-bench/example:latest"


def tree_bytes(client: object, image: str, path: str) -> int:
    container = client.containers.create(image, ["true"], network_mode="none")  # type: ignore[attr-defined]
    try:
        stream, _ = container.get_archive(path)
        data = b"".join(stream)
    finally:
        container.remove(force=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return sum(m.size for m in tar.getmembers() if m.isfile())


def main() -> int:
    os.chdir(ROOT)
    subprocess.run(["bash", "examples/demo/build.sh"], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHON": sys.executable})
    client = connect()
    project = load_project("Restyfile.example")
    result = build_and_tag(project, TAG, quiet=True, client=client)
    bp = result.plan
    files = 0
    for e in bp.context:
        if e.arcname.startswith("layers/") and not e.is_dir:
            files += len(e.data) if e.data is not None else Path(str(e.source)).stat().st_size
    rocks = tree_bytes(client, TAG, bp.rocks_tree) if bp.rocks_tree else 0
    base = client.images.get(bp.runtime_image)
    history = client.api.history(result.image_id)
    added = 0
    for entry in history:
        if entry["Id"] == base.id:
            break
        added += int(entry["Size"])
    need = files + rocks
    print(f"example image {TAG}")
    print(f"  files to add: {need} bytes (context layers {files}, rocks tree {rocks})")
    print(f"  layers added on top of {bp.runtime_image}: {added} bytes")
    print(f"  ratio: {added / need:.4f} (target <= 1.05)")
    client.images.remove(TAG, noprune=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
