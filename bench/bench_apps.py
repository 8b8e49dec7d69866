"""The four app fixtures of tests/apps.py: false "unresolved require" findings (goal 0) and
apps that build and verify on their first Restyfile (goal 4 of 4), on the real engine.

    python bench/bench_apps.py [--no-build]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from restybuild.errors import RestyError
from restybuild.lint.runner import lint
from tests.apps import APPS, write_app


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-build", action="store_true", help="lint only")
    args = ap.parse_args()
    false_findings = 0
    built = 0
    with tempfile.TemporaryDirectory(prefix="restybuild-apps-") as tmp:
        for name in sorted(APPS):
            restyfile = write_app(Path(tmp) / name, name)
            os.chdir(restyfile.parent)
            diags = lint("Restyfile", {}).diagnostics
            rb101 = [d for d in diags if d.code == "RB101"]
            false_findings += len(rb101)
            line = f"{name:10} lint: {len(diags)} finding(s), {len(rb101)} unresolved require"
            if not args.no_build:
                from restybuild.build import build_and_tag
                from restybuild.engine import connect
                from restybuild.resolve import load_project

                client = connect()
                start = time.perf_counter()
                try:
                    build_and_tag(load_project(restyfile), f"rb-bench/app-{name}:first",
                                  quiet=True, client=client)
                    built += 1
                    line += f"; built and verified in {time.perf_counter() - start:.1f} s"
                    client.images.remove(f"rb-bench/app-{name}:first", noprune=False)
                except RestyError as e:
                    line += f"; FAILED: {e.message}"
            print(line)
    print(f"false unresolved-require findings: {false_findings} (goal 0)")
    if not args.no_build:
        print(f"apps built and verified on their first Restyfile: {built} of {len(APPS)}")
    return 0 if false_findings == 0 and (args.no_build or built == len(APPS)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
