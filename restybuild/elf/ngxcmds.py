"""The nginx directives an ELF file defines: its ``ngx_command_t`` arrays, read from the bytes.

Every nginx module (compiled into the binary or a dynamic module ``.so``) has a static
array of commands, one per directive, ended by ``ngx_null_command`` (all zeros)::

    struct ngx_command_s {            /* src/core/ngx_conf_file.h */
        ngx_str_t    name;            /* { size_t len; u_char *data; } */
        ngx_uint_t   type;            /* argument, flag and context bits */
        char      *(*set)(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
        ngx_uint_t   conf;
        ngx_uint_t   offset;
        void        *post;
    };

seven words (56 bytes on 64-bit, 28 on 32-bit). A word is a *command* when ``len`` is 1 to
64, ``data`` points into a loadable segment that is not writable at a NUL-terminated
string of exactly ``len`` bytes of ``[a-z0-9_]``, ``set`` points into an executable
segment (or is filled by a symbol relocation to a function of another object, as a
module's ``ngx_conf_set_flag_slot`` is), and ``type`` is a plausible mask: some context
bit, no bit nginx does not define. A run of commands followed by a null command is an
array.

Pointers of a PIE executable or a shared object are zero in the file: ld.so fills them
from ``R_*_RELATIVE`` relocations whose addend is the address (RELA, as x86-64 and
AArch64 use), or adds the load base to the address the file holds (REL, RELR, and every
pointer of a non-PIE file, which this reader then reads as it is). So a word map is built
from DT_RELA and DT_REL first (symbol relocations too: ``R_X86_64_64``, ``GLOB_DAT``).

The context bits mean different blocks in different module types (the event, stream and
mail modules reuse http's ``0x02000000``...), so the array's module is found too: the
``ngx_module_t`` that points at it holds ``commands`` and then ``type`` ("HTTP", "STRM",
"MAIL", "EVNT", "CORE", "CONF"; the same two words in the layouts before and after
nginx 1.9.11). :func:`contexts` names the bits after nginx's own macros (``http_loc`` is
NGX_HTTP_LOC_CONF, ``stream_srv`` NGX_STREAM_SRV_CONF, ``event`` NGX_EVENT_CONF, ``main``
NGX_MAIN_CONF, ``any`` NGX_ANY_CONF of the conf module's ``include``); a bit it cannot
name (no module found) is its hex value; NGX_DIRECT_CONF says where the value is stored,
not where the directive stands, so it names no context (it stays in :attr:`Command.type`).

Like :mod:`restybuild.elf.reader`, it parses with :mod:`struct` and never trusts a value:
any bytes give :class:`NotElf` (no ELF header) or a list, in time linear in the file's
size (a few limits: 64 loadable segments, 2**20 relocations, 2**16 commands). x86-64,
AArch64, i386 and 32-bit ARM relocations are known; 32-bit files are read too.
"""

from __future__ import annotations

import re
import struct

from elftools.elf.enums import (
    ENUM_RELOC_TYPE_AARCH64,
    ENUM_RELOC_TYPE_ARM,
    ENUM_RELOC_TYPE_i386,
    ENUM_RELOC_TYPE_x64,
)

from restybuild.elf.reader import EHDR_SIZE, NotElf
from restybuild.records import dataclass

TYPE_CHECKING = False  # as in reader.py: the type alias costs nothing at run time
if TYPE_CHECKING:
    from restybuild.elf.reader import Data

__all__ = ["ANY_CONF", "DIRECT_CONF", "MAIN_CONF", "Command", "NotElf", "commands",
           "contexts"]

PT_LOAD, PT_DYNAMIC = 1, 2
PF_X, PF_W = 0x1, 0x2
DT_NULL, DT_RELA, DT_RELASZ, DT_RELAENT, DT_SYMTAB, DT_SYMENT = 0, 7, 8, 9, 6, 11
DT_REL, DT_RELSZ, DT_RELENT = 17, 18, 19
MAX_LOADS = 64
MAX_DYNAMIC = 4096
MAX_RELOCS = 1 << 20
MAX_COMMANDS = 1 << 16
MAX_NAME = 64
EXTERN = -1  # a word a symbol relocation fills with an address in another object

