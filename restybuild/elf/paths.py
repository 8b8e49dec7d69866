"""Path lists as the loaders build them: entries, dynamic string tokens, the working folder.

glibc (``elf/dl-load.c``): ``decompose_rpath`` ignores an empty DT_RPATH or
DT_RUNPATH string; ``fillin_rpath`` splits the others on ``:`` (and
LD_LIBRARY_PATH, in ``_dl_init_paths``, on ``:`` and ``;``, unless it is empty).
An empty element is kept as the folder "": the name alone is opened, so the
process's working folder is searched; an element whose dynamic string token
has no value is dropped (``_dl_dst_substitute`` empties it); a relative
element is relative to the working folder; trailing slashes go; a folder
already in the list is not added again. Tokens (``is_dst``): ``$ORIGIN``,
``$LIB``, ``$PLATFORM`` or their ``${...}`` forms, not followed by a letter,
digit or ``_``; LD_LIBRARY_PATH's are expanded for the main program.

musl (``ldso/dynlink.c``): ``path_open`` skips empty elements (``strspn`` over
``:`` and newline) and opens relative ones from the working folder;
``fixup_rpath`` expands only ``$ORIGIN`` and ``${ORIGIN}`` (as prefixes), and
any other ``$`` drops the object's whole path; LD_LIBRARY_PATH is not expanded.
"""

from __future__ import annotations

import posixpath
import re

from restybuild.elf.closure import LoaderEnv

_DST = re.compile(r"\$(?:\{(ORIGIN|PLATFORM|LIB)\}|(ORIGIN|PLATFORM|LIB)(?![A-Za-z0-9_]))")


def expand(text: str, origin: str | None, env: LoaderEnv) -> str | None:
    """`text` with the loader's dynamic string tokens expanded; None when one cannot be
    (musl: any token but $ORIGIN; glibc: $PLATFORM on an unknown CPU, see
    :func:`cpu_dependent`; both: $ORIGIN with no origin)."""
    if "$" not in text:
        return text
    if env.libc == "musl":
        if re.search(r"\$(?!\{ORIGIN\}|ORIGIN)", text) or origin is None:
            return None
        return text.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
    if cpu_dependent(text, env):
        return None
    values = {"ORIGIN": origin, "LIB": env.dst_lib, "PLATFORM": env.platform}
    if any(values[m.group(1) or m.group(2)] is None for m in _DST.finditer(text)):
        return None
    return _DST.sub(lambda m: values[m.group(1) or m.group(2)] or "", text)


def cpu_dependent(text: str, env: LoaderEnv) -> bool:
    """True when glibc would expand `text` differently on different CPUs and this
    loader does not know which one it runs on."""
    return env.libc == "glibc" and env.platform is None and any(
        (m.group(1) or m.group(2)) == "PLATFORM" for m in _DST.finditer(text))


def in_cwd(path: str, cwd: str) -> str:
    """`path` as the process opens it: "" is the working folder, a relative path is in it."""
    if path.startswith("/"):
        return path
    return posixpath.join(cwd, path) if path else cwd


def glibc_list(entries: tuple[str, ...], origin: str | None, env: LoaderEnv,
               cpu: list[str] | None = None, separators: str = ":") -> tuple[str, ...]:
    """The folders glibc searches for one DT_RPATH, DT_RUNPATH (`entries`, split on ":")
    or LD_LIBRARY_PATH (`separators` ":;"); unexpandable $PLATFORM entries go to `cpu`."""
    if entries == ("",):  # the whole string is empty: decompose_rpath ignores it
        return ()
    if ";" in separators:
        entries = tuple(part for e in entries for part in e.split(";"))
    out: list[str] = []
    for entry in entries:
        d = entry
        if entry:
            got = expand(entry, origin, env)
            if got is None:
                if cpu is not None and cpu_dependent(entry, env) and entry not in cpu:
                    cpu.append(entry)
                continue
            if not got:
                continue
            d = got.rstrip("/") or "/"
        folder = in_cwd(d, env.cwd)
        if folder not in out:
            out.append(folder)
    return tuple(out)


def musl_list(entries: tuple[str, ...], origin: str | None, env: LoaderEnv,
              expand_tokens: bool = True) -> tuple[str, ...] | None:
    """The folders musl searches for `entries` (split on ":"; newlines split too); None
    when a token other than $ORIGIN drops the whole path."""
    parts = [p for e in entries for p in e.split("\n") if p]
    if expand_tokens:
        expanded = [expand(p, origin, env) for p in parts]
        if None in expanded:
            return None
        parts = [p for p in expanded if p]
    return tuple(in_cwd(p, env.cwd) for p in parts)
