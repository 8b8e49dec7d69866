"""`restybuild lock` on the real engine: the lock pins the image, and a moved tag is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restybuild.cli import main
from restybuild.errors import Exit
from restybuild.inputs import load
from restybuild.lock import lock_path
from tests.conftest import BASE_BUILDER, BASE_RUNTIME, write_tree
from tests.test_elf_fixtures import lib, lua_module

pytestmark = pytest.mark.e2e
REF = "rb-e2e/lockbase:1"


def test_lock_pins_the_image_and_build_refuses_a_moved_tag(
        docker_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    docker_client.images.get(BASE_RUNTIME).tag("rb-e2e/lockbase", "1")
    dep = lib(tmp_path / "vendor", "liblockdep.so.1")
    lua_module(tmp_path / "lib", "lockmod", needs=[dep], calls=["liblockdep_fn"])
    write_tree(tmp_path, {
        "Restyfile": f"name lockapp\nbase image {REF} recipe debian-bookworm\n"
                     "native lib/lockmod.so -> lua { search vendor }\n"})
    rf = tmp_path / "Restyfile"
    try:
        assert main(["lock", str(rf)]) == 0
        assert capsys.readouterr().err.startswith(f"wrote {lock_path(rf)}: {REF} is sha256:")
        inputs = load(rf)
        assert inputs.base.lock is not None
        assert inputs.base.lock.image_id == docker_client.images.get(REF).id
        assert main(["plan", str(rf)]) == 0
        assert "cannot be checked" not in capsys.readouterr().err
        # the tag moves to another image: the lock no longer describes it
        docker_client.images.get(BASE_BUILDER).tag("rb-e2e/lockbase", "1")
        assert main(["build", str(rf), "-t", "rb-e2e/lockapp:test", "-q"]) == Exit.CONFIG
        err = capsys.readouterr().err
        assert f"error: the base image {REF} on this engine" in err
        assert "write the lock again: restybuild lock" in err
    finally:
        docker_client.images.remove(REF, noprune=True)
