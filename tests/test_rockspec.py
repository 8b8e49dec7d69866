"""restybuild.rockspec: what luarocks would install from a rockspec or a .rock, read not run."""

from __future__ import annotations

import contextlib
import io
import random
import zipfile
from pathlib import Path

import pytest

from restybuild.lint.modules import rockspec_modules
from restybuild.luatable import LuaDataError
from restybuild.rockserver import make_server
from restybuild.rockspec import autodetect_modules, path_to_module, read_rock, read_rockspec
from tests.conftest import write_tree

HEAD = 'package = "Demo"\nversion = "1.0-1"\nsource = { url = "demo-1.0.tar.gz" }\n'
FMT3 = 'rockspec_format = "3.0"\n' + HEAD


def test_package_version_and_modules_from_one_read() -> None:
    info = read_rockspec(HEAD + 'build = { type = "builtin", modules = { ["demo.a"] = "a.lua",'
                         ' ["demo.b"] = "b.lua" } }\n')
    assert (info.package, info.name, info.version, info.build_type) == ("Demo", "demo", "1.0-1",
                                                                        "builtin")
    assert (info.modules, info.complete) == (("demo.a", "demo.b"), True)


# -- what the regex reader got wrong: each of these failed with the old rockspec_modules --------

OLD_READER_MISSES = {
    "a } in a comment inside modules": (
        'build = { type = "builtin", modules = {\n   -- the C one } is below\n'
        '   ["a.lua_one"] = "a.lua",\n   ["a.c_one"] = { sources = { "a.c" } },\n} }\n',
        ("a.lua_one", "a.c_one")),
    "a } in a string with an escaped quote": (
        'build = { type = "builtin", modules = { ["a.b"] = "odd\\"}name.lua", c = "c.lua" } }\n',
        ("a.b", "c")),
    "a } in a long string": (
        'build = { type = "builtin", modules = { x = [[ } ]], y = "y.lua" } }\n', ("x", "y")),
    "a modules table inside a description": (
        'description = { detailed = [[ modules = { fake = "x" } ]] }\n'
        'build = { type = "builtin", modules = { real = "real.lua" } }\n', ("real",)),
    "a commented-out modules table": (
        '-- modules = { old = "old.lua" }\nbuild = { type = "builtin", modules = { new = "n.lua" }'
        " }\n", ("new",)),
    "build.install.lua": (
        'build = { type = "builtin", modules = { a = "a.lua" },\n'
        '   install = { lua = { ["a.extra"] = "lua/extra.lua" } } }\n', ("a", "a.extra")),
    "modules for another platform": (
        'build = { type = "builtin", modules = { a = "a.lua" },\n'
        '   platforms = { windows = { modules = { ["a.win"] = "win.lua" } },\n'
        '                 linux = { modules = { ["a.linux"] = "linux.lua" } } } }\n',
        ("a", "a.linux")),
}


@pytest.mark.parametrize("spec", OLD_READER_MISSES.values(), ids=OLD_READER_MISSES.keys())
def test_rockspecs_the_regex_reader_misread(spec: tuple[str, tuple[str, ...]]) -> None:
    text, expected = spec
    assert rockspec_modules(HEAD + text) == expected


def test_module_values_that_are_tables() -> None:
    info = read_rockspec(HEAD + 'build = { type = "builtin", modules = {\n'
                         '   ["x.core"] = { sources = { "src/core.c", "src/util.c" },'
                         ' libraries = { "ssl", "crypto" }, incdirs = { "$(OPENSSL_INCDIR)" } },\n'
                         '   ["x.simple"] = { "src/simple.c" },\n   x = "src/x.lua",\n} }\n')
    assert (info.modules, info.complete) == (("x.core", "x.simple", "x"), True)


# -- autodetection (builtin.lua autodetect_modules) ------------------------------------------


def test_builtin_with_no_modules_autodetects_under_src() -> None:
    files = ["README.md", "src/demo.lua", "src/demo/util.lua", "src/demo/init.lua",
             "lua/ignored.lua", "spec/demo_spec.lua", "demo-1.0-1.rockspec"]
    info = read_rockspec(FMT3 + 'build = { type = "builtin" }\n', files)
    # lua/ is not autodetected when src/ exists, but builtin copies lua/ as it is
    assert info.modules == ("demo", "demo.init", "demo.util", "ignored")
    assert info.complete


def test_autodetect_under_lua_or_at_the_root() -> None:
    assert autodetect_modules(["lua/a/b.lua", "other.lua"]) == (["a.b"], True)
    assert autodetect_modules(["test.lua", "tests.lua", "tests/t.lua", "m.lua", "d/e.lua",
                               "notes.txt"]) == (["d.e", "m", "tests.t"], True)
    assert autodetect_modules(["src/core.c", "src/x.lua"]) == (["core", "x"], False)


