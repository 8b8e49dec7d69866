"""nginx directives read from ELF files: ngx_command_t-shaped arrays compiled here with gcc.

The C source below declares its own structs of nginx's shape (not nginx's code): a
command array per module, each module pointing at its array and carrying its type
magic, an array no module points at, and decoys that look almost like commands.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from restybuild.elf import ngxcmds
from restybuild.elf.ngxcmds import Command, NotElf, commands, contexts

SOURCE = r"""
typedef struct { unsigned long len; const char *data; } str_t;
typedef struct cmd_s {
    str_t name; unsigned long type;
    char *(*set)(void *cf, struct cmd_s *cmd, void *conf);
    unsigned long conf, offset; void *post;
} cmd_t;
typedef struct {
    unsigned long ctx_index, index; const char *name; unsigned long spare0, spare1, version;
    const char *signature; void *ctx; cmd_t *commands; unsigned long type; void *init;
} module_t;
#define S(x) { sizeof(x) - 1, x }
#define END { { 0, 0 }, 0, 0, 0, 0, 0 }

#ifdef SLOT_HERE
char *flag_slot(void *cf, cmd_t *cmd, void *conf) { return 0; }
#else
char *flag_slot(void *cf, cmd_t *cmd, void *conf);  /* the binary's: a symbol relocation */
#endif
static char *block(void *cf, cmd_t *cmd, void *conf) { return cf; }
static int cache_post;

static cmd_t http_cmds[] = {
    { S("demo_pass"), 0x08000000 | 0x40000000 | 0x80000000 | 0x02, block, 16, 0, 0 },
    { S("demo_cache"), 0x02000000 | 0x04000000 | 0x08000000 | 0x200, flag_slot, 16, 8,
      &cache_post },
    { S("demo_zone_2"), 0x02000000 | 0x0800, block, 8, 0, 0 },
    END };
static cmd_t stream_cmds[] = {
    { S("demo_stream"), 0x02000000 | 0x04000000 | 0x08000000 | 0x02, block, 0, 0, 0 }, END };
static cmd_t core_cmds[] = {
    { S("demo_workers"), 0x01000000 | 0x00010000 | 0x02, block, 0, 0, 0 }, END };
static cmd_t conf_cmds[] = { { S("demo_include"), 0xFF000000 | 0x02, block, 0, 0, 0 }, END };

module_t demo_http_module = { -1, -1, 0, 0, 0, 1022001, "8,4,8", 0, http_cmds, 0x50545448 };
module_t demo_stream_module = { -1, -1, 0, 0, 0, 1022001, "8,4,8", 0, stream_cmds,
                                0x4D525453 };
module_t demo_core_module = { -1, -1, 0, 0, 0, 1022001, "8,4,8", 0, core_cmds, 0x45524F43 };
module_t demo_conf_module = { -1, -1, 0, 0, 0, 1022001, "8,4,8", 0, conf_cmds, 0x464E4F43 };

/* no module points at it: its context bits stay unnamed */
cmd_t orphan_cmds[] = { { S("demo_orphan"), 0x04000000 | 0x01, block, 0, 0, 0 }, END };

/* decoys */
cmd_t wrong_len[] = { { { 4, "demo_wrong_len" }, 0x02000000 | 0x02, block, 0, 0, 0 }, END };
cmd_t upper[] = { { S("Demo_upper"), 0x02000000 | 0x02, block, 0, 0, 0 }, END };
cmd_t no_context[] = { { S("demo_no_context"), 0x02, block, 0, 0, 0 }, END };
cmd_t odd_bits[] = { { S("demo_odd_bits"), 0x02000000 | 0x00400000, block, 0, 0, 0 }, END };
cmd_t no_set[] = { { S("demo_no_set"), 0x02000000 | 0x02, 0, 0, 0, 0 }, END };
cmd_t data_set[] = { { S("demo_data_set"), 0x02000000 | 0x02, (void *) &cache_post, 0, 0, 0 },
                     END };
cmd_t unterminated[] = { { S("demo_unterminated"), 0x02000000 | 0x02, block, 0, 0, 0 },
                         { { 1, "x" }, 7, 0, 0, 0, 0 } };
str_t lonely = S("demo_lonely");

