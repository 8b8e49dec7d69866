"""The contract, on the real daemon: when verification fails, lint had already reported an
error for that cause at the user's line; when lint reports an error, verification fails.

Every case of tests/contract.py is built and verified (the tag never moves on a failure);
lint runs first, as the user would run it. Rules that predict what only happens at run
time (the memory budget, workers, Kubernetes manifests) have no case here: they are
documented as run-time only in the README.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restybuild.build import build_and_tag
from restybuild.errors import RestyError
from restybuild.resolve import load_project
from tests.conftest import write_tree
from tests.contract import CASES
from tests.test_contract import lint_errors

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", sorted(CASES))
def test_lint_predicts_verification(name: str, tmp_path: Path, docker_client: Any,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESTYBUILD_NO_CACHE", "1")
    case = CASES[name]
    root = tmp_path.resolve() / name
    write_tree(root, case.files)
    errors = lint_errors(root)
    tag = f"rb-e2e/contract-{name}:test"
    failure: RestyError | None = None
    try:
        build_and_tag(load_project(root / "Restyfile"), tag, quiet=True, client=docker_client)
    except RestyError as e:
        failure = e
    else:
        docker_client.images.remove(tag, noprune=False)
    if failure is None:
        assert errors == set(), f"lint reported {errors}, but the image verified"
        assert case.cause is None
        return
    assert case.cause is not None, f"verification failed unpredicted: {failure.message}"
    assert case.cause in errors, (failure.message, errors)
    if failure.span is not None:  # the build's message is at the same place as lint's
        where = (Path(failure.span.file).resolve().relative_to(root).as_posix(),
                 failure.span.line)
        assert where == case.cause[1:], (failure.message, where)