MAIN_CONF, DIRECT_CONF, ANY_CONF = 0x01000000, 0x00010000, 0xFF000000
_ARG_BITS = 0x00001FFF  # NGX_CONF_NOARGS..TAKE7, BLOCK, FLAG, ANY, 1MORE, 2MORE
_KNOWN_BITS = ANY_CONF | DIRECT_CONF | _ARG_BITS
_NAME = re.compile(rb"[a-z0-9_]+")
#: (address, pointer-size relocation, GLOB_DAT, RELATIVE) per e_machine
_RELOCS = {
    62: (ENUM_RELOC_TYPE_x64["R_X86_64_64"], ENUM_RELOC_TYPE_x64["R_X86_64_GLOB_DAT"],
         ENUM_RELOC_TYPE_x64["R_X86_64_RELATIVE"]),
    183: (ENUM_RELOC_TYPE_AARCH64["R_AARCH64_ABS64"],
          ENUM_RELOC_TYPE_AARCH64["R_AARCH64_GLOB_DAT"],
          ENUM_RELOC_TYPE_AARCH64["R_AARCH64_RELATIVE"]),
    3: (ENUM_RELOC_TYPE_i386["R_386_32"], ENUM_RELOC_TYPE_i386["R_386_GLOB_DAT"],
        ENUM_RELOC_TYPE_i386["R_386_RELATIVE"]),
    40: (ENUM_RELOC_TYPE_ARM["R_ARM_ABS32"], ENUM_RELOC_TYPE_ARM["R_ARM_GLOB_DAT"],
         ENUM_RELOC_TYPE_ARM["R_ARM_RELATIVE"]),
}
#: the ngx_module_t.type magics (NGX_HTTP_MODULE is "HTTP" read as a little-endian word)
MODULE_TYPES = {0x50545448: "HTTP", 0x4D525453: "STRM", 0x4C49414D: "MAIL",
                0x544E5645: "EVNT", 0x45524F43: "CORE", 0x464E4F43: "CONF"}
_CONTEXT_NAMES = {
    "HTTP": ("http_main", "http_srv", "http_loc", "http_ups", "http_sif", "http_lif",
             "http_lmt"),
    "STRM": ("stream_main", "stream_srv", "stream_ups"),
    "MAIL": ("mail_main", "mail_srv"),
    "EVNT": ("event",),
}


@dataclass(frozen=True)
class Command:
    name: str  # the directive
    type: int  # ngx_command_t.type: argument, flag and context bits as compiled
    module: str = ""  # the module type of its array ("HTTP", "STRM"...), "" when not found


def contexts(cmd: Command) -> set[str]:
    """The contexts `cmd` may stand in, named after nginx's macros (module docstring)."""
    if cmd.module == "CONF" and cmd.type & ANY_CONF == ANY_CONF:
        return {"any"}
    names = _CONTEXT_NAMES.get(cmd.module, ())
    out = set()
    for i in range(8):
        bit = MAIN_CONF << i
        if not cmd.type & bit:
            continue
        if i == 0:
            out.add("main")
        elif i <= len(names):
            out.add(names[i - 1])
        else:
            out.add(f"{bit:#010x}")
    return out


