"""What a failed build step's message tells the user to do, from the step and its output
(the engine's stream as the Docker SDK hands it to restybuild.builder)."""

from __future__ import annotations

import io

import pytest

from restybuild.builder import _chunk
from restybuild.errors import BuildFailed, DockerUnavailable
from restybuild.progress import Progress

ROCKS = "Step 7/12 : RUN luarocks --tree /usr/share/nginx/luarocks install lua-resty-x 0.1-1"
APT = "Step 3/12 : RUN apt-get install -y --no-install-recommends libpcre3"


def fail(step: str, output: list[str], error: str) -> BuildFailed:
    """The BuildFailed the stream `step`, `output`, then an error chunk raises."""
    progress = Progress(io.StringIO(), fancy=False)
    for text in (step, *output):
        assert _chunk({"stream": text + "\n"}, progress) is None
    with pytest.raises(BuildFailed) as e:
        _chunk({"error": error}, progress)
    assert e.value.message == f"the build failed at {step}"
    assert e.value.notes[-1] == error and e.value.notes[:-1] == tuple(output)
    return e.value


@pytest.mark.parametrize("said", [
    "Warning: Failed searching manifest: Failed fetching manifest for https://rocks.invalid",
    "Error: No results matching query were found for Lua 5.1.",
    "curl: (6) Could not resolve host: rocks.invalid",
])
def test_a_rock_fetch_with_no_server_reachable_says_declare_an_offline_one(said: str) -> None:
    e = fail(ROCKS, ["Installing lua-resty-x 0.1-1...", said],
             "The command '/bin/sh -c luarocks ...' returned a non-zero code: 1")
    assert e.hint is not None and e.hint.startswith(
        "no rocks server was reachable from the build: declare an offline one in the rocks "
        "block, `server DIR`")


def test_a_package_install_without_network_says_install_them_in_the_base() -> None:
    e = fail(APT, ["Err:1 http://deb.invalid bookworm InRelease",
                   "  Temporary failure in name resolution"],
             "The command '/bin/sh -c apt-get ...' returned a non-zero code: 100")
    assert e.hint is not None and e.hint.startswith(
        "the build has no network to fetch packages: install them in the base image")


@pytest.mark.parametrize(("step", "said"), [
    (ROCKS, "Error: Build error: Failed compiling object x.o"),  # the rock itself is broken
    (APT, "E: Unable to locate package libpcre3"),  # the mirror answered
    ("Step 9/12 : RUN make", "Failed fetching manifest"),  # not a luarocks step
])
def test_other_failures_point_at_the_output(step: str, said: str) -> None:
    e = fail(step, [said], "The command returned a non-zero code: 1")
    assert e.hint == "the step's output is above; fix the cause and build again"


def test_a_full_disk_is_the_engine_not_the_build() -> None:
    progress = Progress(io.StringIO(), fancy=False)
    _chunk({"stream": ROCKS + "\n"}, progress)
    with pytest.raises(DockerUnavailable, match="ran out of disk space at Step 7/12"):
        _chunk({"error": "write /var/lib/docker/x: no space left on device"}, progress)
