"""Dataclasses made cheaply at import: ``dataclass``, ``field`` and ``replace`` for restybuild.

The standard ``dataclasses.dataclass`` compiles six methods from source text for each frozen
class (six ``exec`` calls) and formats an ``inspect.signature`` for each class without a
docstring: about 0.6 ms a class. restybuild defines some 120 of them in the modules a cold
`lint` imports, which made them the largest part of its time. This module makes the same
classes with one small ``exec`` (``__init__``, whose speed matters: instances are made in
hot loops) and plain closures for the rest, and does not import ``dataclasses`` (nor
``inspect``, which that imports) until something asks for the fields.

What a class gets is what ``dataclasses.dataclass`` gives it for the options used here
(``frozen``, ``eq``, ``repr``, ``init``; ``field`` with ``default``, ``default_factory``,
``init``, ``repr``, ``hash``, ``compare``): the same ``__init__`` signature, ``__repr__``,
``__eq__`` (same class only), ``__hash__`` (frozen and eq; None when eq and not frozen),
``__setattr__``/``__delattr__`` raising an ``AttributeError`` when frozen, ``__match_args__``,
``__post_init__`` called; a method the class defines itself is kept. The classes are real
dataclasses to ``dataclasses.fields``, ``is_dataclass`` and ``replace``: their
``__dataclass_fields__`` is made (with ``dataclasses.Field`` objects) on first access.
Anything else (``order``, ``slots``, ``kw_only``, ``InitVar``) is refused at class creation.
Type checkers see ``dataclasses`` itself.
"""

from __future__ import annotations

import sys
from operator import attrgetter

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the warm path
if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
    from dataclasses import field as field
    from dataclasses import replace as replace
    from typing import Any, Callable

