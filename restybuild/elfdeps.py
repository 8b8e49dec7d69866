"""The first cut of native dependency bundling: DT_NEEDED read with pyelftools.

A needed library found in a native's `search` folders is bundled (and its own
needs are followed); one not found there is left to the base image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from restybuild.errors import ConfigError, Span


@dataclass(frozen=True)
class ElfInfo:
    path: str
    soname: str | None
    needed: tuple[str, ...]
    elf_class: int
    machine: str


def read_elf(path: Path) -> ElfInfo:
    """Read the dynamic section of the ELF file at `path`."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    try:
        with path.open("rb") as fh:
            elf = ELFFile(fh)
            needed: list[str] = []
            soname = None
            for section in elf.iter_sections():
                if isinstance(section, DynamicSection):
                    for tag in section.iter_tags():
                        if tag.entry.d_tag == "DT_NEEDED":
                            needed.append(str(tag.needed))  # type: ignore[attr-defined]
                        elif tag.entry.d_tag == "DT_SONAME":
                            soname = str(tag.soname)  # type: ignore[attr-defined]
            return ElfInfo(str(path), soname, tuple(needed), elf.elfclass,
                           str(elf["e_machine"]))
    except (ELFError, OSError) as e:
        raise ConfigError(f"{path} is not a readable ELF shared object: {e}") from None


@dataclass(frozen=True)
class Bundled:
    soname: str
    source: str  # project-relative path of the file that provides it


def bundle(root: Path, native: str, search: tuple[str, ...], span: Span) -> tuple[Bundled, ...]:
    """The libraries from `search` folders that `native` needs, transitively."""
    out: dict[str, Bundled] = {}
    queue = [root / native]
    while queue:
        info = read_elf(queue.pop(0))
        for name in info.needed:
            if name in out or "/" in name:
                continue
            for folder in search:
                cand = root / folder / name
                if cand.is_file():
                    real = cand.resolve()
                    if root.resolve() not in real.parents:
                        raise ConfigError(f"{folder}/{name} points outside the project", span=span)
                    out[name] = Bundled(name, f"{folder}/{name}")
                    queue.append(cand)
                    break
    return tuple(out[k] for k in sorted(out))