def test_no_build_table_at_all_in_format_3_is_builtin() -> None:
    info = read_rockspec(FMT3, ["src/only.lua"])
    assert (info.build_type, info.modules, info.complete) == ("builtin", ("only",), True)
    assert read_rockspec(FMT3 + "build = { }\n", ["x.lua"]).modules == ("x",)


def test_autodetect_needs_the_files() -> None:
    info = read_rockspec(FMT3 + 'build = { type = "builtin" }\n')
    assert (info.modules, info.complete) == ((), False)
    listed: list[str] = []
    lister_info = read_rockspec(FMT3, lambda: listed)
    assert (lister_info.modules, lister_info.complete) == ((), True)


def test_before_format_3_builtin_needs_modules() -> None:
    info = read_rockspec(HEAD + 'build = { type = "builtin" }\n', ["src/a.lua"])
    assert (info.modules, info.complete) == ((), False)  # luarocks refuses to build it
    assert read_rockspec(HEAD, ["src/a.lua"]).complete is False  # no build table


def test_a_c_source_autodetected_is_named_by_a_guess() -> None:
    info = read_rockspec(FMT3, ["src/fast.c", "src/slow.lua"])
    assert (info.modules, info.complete) == (("fast", "slow"), False)


# -- install tables and other build types ----------------------------------------------------


def test_install_lua_and_lib_for_any_build_type() -> None:
    info = read_rockspec(HEAD + 'build = { type = "make", install = {\n'
                         '   lua = { ["m.a"] = "lua/a.lua", "tools/helper.lua" },\n'
                         '   lib = { ["m.core"] = "build/core.so", ["m.x"] = "build/libx.so" },\n'
                         '   bin = { "bin/tool" } } }\n')
    assert info.modules == ("helper", "m.a", "m.core", "m.libx")  # as pairs() lists them
    assert info.complete is False  # make installs what the Makefile installs


def test_build_type_none_installs_only_its_install_tables() -> None:
    info = read_rockspec(HEAD + 'build = { type = "none", install = { lua = { z = "z.lua" } } }\n')
    assert (info.modules, info.complete) == (("z",), True)


def test_module_is_an_old_name_of_builtin() -> None:
    info = read_rockspec(HEAD + 'build = { type = "module", modules = { a = "a.lua" } }\n')
    assert (info.build_type, info.modules) == ("builtin", ("a",))


def test_computed_parts_make_the_list_incomplete() -> None:
    for build in ("build = make_build()\n", 'build = { type = "builtin", modules = mods() }\n',
                  'build = { type = "builtin", modules = { [name] = "x.lua", b = "b.lua" } }\n'):
        info = read_rockspec(HEAD + build, [])
        assert info.complete is False, build
    assert read_rockspec(HEAD + "package = pkg_name()\n").package is None


def test_unix_then_linux_overrides_are_merged() -> None:
    info = read_rockspec(HEAD + 'build = { type = "make",\n'
                         '   platforms = {\n'
                         '      unix = { type = "builtin", modules = { u = "u.lua" } },\n'
                         '                 linux = { modules = { l = "l.lua" } },\n'
                         '                 macosx = { modules = { m = "m.lua" } } } }\n')
    assert (info.build_type, info.modules, info.complete) == ("builtin", ("u", "l"), True)


def test_path_to_module() -> None:
    assert path_to_module("a/b/c.lua") == "a.b.c"
    assert path_to_module("a/core.so") == "a.core"
    assert path_to_module("a\\b.lua") == "a.b"
    assert path_to_module("notes.txt") == "notes.txt"


# -- .rock files -----------------------------------------------------------------------------


def test_a_src_rock_with_a_source_archive(tmp_path: Path) -> None:
    spec = FMT3 + 'build = { type = "builtin" }\n'
    write_tree(tmp_path / "src", {"demo-1.0-1.rockspec": spec, "src/demo.lua": "return 1\n",
                                  "src/demo/sub.lua": "return 2\n", "test.lua": ""})
    rock = make_server(tmp_path / "server", [tmp_path / "src"])[0]
    info = read_rock(rock.read_bytes())
    assert (info.name, info.modules, info.complete) == ("demo", ("demo", "demo.sub"), True)


def test_a_src_rock_of_a_vcs_source(tmp_path: Path) -> None:
    spec = (FMT3.replace('"demo-1.0.tar.gz"', '"git+https://example.invalid/demo.git"')
            + 'build = { type = "builtin" }\n')
    write_tree(tmp_path / "src", {"demo-1.0-1.rockspec": spec, "lua/demo/x.lua": "return 1\n"})
    rock = make_server(tmp_path / "server", [tmp_path / "src"])[0]
    assert read_rock(rock.read_bytes()).modules == ("demo.x",)


