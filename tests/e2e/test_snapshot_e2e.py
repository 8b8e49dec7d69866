"""`restybuild base snapshot` and `restybuild lock` read the base facts of the real base image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from restybuild.basefacts import BaseFacts, flavor_facts
from restybuild.cli import main
from restybuild.lock import choose_facts, lock_path
from restybuild.recipes import load as load_recipe
from restybuild.resolve import load_project
from restybuild.snapshot import read_facts, read_flavor_facts
from restybuild.source import SourceTree
from tests.conftest import BASE_RUNTIME, write_tree

pytestmark = pytest.mark.e2e
LUA = "/usr/lib/nginx/modules/ngx_http_lua_module.so"


def names(facts: BaseFacts, source: str) -> set[str]:
    return {n for n, s, _c in facts.directives if s == source}


def test_read_facts_finds_the_directives_accounts_and_files_of_the_base(
        docker_client: Any) -> None:
    facts = read_facts(docker_client, BASE_RUNTIME, "/usr/sbin/nginx")
    assert facts.image_id == docker_client.images.get(BASE_RUNTIME).id
    assert facts.version.startswith("nginx/1.")
    core = names(facts, "/usr/sbin/nginx")
    assert {"worker_processes", "server", "location", "proxy_pass", "include"} <= core
    assert len(core) > 400  # Debian's nginx: every http module compiled in
    lua = names(facts, LUA)
    assert {"content_by_lua_block", "lua_shared_dict", "lua_package_path"} <= lua
    everything = {n for n, _s, _c in facts.directives}
    assert "echo" not in everything and "more_set_headers" not in everything
    assert ("location", "/usr/sbin/nginx", ("http_loc", "http_srv")) in facts.directives
    assert {"root", "www-data", "nobody"} <= set(facts.users)
    assert "nogroup" in facts.groups and "nobody" not in facts.groups  # Debian's nobody
    assert "/etc/nginx/mime.types" in facts.files
    # Debian's CA bundle, not CentOS's: the well-known paths looked for, those it has
    assert "/etc/pki/tls/certs/ca-bundle.crt" in facts.probed
    assert "/etc/ssl/certs/ca-certificates.crt" in facts.files
    assert "/etc/pki/tls/certs/ca-bundle.crt" not in facts.files
    assert LUA in facts.dynamic_modules


def test_the_snapshot_command_writes_what_read_facts_reads(
        docker_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "facts.json"
    assert main(["base", "snapshot", "debian-bookworm", "-o", str(out)]) == 0
    assert capsys.readouterr().err == f"wrote {out}\n"
    flavor = load_recipe("debian-bookworm").flavor(None, None)
    again = read_flavor_facts(docker_client, flavor)
    assert out.read_text() == again.dumps()  # deterministic
    assert set(again.offered) == set(flavor.offered_files)  # the recipe's packaged modules
    # an image, not a recipe: its nginx is found, and no recipe offers it modules
    assert main(["base", "snapshot", BASE_RUNTIME]) == 0
    bare = read_facts(docker_client, BASE_RUNTIME, "/usr/sbin/nginx")
    assert capsys.readouterr().out == bare.dumps() and bare.offered == ()
    shipped = flavor_facts(flavor)
    assert shipped is not None
    # the shipped snapshot is of this image, or of an earlier bootstrap of the same recipe
    assert shipped.directives == again.directives or shipped.image_id != again.image_id


def test_lock_pins_the_facts_of_a_recipe_base(docker_client: Any, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(tmp_path, {"Restyfile": "name factsapp\nbase debian-bookworm\n"})
    rf = tmp_path / "Restyfile"
    assert main(["lock", str(rf)]) == 0
    assert "base facts sha256:" in capsys.readouterr().err
    got = choose_facts(load_project(rf), SourceTree())
    assert got.facts == read_flavor_facts(docker_client, load_project(rf).flavor)
    assert got.facts.offered  # the lock pins the facts of the packaged modules too
    assert got.source.startswith(lock_path(rf).name)


def test_lock_pins_the_modules_image_and_build_refuses_another(
        docker_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    write_tree(tmp_path, {
        "Restyfile": "name pinmods\nbase debian-bookworm\nconf conf\nmodule echo\n",
        "conf/nginx.conf": "events {}\nhttp { server { listen 18097; "
                           "location / { echo hi; } } }\n"})
    rf = tmp_path / "Restyfile"
    assert main(["lock", str(rf)]) == 0
    modules = load_recipe("debian-bookworm").flavor(None, None).modules_image
    engine_id = docker_client.images.get(modules).id
    assert f"{modules} is {engine_id[:19]}" in capsys.readouterr().err
    path = lock_path(rf)
    data = json.loads(path.read_text())
    assert (data["modules_image"], data["modules_image_id"]) == (modules, engine_id)
    data["modules_image_id"] = "sha256:" + "0" * 64  # the image moved since the lock
    path.write_text(json.dumps(data))
    assert main(["build", str(rf), "-t", "rb-e2e/pinmods:test"]) == 4
    err = capsys.readouterr().err
    assert err.startswith(f"{rf}:4:8: error: the modules image {modules} on this engine "
                          f"({engine_id[:19]}) is not the one Restyfile.lock pins"), err
    assert "restybuild lock" in err
    assert not docker_client.images.list(name="rb-e2e/pinmods")
