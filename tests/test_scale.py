"""`scale MIN..MAX cpu PERCENT`: the model, and each refusal at the statement's line:col with
a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from restybuild.errors import RestySyntaxError, Span
from restybuild.model import Scale
from tests.test_resolve import HEAD, error, first_line, load, proj  # noqa: F401

REQUEST = "resources {\n  request cpu 500m memory 256Mi\n}\n"


def test_scale_resolves_with_a_cpu_request(proj: Path) -> None:  # noqa: F811
    project = load(proj, HEAD + REQUEST + "scale 2..10 cpu 70\n")
    assert project.scale == Scale(2, 10, 70, Span("Restyfile", 6, 1, 6, 19))
    assert load(proj, HEAD + REQUEST + "scale 3..3 cpu 150%\n").scale == \
        Scale(3, 3, 150, Span("Restyfile", 6, 1, 6, 20))
    assert load(proj, HEAD).scale is None


@pytest.mark.parametrize(("text", "line", "hint"), [
    ("scale 2..10 cpu 70\n",
     "Restyfile:3:1: error: `scale ... cpu` needs a CPU request: the autoscaler measures CPU "
     "use as a percentage of it", "add: resources { request cpu 500m memory 256Mi }"),
    ("resources {\n  limit cpu 1 memory 1Gi\n}\nscale 2..10 cpu 70\n",
     "Restyfile:6:1: error: `scale ... cpu` needs a CPU request: the autoscaler measures CPU "
     "use as a percentage of it",
     "add `request cpu 500m` to the `resources` block at Restyfile:3:1"),
    (REQUEST + "scale 10..2 cpu 70\n",
     "Restyfile:6:7: error: `10..2`: MIN (10) is above MAX (2)", "write 2..10"),
    (REQUEST + "scale 0..4 cpu 70\n",
     "Restyfile:6:7: error: `0..4`: replica counts go from 1 to 1000",
     "MIN is at least 1: Kubernetes does not scale a Deployment to zero"),
    (REQUEST + "scale 2..1001 cpu 70\n",
     "Restyfile:6:7: error: `2..1001`: replica counts go from 1 to 1000",
     "MIN is at least 1: Kubernetes does not scale a Deployment to zero"),
    (REQUEST + "scale 2-10 cpu 70\n",
     "Restyfile:6:7: error: `2-10` is not a replica range",
     "write MIN..MAX, for example: scale 2..10 cpu 70"),
    (REQUEST + "scale 2..10 memory 70\n",
     "Restyfile:6:13: error: `scale` follows CPU use, not `memory`",
     "restybuild scales on: cpu (scale 2..10 cpu 70)"),
    (REQUEST + "scale 2..10 cpu 0\n",
     "Restyfile:6:17: error: `0` is not a CPU target",
     "a percentage of the CPU request from 1 to 1000, for example 70"),
    (REQUEST + "scale 2..10 cpu 70\nscale 1..3 cpu 50\n",
     "Restyfile:7:1: error: `scale` is declared twice; the first is at Restyfile:6:1",
     "keep one `scale` statement"),
])
def test_scale_refusals_name_the_place_and_say_what_to_do(
        proj: Path, text: str, line: str, hint: str) -> None:  # noqa: F811
    source = HEAD + text
    err = error(proj, source)
    assert first_line(err, source) == line
    assert err.hint == hint


def test_scale_without_its_target_is_a_syntax_error(proj: Path) -> None:  # noqa: F811
    (proj / "Restyfile").write_text(HEAD + "scale 2..10 cpu\n")
    from restybuild.resolve import load_project

    with pytest.raises(RestySyntaxError) as info:
        load_project("Restyfile")
    assert str(info.value.span) == "Restyfile:3:16"
    assert info.value.hint == "usage: scale MIN..MAX cpu PERCENT"
