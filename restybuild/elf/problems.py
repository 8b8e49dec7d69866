"""Why a native cannot load in a base at all, and a symbol version it does not get, in words.

Shared by ``plan``/``lint`` (:mod:`restybuild.natives`, with Restyfile spans), the check
inside a built candidate and ``restybuild deps``; it needs nothing but the ELF facts.
"""

from __future__ import annotations

from restybuild.elf.facts import machine_name, version_key
from restybuild.elf.verify import load_problem

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `restybuild deps` imports this
if TYPE_CHECKING:
    from restybuild.elf.bundle import BaseSpec
    from restybuild.elf.closure import VersionProblem
    from restybuild.elf.facts import ElfObject

LIBC_SONAMES = frozenset({"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0",
                          "librt.so.1", "libutil.so.1", "libresolv.so.2", "libanl.so.1"})


def abi_problem(what: str, obj: ElfObject, spec: BaseSpec) -> tuple[str, str, str] | None:
    """(kind, message, hint) when `obj` cannot load in `spec`'s base at all."""
    base = f"the base image {spec.label}"
    refused = load_problem(obj, spec.abi, spec.libc)  # the loader's own words
    if refused is not None:
        return ("unloadable", f"{what} cannot be loaded: {refused}",
                "rebuild it as a shared library (`-shared -fPIC`) for the base")
    if obj.machine != spec.machine:
        return ("machine-mismatch", f"{what} is built for {machine_name(obj.machine)}, but "
                f"{base} runs {machine_name(spec.machine)}",
                "rebuild it for that architecture (in the recipe's builder image)")
    if (obj.elf_class, obj.little_endian) != (spec.elf_class, spec.little_endian):
        return ("class-mismatch", f"{what} is a {obj.kind} ELF, but {base} runs "
                f"{spec.elf_class}-bit {machine_name(spec.machine)}",
                "rebuild it for the base's architecture")
    libc = obj.libc
    if libc is not None and libc != spec.libc:
        hint = ("rebuild it against musl (in the recipe's builder image), or use a glibc "
                "flavor such as bookworm" if spec.libc == "musl" else
                "rebuild it against glibc, or use a musl flavor such as alpine")
        return ("libc-mismatch", f"{what} is linked against {libc}, but {base} uses "
                f"{spec.libc}", hint)
    needs = obj.glibc_needs()
    if spec.libc == "glibc" and spec.libc_version and needs and \
            version_key(needs[-1]) > version_key("GLIBC_" + spec.libc_version):
        return ("glibc-too-old", f"{what} needs {needs[-1]}, but {base} has glibc "
                f"{spec.libc_version}", "rebuild it on a system with the base's glibc or "
                "older (the recipe's builder image), or use a newer base")
    return None


def version_message(what: str, vp: VersionProblem, spec: BaseSpec,
                    names: dict[str, str]) -> tuple[str, str]:
    """(kind, message) for a version `what` (or what it loads) needs and does not get."""
    who = "" if vp.requester not in names else f" (through {names[vp.requester]})"
    if vp.version.startswith("GLIBC_") and vp.file in LIBC_SONAMES:
        return ("glibc-too-old", f"{what} needs {vp.version}{who}, but the base image "
                f"{spec.label} has glibc {spec.libc_version or 'without that version'}")
    provider = names.get(vp.provider, vp.provider)
    return ("symbol-version", f"{what} needs {vp.version} from {vp.file}{who}, which "
            f"{provider} does not define")
