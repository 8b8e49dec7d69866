"""restybuild.rocks_manifest: a luarocks tree's manifest read without running it."""

from __future__ import annotations

from pathlib import Path

import pytest

from restybuild.luatable import LuaDataError
from restybuild.rocks_manifest import Dependency, read_manifest
from restybuild.rockserver import make_server, manifest_text, read_rock_dir
from tests.conftest import write_tree

#: A tree with a dozen rocks (two versions of one), as `luarocks install` leaves
#: `lib/luarocks/rocks-5.1/manifest`; written for this test.
TREE_MANIFEST = """\
commands = {
   busted = {
      "busted/2.2.0-1"
   },
   luacheck = {
      "luacheck/1.1.2-1"
   }
}
dependencies = {
   argparse = {
      ["0.7.1-1"] = {
         {
            constraints = {
               {
                  op = ">=",
                  version = {
                     5, 1, string = "5.1"
                  }
               }
            },
            name = "lua"
         }
      }
   },
   busted = {
      ["2.2.0-1"] = {
         {
            constraints = {
               { op = ">=", version = { 5, 1, string = "5.1" } }
            },
            name = "lua"
         },
         {
            constraints = {
               { op = ">=", version = { 1, 3, string = "1.3" } },
               { op = "<", version = { 2, string = "2" } }
            },
            name = "say"
         },
         { name = "penlight" }
      }
   },
   ["lua-resty-jwt"] = {
      ["0.2.3-0"] = {
         { constraints = { { op = "~>", version = { 0, 9, string = "0.9" } } },
           name = "lua-resty-openssl" }
      }
   }
}
modules = {
   cjson = {
      "lua-cjson/2.1.0.10-1"
   },
   ["cjson.safe"] = {
      "lua-cjson/2.1.0.10-1"
   },
   inspect = {
      "inspect/3.1.3-0",
      "inspect/3.1.1-0"
   },
   lfs = {
      "luafilesystem/1.8.0-1"
   },
   lpeg = {
      "lpeg/1.1.0-1"
   },
   re = {
      "lpeg/1.1.0-1"
   },
   ["resty.http"] = {
      "lua-resty-http/0.17.2-0"
   },
   ["resty.http_connect"] = {
      "lua-resty-http/0.17.2-0"
   },
   ["resty.jwt"] = {
      "lua-resty-jwt/0.2.3-0"
   },
   ["resty.openssl"] = {
      "lua-resty-openssl/1.5.1-1"
   },
   ["resty.openssl.init"] = {
      "lua-resty-openssl/1.5.1-1"
   },
   ["pl.path"] = {
      "penlight/1.14.0-2"
   },
   ["pl.utils"] = {
      "penlight/1.14.0-2"
   },
   say = {
      "say/1.4.1-3"
   },
   ["busted.core"] = {
      "busted/2.2.0-1"
   },
   argparse = {
      "argparse/0.7.1-1"
   }
}
repository = {
   argparse = {
      ["0.7.1-1"] = {
         {
            arch = "installed",
            commands = {},
            dependencies = {},
            modules = {
               argparse = "argparse.lua"
            }
         }
      }
   },
   busted = {
      ["2.2.0-1"] = {
         {
            arch = "installed",
            commands = {
               busted = "busted"
            },
            dependencies = {
               penlight = "1.14.0-2",
               say = "1.4.1-3"
            },
            modules = {
               ["busted.core"] = "busted/core.lua"
            }
         }
      }
   },
   inspect = {
      ["3.1.1-0"] = {
         { arch = "installed", commands = {}, dependencies = {},
           modules = { inspect = "inspect.lua" } }
      },
      ["3.1.3-0"] = {
         { arch = "installed", commands = {}, dependencies = {},
           modules = { inspect = "inspect.lua" } }
      }
   },
   lpeg = {
      ["1.1.0-1"] = {
         { arch = "installed", commands = {}, dependencies = {},
           modules = { lpeg = "lpeg.so", re = "re.lua" } }
      }
   },
   ["lua-cjson"] = {
      ["2.1.0.10-1"] = {
         { arch = "installed", commands = {}, dependencies = {},
           modules = { cjson = "cjson.so", ["cjson.safe"] = "cjson/safe.lua" } }
      }
   },
   ["lua-resty-http"] = {
      ["0.17.2-0"] = {
         {
            arch = "installed",
            commands = {},
            dependencies = {},
            modules = {
               ["resty.http"] = "resty/http.lua",
               ["resty.http_connect"] = "resty/http_connect.lua"
            }
         }
      }
   },
   ["lua-resty-jwt"] = {
      ["0.2.3-0"] = {
         { arch = "installed", commands = {},
           dependencies = { ["lua-resty-openssl"] = "1.5.1-1" },
           modules = { ["resty.jwt"] = "resty/jwt.lua" } }
      }
   },
   ["lua-resty-openssl"] = {
      ["1.5.1-1"] = {
         { arch = "installed", commands = {}, dependencies = {},
           modules = { ["resty.openssl"] = "resty/openssl.lua",
                       ["resty.openssl.init"] = "resty/openssl/init.lua" } }
      }
   },
   luacheck = {
      ["1.1.2-1"] = {
         -- a rock whose modules the top-level table forgot: read from the entry
         { arch = "installed", commands = { luacheck = "luacheck" }, dependencies = {},
           modules = { ["luacheck.main"] = "luacheck/main.lua" } }
      }
   },
   luafilesystem = {
      ["1.8.0-1"] = {
         { arch = "installed", commands = {}, dependencies = {}, modules = { lfs = "lfs.so" } }
      }
   },
   penlight = {
      ["1.14.0-2"] = {
         { arch = "installed", commands = {}, dependencies = {},
           modules = { ["pl.path"] = "pl/path.lua", ["pl.utils"] = "pl/utils.lua" } }
      }
   },
   say = {
      ["1.4.1-3"] = {
         { arch = "installed", commands = {}, dependencies = {},
           modules = { say = "say/init.lua" } }
      }
   }
}
"""