_MISSING = object()  # no default
_NONE = object()  # an argument without a default
_CODE = type(compile("", "", "exec"))
_FUNCTION: Any = type(lambda: None)


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen record (``dataclasses.FrozenInstanceError``'s
    role)."""


class _Field:
    """What ``field()`` says about one field until its class is made."""

    __slots__ = (
        "classvar",
        "compare",
        "default",
        "default_factory",
        "hash",
        "init",
        "name",
        "repr",
        "type",
    )

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool,
                 hash: bool | None, compare: bool) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.type: Any = None
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.hash = hash
        self.compare = compare
        self.classvar = False


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        head = annotation.strip().split("[", 1)[0].strip()
        return head in ("ClassVar", "typing.ClassVar", "t.ClassVar")
    typing = sys.modules.get("typing")
    return typing is not None and (annotation is typing.ClassVar
                                   or getattr(annotation, "__origin__", None)
                                   is typing.ClassVar)


def _refuse_special(name: str, annotation: Any) -> None:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    if "InitVar" in text or "KW_ONLY" in text:
        raise TypeError(f"restybuild.records: field {name!r}: InitVar and KW_ONLY are not "
                        "supported (use dataclasses.dataclass)")


def _fields_of(cls: type) -> list[_Field]:
    """The class's own annotated fields, in order; class attributes fixed as dataclasses
    leaves them (a default stays, a ``field()`` is replaced by its default or removed)."""
    out = []
    own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - as dataclasses reads them
    for name, annotation in own.items():
        value = cls.__dict__.get(name, _MISSING)
        f = value if isinstance(value, _Field) else _Field(value, _MISSING, True, True, None,
                                                           True)
        f.name, f.type = name, annotation
        if _is_classvar(annotation):
            if isinstance(value, _Field):
                raise TypeError(f"field {name} cannot be a ClassVar and a field()")
            f.classvar = True
            out.append(f)
            continue
        _refuse_special(name, annotation)
        if f.default is not _MISSING and type(f.default).__hash__ is None:
            raise ValueError(f"mutable default {type(f.default)} for field {name} is not "
                             "allowed: use default_factory")
        if isinstance(value, _Field):
            if f.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        out.append(f)
    return out


_TEMPLATES: dict[str, Any] = {}  # the compiled __init__ of each shape of class


def _init_fn(cls: type, fields: list[_Field], frozen: bool) -> Any:
    """``__init__``: the one method whose speed matters, as ``dataclasses`` writes it. Its
    code is compiled once per shape (how many fields, which have a factory, frozen or not)
    with placeholder names, then given the class's field names and defaults."""
    env: dict[str, Any] = {"__object__": object, "__factory__": _MISSING}
    params: list[str] = []
    defaults: list[Any] = []
    body: list[str] = []
    names: dict[str, str] = {}
    for i, f in enumerate(fields):
        name = f"_rb_f{i}"
        names[name] = f.name
        value = name
        if f.default_factory is not _MISSING:
            env[f"__dflt{i}__"] = f.default_factory
            call = f"__dflt{i}__()"
            value = f"{call} if {name} is __factory__ else {name}" if f.init else call
            default: Any = _MISSING  # __factory__: the argument was not given
        elif f.default is not _MISSING:
            env[f"__dflt{i}__"] = default = f.default
            value = name if f.init else f"__dflt{i}__"
        elif f.init:
            default = _NONE
        else:
            continue
        if f.init:
            if default is _NONE and defaults:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            if default is not _NONE:
                defaults.append(default)
            params.append(name)  # a default is the function's, not its code's
        body.append(f"  __object__.__setattr__(self, {name!r}, {value})" if frozen
                    else f"  self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("  self.__post_init__()")
    src = (f"def __init__(self{''.join(', ' + p for p in params)}):\n"
           + ("\n".join(body) or "  pass") + "\n")
    code = _TEMPLATES.get(src)
    if code is None:  # the text is made above from placeholders only
        code = next(c for c in compile(src, "<restybuild.records>", "exec").co_consts
                    if isinstance(c, _CODE))
        _TEMPLATES[src] = code
    code = code.replace(
        co_varnames=tuple(names.get(n, n) for n in code.co_varnames),
        co_names=tuple(names.get(n, n) for n in code.co_names),
        co_consts=tuple(names.get(c, c) if isinstance(c, str) else c
                        for c in code.co_consts))
    fn = _FUNCTION(code, env, "__init__", tuple(defaults) or None)
    fn.__annotations__ = {**{f.name: f.type for f in fields if f.init}, "return": None}
    return fn


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of the named attributes, as ``dataclasses`` builds for eq and hash."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda o: (one(o),)
    return lambda o: ()


def _methods(cls: type, fields: list[_Field], frozen: bool) -> dict[str, Any]:
    shown = tuple(f.name for f in fields if f.repr)
    compared = _key(tuple(f.name for f in fields if f.compare))
    hashed = _key(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    names = frozenset(f.name for f in fields)
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = (id(self), _get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            return (f"{self.__class__.__qualname__}("
                    + ", ".join(f"{n}={getattr(self, n)!r}" for n in shown) + ")")
        finally:
            running.discard(key)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)  # type: ignore[arg-type]

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)  # type: ignore[arg-type]

    out = {"__repr__": __repr__, "__eq__": __eq__, "__hash__": __hash__}
    if frozen:
        out |= {"__setattr__": __setattr__, "__delattr__": __delattr__}
    return out


def _get_ident() -> int:
    import threading

    return threading.get_ident()


class _LazyFields:
    """``__dataclass_fields__``: ``dataclasses.Field`` objects, made on first access."""

    def __init__(self, cls: type, fields: list[_Field]) -> None:
        self.cls, self.fields = cls, fields

    def __get__(self, obj: Any, owner: type | None = None) -> dict[str, Any]:
        import dataclasses

        out = {}
        for f in self.fields:
            real: Any = dataclasses.field(
                default=dataclasses.MISSING if f.default is _MISSING else f.default,
                default_factory=(dataclasses.MISSING if f.default_factory is _MISSING
                                 else f.default_factory),
                init=f.init, repr=f.repr, hash=f.hash, compare=f.compare)
            real.name, real.type = f.name, f.type
            real._field_type = getattr(dataclasses, "_FIELD_CLASSVAR" if f.classvar
                                       else "_FIELD")  # what dataclasses.fields() reads
            out[f.name] = real
        type.__setattr__(self.cls, "__dataclass_fields__", out)
        return out


def _process(cls: type, init: bool, repr: bool, eq: bool, frozen: bool) -> type:
    inherited = [b.__name__ for b in cls.__mro__[1:] if "__dataclass_fields__" in b.__dict__]
    if inherited:  # dataclasses would take their fields first: not done here, so refused
        raise TypeError(f"restybuild.records: {cls.__name__} inherits the fields of "
                        f"{inherited[0]}; that is not supported (use dataclasses.dataclass)")
    every = _fields_of(cls)
    fields = [f for f in every if not f.classvar]
    own = cls.__dict__
    if frozen and ("__setattr__" in own or "__delattr__" in own):
        raise TypeError(f"cannot overwrite attribute __setattr__ in class {cls.__name__}")
    made = _methods(cls, fields, frozen)
    new: dict[str, Any] = {"__dataclass_fields__": _LazyFields(cls, every)}
    if init:
        new["__init__"] = _init_fn(cls, fields, frozen)
    if repr:
        new["__repr__"] = made["__repr__"]
    if eq:
        new["__eq__"] = made["__eq__"]
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if eq and not explicit_hash:
        new["__hash__"] = made["__hash__"] if frozen else None
    if frozen:
        new["__setattr__"], new["__delattr__"] = made["__setattr__"], made["__delattr__"]
    new["__match_args__"] = tuple(f.name for f in fields if f.init)
    for name, value in new.items():
        if name == "__hash__" or name not in own:
            if callable(value) and hasattr(value, "__qualname__"):
                value.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, value)
    return cls


if not TYPE_CHECKING:
    def dataclass(cls=None, /, *, init=True, repr=True, eq=True, order=False,
                  unsafe_hash=False, frozen=False):
        """``dataclasses.dataclass`` for restybuild's classes (see the module docstring)."""
        if order or unsafe_hash:
            raise TypeError("restybuild.records.dataclass: order and unsafe_hash are not "
                            "supported (use dataclasses.dataclass)")

        def wrap(c):
            return _process(c, init, repr, eq, frozen)

        return wrap if cls is None else wrap(cls)

    def field(*, default=_MISSING, default_factory=_MISSING, init=True, repr=True,
              hash=None, compare=True):
        return _Field(default, default_factory, init, repr, hash, compare)

    def replace(obj, /, **changes):
        """A copy of `obj` with `changes`, as ``dataclasses.replace``."""
        lazy = type(obj).__dict__.get("__dataclass_fields__")
        if not isinstance(lazy, _LazyFields):  # a standard one, or ours once looked at
            import dataclasses

            return dataclasses.replace(obj, **changes)
        for f in lazy.fields:
            if f.classvar:
                continue
            if not f.init:
                if f.name in changes:
                    raise ValueError(f"field {f.name} is declared with init=False, it cannot "
                                     "be specified with replace()")
            elif f.name not in changes:
                changes[f.name] = getattr(obj, f.name)
        return obj.__class__(**changes)
