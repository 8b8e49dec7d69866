"""The contract over the corpus of tests/contract.py, on the real engine: verification
failures lint predicted at the user's line (goal N of N), and cases where lint reported an
error that verification did not confirm (goal 0).

    python bench/bench_contract.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from restybuild.errors import RestyError
from tests.conftest import write_tree
from tests.contract import CASES
from tests.test_contract import lint_errors


def main() -> int:
    from restybuild.build import build_and_tag
    from restybuild.engine import connect
    from restybuild.resolve import load_project

    os.environ["RESTYBUILD_NO_CACHE"] = "1"
    client = connect()
    failures = predicted = false_errors = 0
    with tempfile.TemporaryDirectory(prefix="restybuild-contract-") as tmp:
        for name in sorted(CASES):
            root = Path(tmp).resolve() / name
            write_tree(root, CASES[name].files)
            errors = lint_errors(root)
            tag = f"restybuild-bench/contract-{name}:bench"
            try:
                build_and_tag(load_project(root / "Restyfile"), tag, quiet=True, client=client)
                client.images.remove(tag, noprune=False)
                verdict = "verified"
                false_errors += bool(errors)
            except RestyError as e:
                verdict = f"failed: {e.message[:70]}"
                failures += 1
                cause = CASES[name].cause
                predicted += cause is not None and cause in errors
            shown = ", ".join(f"{c} {f}:{line}" for c, f, line in sorted(errors)) or "no error"
            print(f"{name:28} lint: {shown:32} build: {verdict}")
    print(f"verification failures predicted by lint at the user's line: {predicted} of "
          f"{failures}; lint errors verification did not confirm: {false_errors}")
    return 0 if predicted == failures and not false_errors else 1


if __name__ == "__main__":
    sys.exit(main())
