"""ELF fixtures built from C source at test time, and the helpers the other ELF tests use.

gcc builds glibc objects (``-m32`` for 32-bit ones: gcc-multilib), musl-gcc
(Debian's musl-tools) musl ones. Every helper returns the path it built.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from collections.abc import Sequence
from pathlib import Path

from restybuild.elf.reader import read_elf

LIBC_USER = "#include <stdio.h>\nint libc_user(void) { return puts(\"x\"); }\n"


def cc(out: Path, source: str, *, needs: Sequence[Path | str] = (), soname: str | None = None,
       rpath: Sequence[str] = (), runpath: Sequence[str] = (), flags: Sequence[str] = (),
       compiler: str = "gcc") -> Path:
    """Compile `source` into the shared object `out`, linked against `needs`.

    A need given as a Path links that file (its SONAME becomes the DT_NEEDED
    name); a string is passed to the linker as is (``-lz``).
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    args = [compiler, "-shared", "-fPIC", "-o", str(out), "-x", "c", "-", *flags]
    if soname:
        args.append(f"-Wl,-soname,{soname}")
    for p in rpath:
        args += ["-Wl,--disable-new-dtags", f"-Wl,-rpath,{p}"]
    for p in runpath:
        args += ["-Wl,--enable-new-dtags", f"-Wl,-rpath,{p}"]
    args += ["-x", "none", "-Wl,--no-as-needed"]
    for n in needs:
        args.append(str(n))
    subprocess.run(args, input=source.encode(), check=True, capture_output=True)
    return out


def lib(folder: Path, name: str, *, needs: Sequence[Path | str] = (), calls: Sequence[str] = (),
        **kw: object) -> Path:
    """A library `name` (also its SONAME) defining `<stem>_fn`, calling `calls` and libc."""
    stem = re.sub(r"\W", "_", name.split(".so")[0])
    decls = "int puts(const char *s);\n" + "".join(f"int {c}(void);\n" for c in calls)
    body = " + ".join([f"{c}()" for c in calls] + ['puts("")'])
    src = f"{decls}int {stem}_fn(void) {{ return {body}; }}\n"
    return cc(folder / name, src, needs=needs, soname=name, **kw)  # type: ignore[arg-type]


def lua_module(folder: Path, name: str, *, needs: Sequence[Path | str] = (),
               calls: Sequence[str] = (), extra: str = "", **kw: object) -> Path:
    """A Lua C module `name`.so whose luaopen_<name> returns a string (no Lua headers needed)."""
    decls = "".join(f"int {c}(void);\n" for c in calls)
    body = " + ".join(f"{c}()" for c in calls) or "0"
    src = (f"typedef struct lua_State lua_State;\n"
           f"void lua_pushinteger(lua_State *L, long n);\n{decls}{extra}"
           f"int luaopen_{name}(lua_State *L) {{ lua_pushinteger(L, 40 + {body}); return 1; }}\n")
    return cc(folder / f"{name}.so", src, needs=needs, **kw)  # type: ignore[arg-type]


def set_machine(path: Path, machine: int) -> Path:
    """Rewrite e_machine (an aarch64 object without an aarch64 compiler)."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, 18, machine)
    path.write_bytes(bytes(data))
    return path


def needed_to_runpath(path: Path, name: str) -> Path:
    """Turn the DT_NEEDED entry `name` of `path` into a DT_RUNPATH (pyelftools finds it)."""
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    data = bytearray(path.read_bytes())
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        dyn = next(s for s in elf.iter_sections() if isinstance(s, DynamicSection))
        offset, size = dyn["sh_offset"], dyn["sh_entsize"]
        for i, tag in enumerate(dyn.iter_tags()):
            if tag.entry.d_tag == "DT_NEEDED" and tag.needed == name:  # type: ignore[attr-defined]
                struct.pack_into("<q", data, offset + i * size, 29)  # DT_RUNPATH
                break
        else:
            raise AssertionError(f"{path} does not need {name}")
    path.write_bytes(bytes(data))
    return path


def ldd(path: Path, ld_library_path: str = "", cwd: Path | None = None) -> dict[str, str | None]:
    """name -> resolved path (None: not found) as the host's ldd prints them, run in `cwd`.

    A library opened by a relative name (an empty or relative path entry) is printed
    relative to the working folder, or as its name alone (``name (0x...)``): it is
    returned joined to `cwd`, as the model names it.
    """
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LD_LIBRARY_PATH": ld_library_path}
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env,
                         cwd=cwd).stdout
    here = str(cwd) if cwd is not None else os.getcwd()
    found: dict[str, str | None] = {}
    for line in out.splitlines():
        line = line.strip()
        m = re.match(r"(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$", line)
        if m:
            got = m.group(2)
            found[m.group(1)] = None if got == "not found" else (
                got if got.startswith("/") else os.path.join(here, got))
        elif line.startswith("/"):
            p = line.split(" (")[0]
            found[p] = p
        elif re.match(r"[^/\s]\S* \(0x[0-9a-f]+\)$", line) and not line.startswith("linux-"):
            name = line.split(" (")[0]
            found[name] = os.path.join(here, name)
    return found


def test_toolchains_build_what_the_tests_need(tmp_path: Path) -> None:
    g = read_elf(lib(tmp_path, "libg.so.1"))
    assert (g.elf_class, g.machine, g.libc, g.soname) == (64, 62, "glibc", "libg.so.1")
    assert shutil.which("musl-gcc"), "musl-tools is needed (scripts/setup-host installs it)"
    m = read_elf(cc(tmp_path / "m.so", LIBC_USER, compiler="musl-gcc"))
    assert m.libc == "musl" and "libc.so" in m.needed
    i = read_elf(lib(tmp_path / "32", "libi.so.1", flags=["-m32"]))
    assert (i.elf_class, i.machine, i.kind) == (32, 3, "32-bit i386")
    a = read_elf(set_machine(lib(tmp_path / "a", "liba.so.1"), 183))
    assert a.machine_name == "aarch64"
