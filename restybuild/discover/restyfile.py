"""Writing the Restyfile: statements with a comment on each guess, aligned as people do."""

from __future__ import annotations

import re

from restybuild.discover.layout import Layout, Line
from restybuild.discover.model import Discovery

COLUMN = 42


def app_name(text: str) -> str:
    """A Restyfile `name`: lowercase letters, digits, `.`, `_`, `-`."""
    name = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return name or "app"


def _render(line: Line) -> str:
    if not line.comment:
        return line.text
    return f"{line.text:<{COLUMN}}# {line.comment}" if len(line.text) < COLUMN else \
        f"{line.text}  # {line.comment}"


def header(d: Discovery, name: str) -> list[Line]:
    n = d.nginx
    lines = [Line("# written by `restybuild discover` from "
                  + ("a copy of the old host's files" if d.host else "the app's checkout")
                  + "; every guess has a comment"),
             Line("restyfile 1"), Line(f"name {name}"), Line("")]
    seen = ", ".join(x for x in (n.version, n.compiler and f"built by {n.compiler}",
                                 n.openssl) if x)
    if seen:
        lines.append(Line(f"# old nginx: {seen}"))
    for c in n.comments:
        lines.append(Line(f"# {c}"))
    if n.lacking:
        lines.append(Line("# modules the old nginx had that the base lacks: "
                          + ", ".join(n.lacking)))
    lines.append(Line(n.base_line))
    for name, old in n.declare:
        had = f"the old nginx had {', '.join(old)}; " if old else ""
        lines.append(Line(f"module {name}", f"{had}the conf uses its directives, and the "
                          "base's distribution packages it for its nginx"))
    if d.host and d.conf is not None:
        lines.append(Line(f"prefix {d.conf.prefix}", "the old host's nginx prefix, so the "
                          "conf's paths keep working"))
    return lines


def render(d: Discovery, name: str, layout: Layout, data: list[Line],
           runtime: list[Line]) -> str:
    lines = header(d, name)
    lines.append(Line(""))
    lines += layout.folders + data
    conf = d.conf
    for n, s in conf.dicts if conf is not None else ():
        lines.append(Line(f"shared_dict {n} {s}", "as the conf declares it (merged with it, "
                          "not added twice)"))
    if conf is not None and conf.user:
        lines.append(Line(f"# the conf's `user {conf.user}` is ignored: the image runs as a "
                          "non-root user"))
    for block in (layout.natives, layout.rocks):
        if block:
            lines += [Line(""), *block]
    lines += [Line(""), *runtime]
    return "\n".join(_render(x).rstrip() for x in lines) + "\n"
