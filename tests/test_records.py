"""restybuild.records makes the same classes as the standard dataclasses, for the options used."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any, ClassVar, Optional

import pytest

from restybuild import records
from tests.conftest import REPO


def pair(body: Any, **options: Any) -> tuple[Any, Any]:
    """The class `body` makes, once with each decorator."""
    return body(dataclasses.dataclass(**options)), body(records.dataclass(**options))


def point(deco: Any) -> type:
    @deco
    class Point:
        """A point."""

        KIND: ClassVar[str] = "point"
        x: int
        y: int = 0
        tags: tuple[str, ...] = ()
        seen: list[int] = dataclasses.field(default_factory=list) \
            if deco.__module__ == "dataclasses" else records.field(default_factory=list)
        note: Optional[str] = dataclasses.field(default=None, repr=False, compare=False) \
            if deco.__module__ == "dataclasses" else records.field(default=None, repr=False,
                                                                     compare=False)

        @property
        def total(self) -> int:
            return self.x + self.y

    return Point


def hashed(obj: Any) -> Any:
    try:
        return hash(obj)
    except TypeError as e:
        return str(e)


def _cases(std: type, own: type) -> list[tuple[Any, Any]]:
    a = (std(1, 2, ("t",), [3], "n"), own(1, 2, ("t",), [3], "n"))
    b = (std(1, y=2, tags=("t",), seen=[3]), own(1, y=2, tags=("t",), seen=[3]))
    return [a, b, (std(5), own(5))]


@pytest.mark.parametrize("frozen", [True, False])
def test_repr_eq_hash_defaults_match_dataclasses(frozen: bool) -> None:
    std, own = pair(point, frozen=frozen)
    cases = _cases(std, own)
    for (s1, o1) in cases:
        assert repr(s1).replace("test_records.point.<locals>.", "") == \
            repr(o1).replace("test_records.point.<locals>.", "")
        assert o1.total == s1.total and own.KIND == "point"
        for (s2, o2) in cases:
            assert (s1 == s2) == (o1 == o2)
        if frozen:  # a list in a field: unhashable with both
            assert hashed(o1) == hashed(s1) and hash(own(1, 2, (), ())) == hash(std(1, 2, (), ()))
        else:
            assert std.__hash__ is None and own.__hash__ is None
    assert cases[0][1] == cases[1][1]  # `note` is not compared
    assert cases[2][1].seen == [] and cases[2][1].seen is not own(5).seen  # a fresh list
    assert (own(1) == (1,)) is False and own(1).__eq__(std(1)) is NotImplemented
    assert own.__match_args__ == std.__match_args__ == ("x", "y", "tags", "seen", "note")
    assert own.__init__.__annotations__ == std.__init__.__annotations__
    assert own.__doc__ == "A point."


def test_frozen_refuses_assignment_like_dataclasses() -> None:
    std, own = pair(point, frozen=True)
    for obj in (std(1), own(1)):
        with pytest.raises(AttributeError, match="cannot assign to field 'x'"):
            obj.x = 2
        with pytest.raises(AttributeError, match="cannot delete field 'x'"):
            del obj.x
    mutable = pair(point)[1](1)
    mutable.x = 4
    assert mutable.x == 4


def test_arguments_are_checked_like_dataclasses() -> None:
    std, own = pair(point, frozen=True)
    for cls in (std, own):
        with pytest.raises(TypeError, match="missing 1 required positional argument: 'x'"):
            cls()
        with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
            cls(1, z=2)


def test_fields_replace_and_is_dataclass_work_on_records() -> None:
    std, own = pair(point, frozen=True)
    assert dataclasses.is_dataclass(own(1))
    assert [(f.name, f.type, f.repr, f.compare) for f in dataclasses.fields(own)] == \
        [(f.name, f.type, f.repr, f.compare) for f in dataclasses.fields(std)]
    moved = records.replace(own(1, tags=("a",)), y=7)
    assert moved == own(1, 7, ("a",)) and dataclasses.replace(moved, x=2) == own(2, 7, ("a",))
    assert records.replace(std(1), y=3) == std(1, 3)  # a standard dataclass: delegated


def test_own_methods_are_kept_and_post_init_runs() -> None:
    calls = []

    @records.dataclass(frozen=True)
    class Node:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __post_init__(self) -> None:
            calls.append(self.name)

    assert repr(Node("a")) == "<a>" and calls == ["a"]

    @records.dataclass(frozen=True, eq=False)
    class Ident:
        name: str

    assert Ident("a") != Ident("a") and hash(Ident("a")) != 0


def test_bad_classes_are_refused_like_dataclasses() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default"):
        @records.dataclass
        class Order:
            a: int = 0
            b: int  # type: ignore[misc]
    with pytest.raises(ValueError, match="mutable default"):
        @records.dataclass
        class Mutable:
            a: list[int] = []  # noqa: RUF012
    with pytest.raises(TypeError, match="not supported"):
        records.dataclass(order=True)


def test_a_record_inheriting_fields_is_refused_not_made_wrong() -> None:
    """dataclasses puts a base's fields first; records do not, so a subclass is refused
    (and every class restybuild defines imports: the unit suite would fail)."""
    @records.dataclass(frozen=True)
    class Base:
        a: int

    with pytest.raises(TypeError, match="inherits the fields of Base"):
        @records.dataclass(frozen=True)
        class Child(Base):
            b: int


def test_lint_imports_no_dataclasses_before_the_parser() -> None:
    """The point of the module: the rules, the model and the Lua scan without inspect."""
    code = ("import sys, restybuild.lint.context, restybuild.model, restybuild.syntax; "
            "print('dataclasses' in sys.modules, 'inspect' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.split()
    assert out == ["False", "False"]


def test_every_module_makes_its_classes_with_records() -> None:
    """One way to make a record in restybuild: a module taking `dataclasses` itself would
    cost the paths that import it, and two makers could drift apart."""
    import re
    from pathlib import Path

    root = Path(records.__file__).parent
    taking = [str(p.relative_to(root)) for p in sorted(root.rglob("*.py"))
              if p.name != "records.py"
              and re.search(r"^\s*(from dataclasses import|import dataclasses)",
                            p.read_text(), re.M)]
    assert taking == []