class _Image:
    """The loadable view of one ELF file: addresses to bytes, with its relocated words."""

    def __init__(self, data: Data) -> None:
        size = len(data)
        if size < EHDR_SIZE.get(data[4] if size > 4 else 0, 64):  # as the reader says
            raise NotElf("file too short")
        if data[:4] != b"\x7fELF":
            raise NotElf("invalid ELF header")
        self.data = data
        self.ok = data[4] in (1, 2) and data[5] in (1, 2)
        self.wide = data[4] == 2
        self.end = "<" if data[5] == 1 else ">"
        self.w = 8 if self.wide else 4
        self.loads: list[tuple[int, int, int, int, int]] = []  # vaddr, filesz, memsz, off, fl
        self.words: dict[int, int] = {}
        self.machine = 0
        if self.ok:
            self._segments()

    def _segments(self) -> None:
        head = self.end + ("HHIQQQIHHH" if self.wide else "HHIIIIIHHH")
        _t, self.machine, _v, _e, phoff, _sh, _f, _eh, phentsize, phnum = struct.unpack_from(
            head, self.data, 16)
        if phentsize != (56 if self.wide else 32) or phoff + phnum * phentsize > len(self.data):
            return
        fmt = self.end + ("IIQQQQQQ" if self.wide else "IIIIIIII")
        dyn = None
        for fields in struct.iter_unpack(fmt, bytes(self.data[phoff:phoff + phnum * phentsize])):
            if self.wide:
                p_type, flags, offset, vaddr, _pa, filesz, memsz = fields[:7]
            else:
                p_type, offset, vaddr, _pa, filesz, memsz, flags = fields[:7]
            if p_type == PT_LOAD and len(self.loads) < MAX_LOADS:
                filesz = max(0, min(filesz, len(self.data) - offset))
                offset = offset if filesz else 0  # the part in the file, if any
                self.loads.append((vaddr, filesz, max(memsz, filesz), offset, flags))
            elif p_type == PT_DYNAMIC and offset < len(self.data):
                dyn = (offset, min(filesz, len(self.data) - offset))
        if dyn is not None:
            self._relocate(*dyn)

    def segment(self, addr: int) -> tuple[int, int, int, int, int] | None:
        for seg in self.loads:
            if seg[0] <= addr < seg[0] + seg[2]:
                return seg
        return None

    def offset(self, addr: int, length: int) -> int | None:
        """The file offset of `length` bytes at `addr`, when they are all in the file."""
        for vaddr, filesz, _m, off, _f in self.loads:
            if vaddr <= addr and addr + length <= vaddr + filesz:
                return addr - vaddr + off
        return None

    def word(self, addr: int) -> int | None:
        """The word at `addr` as ld.so leaves it (EXTERN: filled from another object)."""
        if addr in self.words:
            return self.words[addr]
        off = self.offset(addr, self.w)
        if off is not None:
            value: int = struct.unpack_from(self.end + ("Q" if self.wide else "I"),
                                            self.data, off)[0]
            return value
        seg = self.segment(addr)
        return 0 if seg is not None and addr + self.w <= seg[0] + seg[2] else None  # .bss

    def _relocate(self, start: int, length: int) -> None:
        step = 2 * self.w
        count = min(length // step, MAX_DYNAMIC)
        tags: dict[int, int] = {}
        for tag, val in struct.iter_unpack(self.end + ("qQ" if self.wide else "iI"),
                                           bytes(self.data[start:start + count * step])):
            if tag == DT_NULL:
                break
            tags[tag] = val
        kinds = _RELOCS.get(self.machine)
        if kinds is None:
            return
        budget = MAX_RELOCS
        for table, size, ent, rela in ((DT_RELA, DT_RELASZ, DT_RELAENT, True),
                                       (DT_REL, DT_RELSZ, DT_RELENT, False)):
            want = self.w * (3 if rela else 2)
            if table not in tags or tags.get(ent, want) != want:
                continue
            n = min(tags.get(size, 0) // want, budget)
            off = self.offset(tags[table], 0)
            if off is None or n <= 0:
                continue
            n = min(n, (len(self.data) - off) // want)
            budget -= n
            self._apply(off, n, rela, kinds, tags.get(DT_SYMTAB), tags.get(DT_SYMENT))

    def _apply(self, off: int, n: int, rela: bool, kinds: tuple[int, int, int],
               symtab: int | None, syment: int | None) -> None:
        absolute, _glob_dat, relative = kinds
        fmt = self.end + ("QQq" if self.wide else "IIi")[:3 if rela else 2]
        shift, mask = (32, 0xFFFFFFFF) if self.wide else (8, 0xFF)
        entries = struct.iter_unpack(fmt, bytes(self.data[off:off + n * struct.calcsize(fmt)]))
        symbols: dict[int, int] = {}
        top = (1 << (8 * self.w)) - 1
        for entry in entries:
            where, info = entry[0], entry[1]
            kind = info & mask
            if kind not in kinds:
                continue
            addend = entry[2] if rela else self.word(where)
            if addend is None:
                continue
            if kind == relative:
                if rela:
                    self.words[where] = addend & top
                continue  # REL: the file holds the address already
            sym = info >> shift
            if sym not in symbols:
                symbols[sym] = self._symbol(sym, symtab, syment)
            value = symbols[sym]
            if value == EXTERN:
                self.words[where] = EXTERN
            else:  # S + A; GLOB_DAT is S (x86-64, i386) or S + A with a zero A (AArch64)
                self.words[where] = (value + (addend if kind == absolute else 0)) & top

    def _symbol(self, index: int, symtab: int | None, syment: int | None) -> int:
        """The value of dynamic symbol `index`, or EXTERN (undefined, or unreadable)."""
        size = 24 if self.wide else 16
        if symtab is None or (syment or size) != size:
            return EXTERN
        off = self.offset(symtab + index * size, size)
        if off is None:
            return EXTERN
        if self.wide:
            _n, _i, _o, shndx, value, _s = struct.unpack_from(self.end + "IBBHQQ", self.data, off)
        else:
            _n, value, _s, _i, _o, shndx = struct.unpack_from(self.end + "IIIBBH", self.data, off)
        return EXTERN if shndx == 0 else int(value)


def commands(data: Data) -> list[Command]:
    """The directives the ELF file `data` defines, in the order of its arrays; [] for an
    ELF file that defines none (or that this reader cannot read). NotElf for other bytes."""
    image = _Image(data)
    if not image.ok or not image.loads:
        return []
    found: dict[int, tuple[str, int]] = {}
    for addr in _candidates(image):
        cmd = _command(image, addr)
        if cmd is not None:
            found[addr] = cmd
            if len(found) >= MAX_COMMANDS:
                break
    stride = 7 * image.w
    starts = sorted(a for a in found if a - stride not in found)
    types = _module_types(image, set(starts))
    out: list[Command] = []
    for start in starts:
        run = []
        addr = start
        while addr in found:
            run.append(found[addr])
            addr += stride
        if all(image.word(addr + i * image.w) == 0 for i in range(7)):  # ngx_null_command
            out += [Command(name, mask, types.get(start, "")) for name, mask in run]
    return out


def _aligned(image: _Image, pattern: re.Pattern[bytes], flags: int = 0) -> list[int]:
    """The word-aligned addresses in the loadable segments (those with all of `flags`)
    where `pattern` matches."""
    out = []
    seen: set[tuple[int, int, int]] = set()
    for vaddr, filesz, _m, off, seg_flags in image.loads:
        if not filesz or (vaddr, filesz, off) in seen or seg_flags & flags != flags:
            continue
        seen.add((vaddr, filesz, off))
        for m in pattern.finditer(image.data, off, off + filesz):
            addr = m.start() - off + vaddr
            if addr % image.w == 0:
                out.append(addr)
    return out


def _candidates(image: _Image) -> list[int]:
    """The addresses of words that may be a command's `name.len` (1 to 64). (No lookahead
    needed: a match's other bytes are zero, so it never hides an aligned one.)"""
    zeros = b"\x00{%d}" % (image.w - 1)
    small = rb"[\x01-\x40]"
    return _aligned(image, re.compile(small + zeros if image.end == "<" else zeros + small))


def _command(image: _Image, addr: int) -> tuple[str, int] | None:
    """(name, type) when the seven words at `addr` are a command."""
    w = image.w
    length, ptr, mask, handler = (image.word(addr + i * w) for i in range(4))
    if length is None or not 1 <= length <= MAX_NAME or ptr is None or ptr == EXTERN:
        return None
    if mask is None or addr + 2 * w in image.words or mask & ~_KNOWN_BITS or not (
            mask & ANY_CONF):
        return None
    if handler is None or handler == 0 or (handler != EXTERN and not _executable(image,
                                                                                  handler)):
        return None
    seg = image.segment(ptr)
    off = image.offset(ptr, length + 1)
    if seg is None or seg[4] & PF_W or off is None:
        return None
    name = bytes(image.data[off:off + length + 1])
    if name[-1] != 0 or not _NAME.fullmatch(name, 0, length):
        return None
    return name[:-1].decode("ascii"), mask


def _executable(image: _Image, addr: int) -> bool:
    seg = image.segment(addr)
    return seg is not None and bool(seg[4] & PF_X)


def _module_types(image: _Image, starts: set[int]) -> dict[int, str]:
    """Array start -> the type of the ngx_module_t whose `commands` points at it (nginx
    writes a module's `index` at start-up, so it is in a writable segment)."""
    if not starts:
        return {}
    fmt = image.end + ("Q" if image.wide else "I")
    magic = b"|".join(re.escape(struct.pack(fmt, m)) for m in MODULE_TYPES)
    out: dict[int, str] = {}
    for addr in _aligned(image, re.compile(b"(?=" + magic + b")"), PF_W):
        target = image.word(addr - image.w)
        kind = image.word(addr)
        if target in starts and kind is not None and target not in out:
            out[target] = MODULE_TYPES[kind]
    return out