def test_a_src_rock_whose_source_dir_is_given(tmp_path: Path) -> None:
    spec = (FMT3.replace('url = "demo-1.0.tar.gz"', 'url = "demo-1.0.tar.gz", dir = "pkg/inner"')
            + 'build = { type = "builtin" }\n')
    write_tree(tmp_path / "src", {"demo-1.0-1.rockspec": spec, "src/m.lua": ""})
    rock = make_server(tmp_path / "server", [tmp_path / "src"])[0]  # pkg/inner/src/m.lua
    assert read_rock(rock.read_bytes()).modules == ("m",)


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_binary_rock_lists_what_it_installs() -> None:
    spec = HEAD + 'build = { type = "make" }\n'
    data = zip_of({"demo-1.0-1.rockspec": spec.encode(), "rock_manifest": b"rock_manifest = {}",
                   "lua/demo/init.lua": b"", "lua/demo/a.lua": b"", "lib/demo/core.so": b"",
                   "bin/demo": b"", "doc/README": b""})
    info = read_rock(data)
    assert (info.name, info.modules, info.complete) == ("demo", ("demo.core", "demo.a",
                                                                 "demo.init"), True)


def test_a_rock_with_no_rockspec() -> None:
    with pytest.raises(ValueError, match="no rockspec"):
        read_rock(zip_of({"x.lua": b""}))


# -- hostile rockspecs: an answer or LuaDataError, never another exception --------------------

SAMPLE = FMT3 + """\
description = { summary = "a } and a { in a string", detailed = [==[
   long ]] text ]==] }
dependencies = { "lua >= 5.1", 'other ~> 1.0' } -- trailing }
build = {
   type = "builtin",
   modules = { ["a.b"] = "src/a/b.lua", c = { sources = { "c.c" }, libraries = { "z" } },
               d = "\\x41\\65\\u{48}\\z
                    .lua" },
   install = { lua = { ["e.f"] = "e.lua" }, bin = { "bin/x" } },
   platforms = { linux = { modules = { g = 0x10 } } },
}
"""
NOISE = ["{", "}", "[", "]", "[[", "]]", "=", ",", ";", '"', "'", "\\", "--", "\n", "..", "(",
         ")", "nil", "0x", "1e", "\\u{", "\\z", "\\256", "\r", "\x00", "\u00e9", "[==[", " "]


def mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text) + 1)
        op = rng.random()
        if op < 0.3:
            text = text[:at]
        elif op < 0.6:
            text = text[:at] + rng.choice(NOISE) + text[at:]
        elif op < 0.8:
            text = text[:at] + text[at + rng.randint(1, 8):]
        else:
            end = min(len(text), at + rng.randint(1, 40))
            text = text[:at] + text[at:end] * 2 + text[end:]
    return text


def test_mutated_rockspecs_give_an_answer_or_lua_data_error() -> None:
    rng = random.Random(20240601)
    answers = errors = 0
    for _ in range(1500):
        text = mutate(rng, SAMPLE) if rng.random() < 0.9 else SAMPLE[:rng.randrange(len(SAMPLE))]
        try:
            info = read_rockspec(text, ["src/a/b.lua", "lua/x.lua", "c.c"])
        except LuaDataError as err:
            assert err.line >= 1 and err.col >= 1
            errors += 1
            continue
        assert all(isinstance(m, str) for m in info.modules)
        answers += 1
    assert answers > 100 and errors > 100  # both paths were exercised


def test_corrupt_rocks_raise_value_error_or_lua_data_error(tmp_path: Path) -> None:
    write_tree(tmp_path / "src", {"demo-1.0-1.rockspec": FMT3, "src/demo.lua": "return 1\n"})
    good = make_server(tmp_path / "server", [tmp_path / "src"])[0].read_bytes()
    rng = random.Random(7)
    for _ in range(400):
        data = bytearray(good)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[:rng.randrange(len(data))]
        with contextlib.suppress(ValueError, LuaDataError):  # anything else fails the test
            read_rock(bytes(data))


def test_a_source_archive_that_unpacks_too_big_leaves_the_modules_unknown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from restybuild import rockspec

    write_tree(tmp_path / "src", {"demo-1.0-1.rockspec": FMT3, "src/demo.lua": "x" * 5000})
    rock = make_server(tmp_path / "server", [tmp_path / "src"])[0].read_bytes()
    assert read_rock(rock).complete
    monkeypatch.setattr(rockspec, "MAX_UNPACKED", 4000)
    assert (read_rock(rock).modules, read_rock(rock).complete) == ((), False)