int main(void) { return (int) demo_http_module.index; }
"""

EXPECTED = {
    Command("demo_pass", 0xC8000002, "HTTP"),
    Command("demo_cache", 0x0E000200, "HTTP"),
    Command("demo_zone_2", 0x02000800, "HTTP"),
    Command("demo_stream", 0x0E000002, "STRM"),
    Command("demo_workers", 0x01010002, "CORE"),
    Command("demo_include", 0xFF000002, "CONF"),
    Command("demo_orphan", 0x04000001, ""),
}
BUILDS = {
    "shared object": ["-shared", "-fPIC"],
    "PIE executable": ["-fPIE", "-pie", "-DSLOT_HERE"],
    "non-PIE executable": ["-no-pie", "-fno-pie", "-DSLOT_HERE"],
    "32-bit shared object": ["-m32", "-shared", "-fPIC"],
    "32-bit PIE executable": ["-m32", "-fPIE", "-pie", "-DSLOT_HERE"],
}


def build(folder: Path, flags: list[str], source: str = SOURCE) -> Path:
    out = folder / "demo.elf"
    subprocess.run(["gcc", "-O2", "-o", str(out), "-x", "c", "-", *flags], check=True,
                   input=source.encode(), capture_output=True)
    return out


@pytest.mark.parametrize("kind", list(BUILDS))
def test_the_arrays_of_a_compiled_object_are_found_exactly(tmp_path: Path, kind: str) -> None:
    found = commands(build(tmp_path, BUILDS[kind]).read_bytes())
    assert set(found) == EXPECTED
    assert len(found) == len(EXPECTED)
    names = [c.name for c in found]
    assert names.index("demo_pass") + 1 == names.index("demo_cache")  # in array order


@pytest.mark.parametrize(("decoy", "fixed", "name"), [
    ('"Demo_upper"', '"demo_upper"', "demo_upper"),
    ('{ 4, "demo_wrong_len" }', 'S("demo_wrong_len")', "demo_wrong_len"),
    ("0x02000000 | 0x00400000", "0x02000000 | 0x00000400", "demo_odd_bits"),
    ("(void *) &cache_post", "block", "demo_data_set"),
    ('{ { 1, "x" }, 7, 0, 0, 0, 0 }', "END", "demo_unterminated"),
])
def test_each_decoy_is_one_fix_from_a_command(tmp_path: Path, decoy: str, fixed: str,
                                              name: str) -> None:
    """The decoys fail one check each: fixed, the directive is found."""
    assert SOURCE.count(decoy) == 1
    found = commands(build(tmp_path, BUILDS["shared object"], SOURCE.replace(decoy, fixed))
                     .read_bytes())
    assert {c.name for c in found} - {c.name for c in EXPECTED} == {name}


def test_a_symbol_relocation_fills_set_and_rela_pointers_are_zero_in_the_file(
        tmp_path: Path) -> None:
    """The shared object's pointers are all relocations (the file holds zeros), and
    `flag_slot` is the binary's: an R_X86_64_64 against an undefined symbol."""
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection
    from elftools.elf.sections import SymbolTableSection

    path = build(tmp_path, BUILDS["shared object"])
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        rela = next(s for s in elf.iter_sections() if isinstance(s, RelocationSection)
                    and s.name == ".rela.dyn")
        symbols = elf.get_section_by_name(".dynsym")
        assert isinstance(symbols, SymbolTableSection)
        slot = [r for r in rela.iter_relocations() if r["r_info_sym"]
                and symbols.get_symbol(r["r_info_sym"]).name == "flag_slot"]
        assert slot and slot[0]["r_info_type"] == 1  # R_X86_64_64
    assert Command("demo_cache", 0x0E000200, "HTTP") in commands(path.read_bytes())


def test_contexts_are_named_after_nginx_macros_per_module_type() -> None:
    by_name = {c.name: c for c in EXPECTED}
    assert contexts(by_name["demo_pass"]) == {"http_loc", "http_lif", "http_lmt"}
    assert contexts(by_name["demo_cache"]) == {"http_main", "http_srv", "http_loc"}
    assert contexts(by_name["demo_stream"]) == {"stream_main", "stream_srv", "stream_ups"}
    assert contexts(by_name["demo_workers"]) == {"main"}  # NGX_DIRECT_CONF is no context
    assert contexts(by_name["demo_include"]) == {"any"}
    assert contexts(by_name["demo_orphan"]) == {"0x04000000"}
    assert contexts(Command("worker_connections", 0x02000002, "EVNT")) == {"event"}
    assert contexts(Command("smtp_auth", 0x06000800, "MAIL")) == {"mail_main", "mail_srv"}
    assert contexts(Command("x", 0x04000002, "EVNT")) == {"0x04000000"}


def test_elf_files_that_are_not_nginx_define_nothing(tmp_path: Path) -> None:
    assert commands(Path("/bin/true").read_bytes()) == []
    plain = build(tmp_path, ["-shared", "-fPIC"], "int f(void) { return 1; }\n")
    assert commands(plain.read_bytes()) == []
    zlib = Path("/usr/lib/x86_64-linux-gnu/libz.so.1")
    if zlib.is_file():
        assert commands(zlib.read_bytes()) == []


@pytest.mark.parametrize("data", [b"", b"\x7fEL", b"hello world", b"\x7fELF\x02\x01\x01",
                                  bytes(range(256)) * 4, b"MZ" + bytes(200)])
def test_garbage_is_not_elf(data: bytes) -> None:
    with pytest.raises(NotElf):
        commands(data)


def test_an_elf_header_of_another_class_or_with_no_segments_gives_nothing() -> None:
    header = bytearray(64)
    header[:7] = b"\x7fELF\x02\x01\x01"
    assert commands(bytes(header)) == []
    header[4] = 9  # no such class
    assert commands(bytes(header)) == []


def test_the_limits_are_the_documented_ones() -> None:
    assert ngxcmds.MAX_NAME == 64 and ngxcmds.MAX_LOADS == 64
