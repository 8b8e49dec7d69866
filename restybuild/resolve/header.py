"""`restyfile`, `name`, `base` / `base image` and `prefix`: what the rest is resolved against."""

from __future__ import annotations

import posixpath
import re

from restybuild import recipes
from restybuild.errors import RestyError, Span
from restybuild.model import Base
from restybuild.resolve.context import PATH_RE, Context
from restybuild.syntax import (
    BaseImageStmt,
    BaseStmt,
    NameStmt,
    PrefixStmt,
    Restyfile,
    RestyfileStmt,
)
from restybuild.units import parse_int

LANGUAGE_VERSIONS = (1,)
NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?")
IMAGE_RE = re.compile(r"[a-z0-9][a-z0-9._/:@-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?")
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")


def version(ctx: Context, rf: Restyfile) -> int:
    for st in rf.of(RestyfileStmt):
        number = parse_int(st.version.text, 1, 99)
        if number not in LANGUAGE_VERSIONS:
            raise ctx.err(f"unknown Restyfile version `{st.version.text}`", st.version.span,
                          hint="this restybuild reads: restyfile 1")
        return number
    return 1


def name(ctx: Context, rf: Restyfile) -> str:
    stmts = rf.of(NameStmt)
    if not stmts:
        raise ctx.err("the Restyfile has no `name`", Span(ctx.filename, 1, 1),
                      hint="add a line: name my-app")
    value = stmts[0].name
    if not NAME_RE.fullmatch(value.text):
        raise ctx.err(f"`{value.text}` is not a valid name", value.span,
                      hint="lowercase letters, digits, `.`, `_` and `-`, at most 63, "
                           "starting and ending with a letter or digit")
    return value.text


def base(ctx: Context, rf: Restyfile) -> tuple[Base, recipes.Flavor]:
    for st in rf.of(BaseStmt):
        return _recipe_base(ctx, st)
    for image in rf.of(BaseImageStmt):
        return _image_base(ctx, image)
    raise ctx.err("the Restyfile has no `base`", Span(ctx.filename, 1, 1),
                  hint="add a line such as: base debian-bookworm")


def _recipe_base(ctx: Context, st: BaseStmt) -> tuple[Base, recipes.Flavor]:
    b = Base(st.recipe.text, st.version.text if st.version else None,
             st.flavor.text if st.flavor else None, None, None, st.span)
    try:
        recipe = recipes.load(st.recipe.text)
    except RestyError as e:
        raise ctx.err(e.message, st.recipe.span, e.hint) from None
    try:
        flavor = recipe.flavor(b.flavor, b.version)
    except RestyError as e:
        where = st.flavor if st.flavor and "flavor" in e.message else st.version
        raise ctx.err(e.message, (where or st.recipe).span, e.hint) from None
    return b, flavor


def _image_base(ctx: Context, st: BaseImageStmt) -> tuple[Base, recipes.Flavor]:
    if not IMAGE_RE.fullmatch(st.ref.text):
        raise ctx.err(f"`{st.ref.text}` is not an image reference", st.ref.span)
    if st.digest is not None and not DIGEST_RE.fullmatch(st.digest.text):
        raise ctx.err(f"`{st.digest.text}` is not a digest", st.digest.span,
                      hint="write sha256: followed by 64 hex digits")
    try:
        recipe, flavor_name = recipe_and_flavor(st.recipe.text)
        flavor = recipe.flavor(flavor_name, None)
    except RestyError as e:
        raise ctx.err(e.message, st.recipe.span, e.hint) from None
    return Base(st.recipe.text, None, None, st.ref.text,
                st.digest.text if st.digest else None, st.span), flavor


def recipe_and_flavor(name: str) -> tuple[recipes.Recipe, str | None]:
    """`openresty` (default flavor) or `openresty-centos7` (recipe `openresty`, flavor centos7)."""
    if name in recipes.available() or "-" not in name:
        return recipes.load(name), None
    for cut in range(len(name) - 1, 0, -1):
        if name[cut] == "-" and name[:cut] in recipes.available():
            recipe = recipes.load(name[:cut])
            if name[cut + 1:] in recipe.flavors:
                return recipe, name[cut + 1:]
    return recipes.load(name), None


def prefix(ctx: Context, rf: Restyfile, default: str) -> str:
    for st in rf.of(PrefixStmt):
        text = st.path.text
        if not text.startswith("/") or not PATH_RE.fullmatch(text) or ".." in text:
            raise ctx.err(f"prefix `{text}` must be an absolute path", st.path.span,
                          hint="for example: prefix /usr/local/openresty/nginx")
        return posixpath.normpath(text)
    return default
