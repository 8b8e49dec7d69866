"""End to end, on the real daemon: natives' libraries bundled, checked and loaded in the image."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.build import build_and_tag
from restybuild.cli import main
from restybuild.elf.image import read_index
from restybuild.elf.libindex import load_snapshot
from restybuild.errors import ConfigError, VerifyFailed
from restybuild.lock import BaseIndex
from restybuild.loopback import fetch, port_free
from restybuild.recipes import load
from restybuild.resolve import load_project
from restybuild.rockserver import make_server
from tests.conftest import BASE_RUNTIME, write_tree
from tests.test_elf_fixtures import cc

pytestmark = pytest.mark.e2e

PORT = 18094
MODULE = """\
typedef struct lua_State lua_State;
void lua_pushstring(lua_State *L, const char *s);
const char *one_text(void);
int luaopen_twodeps(lua_State *L) { lua_pushstring(L, one_text()); return 1; }
"""
CONF = f"""\
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    server {{
        listen 127.0.0.1:{PORT};
        location / {{ content_by_lua_block {{ ngx.say(require("twodeps")) }} }}
    }}
}}
"""


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private index cache, so a test reads the images itself."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture()
def tag(docker_client: Any) -> Iterator[str]:
    name = "rb-e2e/natives:test"
    yield name
    # not there when the test failed before, or when verification refused the image
    with contextlib.suppress(Exception):
        docker_client.images.remove(name, noprune=True)


def two_deps_project(root: Path) -> Path:
    two = cc(root / "vendor/b/libtwo.so.1", 'const char *two_text(void){return "two";}\n',
             soname="libtwo.so.1")
    one = cc(root / "vendor/a/libone.so.1",
             "#include <stdio.h>\nconst char *two_text(void);\nstatic char buf[64];\n"
             'const char *one_text(void){snprintf(buf, sizeof buf, "one+%s", two_text());'
             "return buf;}\n", soname="libone.so.1", needs=[two])
    cc(root / "lib/twodeps.so", MODULE, needs=[one])
    write_tree(root, {
        "Restyfile": "name natives\nbase debian-bookworm\nconf conf\n"
                     "native lib/twodeps.so -> lua {\n    search vendor/a vendor/b\n}\n",
        "conf/nginx.conf": CONF,
    })
    return root / "Restyfile"


def test_a_native_with_two_bundled_dependencies_loads_in_the_image(
        docker_client: Any, tmp_path: Path, tag: str, cache: Path) -> None:
    project = load_project(two_deps_project(tmp_path))
    result = build_and_tag(project, tag, quiet=True, client=docker_client)
    report = result.report
    assert report.libraries == (
        "/usr/share/nginx/lua/twodeps.so: 5 needed, 2 from /usr/local/lib/restybuild, "
        "0 missing",)
    assert report.modules == ("restybuild-load: ok twodeps",)
    arcs = sorted(e.arcname for e in result.plan.context if "restybuild/" in e.arcname)
    assert arcs == ["layers/natives/usr/local/lib/restybuild/libone.so.1",
                    "layers/natives/usr/local/lib/restybuild/libtwo.so.1"]
    # and at request time, in a worker
    assert port_free(PORT), f"127.0.0.1:{PORT} is in use; the test needs it"
    container = docker_client.containers.run(tag, network_mode="host", detach=True)
    try:
        assert fetch(PORT) == "one+two\n"
    finally:
        container.remove(force=True)


def test_a_library_the_image_lacks_fails_verification(
        docker_client: Any, tmp_path: Path, tag: str, cache: Path) -> None:
    # a base made from the runtime image without libbz2, which nginx does not need
    runner = docker_client.containers.run(
        BASE_RUNTIME, ["sh", "-c", "rm /usr/lib/x86_64-linux-gnu/libbz2.so.1.0*"],
        network_mode="none", detach=True)
    runner.wait(timeout=60)
    runner.commit("rb-e2e/nobz2", "test")
    runner.remove(force=True)
    try:
        cc(tmp_path / "lib/needbz.so", MODULE.replace("one_text()", '"bz"') +
           "int BZ2_bzlibVersion(void);\nint v(void){return BZ2_bzlibVersion();}\n",
           needs=["-l:libbz2.so.1.0"])
        write_tree(tmp_path, {
            "Restyfile": "name nobz\nbase image rb-e2e/nobz2:test recipe debian-bookworm\n"
                         "native lib/needbz.so -> lua\n"})
        project = load_project(tmp_path / "Restyfile")
        # never locked: build reads the base's index from the engine, and knows before building
        with pytest.raises(ConfigError) as early:
            build_and_tag(project, tag, quiet=True, client=docker_client)
        assert early.value.message == ("lib/needbz.so needs libbz2.so.1.0, which the base image "
                                       "rb-e2e/nobz2:test lacks and no search folder has")
        # an index that says the base has it (the debian runtime's): the image's own library
        # check still finds it missing, and the tag does not move
        stale = BaseIndex(load_snapshot(load("debian-bookworm").flavor(None, None).library_index),
                          "stale")
        with pytest.raises(VerifyFailed) as exc:
            build_and_tag(project, tag, quiet=True, client=docker_client, base=stale)
        assert exc.value.message == (
            "library check failed: /usr/share/nginx/lua/needbz.so needs libbz2.so.1.0, which is "
            "not found in the candidate image (searched: ld.so.cache "
            "(/lib/x86_64-linux-gnu/libbz2.so.1.0), /lib/x86_64-linux-gnu, "
            "/usr/lib/x86_64-linux-gnu, /lib, /usr/lib)")
        assert not docker_client.images.list(name=tag)
    finally:
        docker_client.images.remove("rb-e2e/nobz2:test", noprune=True)


def test_a_module_that_cannot_load_fails_the_load_check(
        docker_client: Any, tmp_path: Path, tag: str, cache: Path) -> None:
    cc(tmp_path / "lib/broken.so", MODULE.replace("twodeps", "broken").replace(
        "one_text()", "not_defined_anywhere()").replace(
        "const char *one_text(void);", "const char *not_defined_anywhere(void);"))
    write_tree(tmp_path, {"Restyfile": "name broken\nbase debian-bookworm\n"
                                       "native lib/broken.so -> lua\n"})
    with pytest.raises(VerifyFailed) as exc:
        build_and_tag(load_project(tmp_path / "Restyfile"), tag, quiet=True,
                      client=docker_client)
    msg = exc.value.message
    assert msg.startswith("Lua C module load check failed: module 'broken' "
                          "(/usr/share/nginx/lua/broken.so) failed to load: error loading "
                          "module 'broken' from file '/usr/share/nginx/lua/broken.so':")
    assert msg.endswith("undefined symbol: not_defined_anywhere")


def test_c_rocks_are_checked_and_loaded(docker_client: Any, tmp_path: Path, tag: str,
                                        cache: Path) -> None:
    src = tmp_path / "rock-src/crock"
    write_tree(src, {
        "crock-1.0-1.rockspec": (
            'rockspec_format = "3.0"\npackage = "crock"\nversion = "1.0-1"\n'
            'source = { url = "crock-1.0.tar.gz", dir = "crock-1.0" }\n'
            'description = { summary = "a C rock", license = "MIT" }\n'
            'dependencies = { "lua >= 5.1" }\n'
            'build = { type = "builtin", modules = { ["crock.core"] = "crock.c" } }\n'),
        "crock.c": '#include "lua.h"\nint luaopen_crock_core(lua_State *L) '
                   '{ lua_pushstring(L, "crock"); return 1; }\n',
    })
    make_server(tmp_path / "rocks", [src])
    write_tree(tmp_path, {"Restyfile": "name crock\nbase debian-bookworm\n"
                                       "rocks -> luarocks {\n    server rocks\n"
                                       "    rock crock 1.0-1\n}\n"})
    result = build_and_tag(load_project(tmp_path / "Restyfile"), tag, quiet=True,
                           client=docker_client)
    tree = "/usr/share/nginx/luarocks/lib/lua/5.1/crock/core.so"
    assert result.report.libraries == (f"{tree}: 0 needed, 0 from /usr/local/lib/restybuild, "
                                       "0 missing",)
    assert result.report.modules == ("restybuild-load: ok crock.core",)


class ImagesOnly:
    """A client that may look images up but not create a container."""

    def __init__(self, client: Any) -> None:
        self.images = client.images

    @property
    def containers(self) -> Any:
        raise AssertionError("a cached library index needs no container")


def test_the_shipped_snapshot_matches_the_real_image(docker_client: Any, cache: Path,
                                                     tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fl = load("debian-bookworm").flavor(None, None)
    real = read_index(docker_client, fl.image, (fl.nginx, *fl.load_modules))
    snap = load_snapshot(fl.library_index)
    assert real.sonames() == snap.sonames()
    assert (real.libc, real.libc_version, real.trusted_dirs, real.rtld, real.programs) == (
        snap.libc, snap.libc_version, snap.trusted_dirs, snap.rtld, snap.programs)
    assert {e.name for e in real.cache} == {e.name for e in snap.cache}
    # cached by image ID: the second lookup creates no container, it reads one file
    again = read_index(ImagesOnly(docker_client), fl.image, (fl.nginx,))
    assert again == real
    assert any(p.name.endswith(".json") for p in (cache / "restybuild/libindex").iterdir())
    # `deps --base IMAGE` reads the image the same way
    mod = cc(tmp_path / "m.so", "int f(void){return 0;}\n", needs=["-lz"])
    assert main(["deps", str(mod), "--base", fl.image]) == 0
    out = capsys.readouterr().out
    assert "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1  [base]" in out
    assert os.environ["XDG_CACHE_HOME"] == str(cache)
