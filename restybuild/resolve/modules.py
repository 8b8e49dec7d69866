"""`module NAME ...`: nginx dynamic modules of the base's distribution, by the recipe's name.

The base recipe's [modules] table (:mod:`restybuild.recipe_modules`) maps a name to the
package that builds the module for the base's nginx and the `.so` it installs; the
planner copies that file from the recipe's modules image and adds its `load_module` line.
"""

from __future__ import annotations

from restybuild.model import Module
from restybuild.recipes import Flavor
from restybuild.resolve.context import Context
from restybuild.syntax import ModuleStmt, Restyfile


def modules(ctx: Context, rf: Restyfile, flavor: Flavor) -> tuple[Module, ...]:
    out: dict[str, Module] = {}
    for st in rf.of(ModuleStmt):
        for val in st.names:
            name = val.text
            offered = flavor.module(name)
            if not flavor.modules:
                raise ctx.err(f"the base recipe `{flavor.recipe}` offers no modules to "
                              "`module`", val.span,
                              hint="use a dynamic module the base has (`load_module` in the "
                                   "conf), or a base whose recipe lists [modules], such as "
                                   "debian-bookworm")
            if offered is None:
                import difflib  # errors only: not on every resolve

                names = [m.name for m in flavor.modules]
                guess = difflib.get_close_matches(name, names, n=1)
                raise ctx.err(f"the base recipe `{flavor.recipe}` has no module `{name}`",
                              val.span, hint=(f"did you mean `{guess[0]}`? " if guess else "")
                              + "it has: " + ", ".join(names))
            if name in out:
                raise ctx.err(f"module `{name}` is declared twice (first at "
                              f"{out[name].span})", val.span, hint="declare it once")
            if offered.file and not flavor.modules_image:
                raise ctx.err(f"the base recipe `{flavor.recipe}` names no modules image for "
                              f"`{name}`'s file", val.span,
                              hint="set `modules_image` in the recipe's flavor")
            out[name] = Module(name, offered.package, offered.file, val.span)
    return tuple(out.values())