def test_a_tree_manifest_lists_rocks_versions_modules_and_commands() -> None:
    m = read_manifest(TREE_MANIFEST.encode())
    assert [(r.name, r.version) for r in m.rocks] == [
        ("argparse", "0.7.1-1"), ("busted", "2.2.0-1"), ("inspect", "3.1.1-0"),
        ("inspect", "3.1.3-0"), ("lpeg", "1.1.0-1"), ("lua-cjson", "2.1.0.10-1"),
        ("lua-resty-http", "0.17.2-0"), ("lua-resty-jwt", "0.2.3-0"),
        ("lua-resty-openssl", "1.5.1-1"), ("luacheck", "1.1.2-1"),
        ("luafilesystem", "1.8.0-1"), ("penlight", "1.14.0-2"), ("say", "1.4.1-3")]
    assert all(r.installed and r.arches == ("installed",) for r in m.rocks)
    cjson = m.rock("Lua-CJSON")
    assert cjson is not None
    assert cjson.modules == {"cjson": "cjson.so", "cjson.safe": "cjson/safe.lua"}
    busted = m.rock("busted", "2.2.0-1")
    assert busted is not None
    assert busted.commands == {"busted": "busted"}
    assert busted.dependencies == {"penlight": "1.14.0-2", "say": "1.4.1-3"}
    assert [str(d) for d in busted.requires] == ["lua >= 5.1", "say >= 1.3, < 2", "penlight"]
    jwt = m.rock("lua-resty-jwt")
    assert jwt is not None
    assert jwt.requires == (Dependency("lua-resty-openssl", (("~>", "0.9"),)),)
    assert m.rock("inspect") is not None
    assert m.rock("nope") is None
    assert m.commands == {"busted": ("busted/2.2.0-1",), "luacheck": ("luacheck/1.1.2-1",)}


def test_who_provides_a_module() -> None:
    m = read_manifest(TREE_MANIFEST.encode())
    assert [(r.name, r.version) for r in m.providers("inspect")] == [("inspect", "3.1.3-0"),
                                                                     ("inspect", "3.1.1-0")]
    assert [r.name for r in m.providers("resty.openssl")] == ["lua-resty-openssl"]
    assert [r.name for r in m.providers("luacheck.main")] == ["luacheck"]  # from the entry
    assert m.providers("resty.redis") == ()


def test_rock_lines_for_a_restyfile() -> None:
    lines = read_manifest(TREE_MANIFEST.encode()).rock_lines()
    assert lines[:3] == ["rock argparse 0.7.1-1", "rock busted 2.2.0-1", "rock inspect 3.1.1-0"]
    assert len(lines) == 13


def test_a_server_manifest_as_restybuild_writes_it(tmp_path: Path) -> None:
    spec = ('package = "foo-bar"\nversion = "1.2-1"\nsource = { url = "foo-bar-1.2.tar.gz" }\n'
            'build = { type = "builtin", modules = { ["foo.bar"] = "foo/bar.lua" } }\n')
    write_tree(tmp_path / "src", {"foo-bar-1.2-1.rockspec": spec, "foo/bar.lua": "return 1\n"})
    text = manifest_text([read_rock_dir(tmp_path / "src")])
    m = read_manifest(text.encode())
    assert [(r.name, r.version, r.arches, r.installed) for r in m.rocks] == [
        ("foo-bar", "1.2-1", ("src",), False)]
    assert m.rock_lines() == []
    make_server(tmp_path / "server", [tmp_path / "src"])
    assert read_manifest((tmp_path / "server/manifest").read_bytes()) == m


def test_entries_of_the_wrong_shape_are_skipped() -> None:
    m = read_manifest(b'repository = { a = { ["1-1"] = { 5, { arch = "installed" } } },'
                      b' b = "x", c = { ["1-1"] = f() } }\nmodules = 1\n')
    assert [(r.name, r.arches) for r in m.rocks] == [("a", ("installed",))]
    assert m.modules == {}


@pytest.mark.parametrize("source", [b"", b"modules = {}\n", b"repository = f()\n"])
def test_not_a_manifest(source: bytes) -> None:
    with pytest.raises(LuaDataError, match="no `repository` table"):
        read_manifest(source)


def test_a_broken_manifest_raises_with_its_place() -> None:
    with pytest.raises(LuaDataError) as err:
        read_manifest(TREE_MANIFEST.replace('"lpeg.so",', '"lpeg.so"').encode())
    assert err.value.line == TREE_MANIFEST[:TREE_MANIFEST.index('"lpeg.so",')].count("\n") + 1
