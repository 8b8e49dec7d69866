"""Base recipes: every shipped recipe loads, and schema violations are reported by key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from restybuild.errors import ConfigError
from restybuild.recipes import LIBCS, PACKAGE_MANAGERS, Recipe, load_recipe_file, recipes_dir

SHIPPED = sorted(recipes_dir().glob("*.toml"))

OPENRESTY_FLAVORS = (
    "bookworm",
    "bookworm-fat",
    "bullseye-fat",
    "alpine",
    "alpine-fat",
    "alpine-slim",
    "jammy",
    "noble",
    "rocky",
    "fedora",
    "alma",
    "centos",
    "centos7",
    "amzn2",
)

# A valid one-flavor recipe; the schema tests break one thing at a time.
VALID = """\
schema = 1
name = "{name}"
summary = "test recipe"
default_flavor = "main"
default_version = "1.0"

[flavors.main]
image = "example/base:{{version}}-{{flavor}}"
builder_image = "example/base:{{version}}-{{flavor}}-fat"
libc = "glibc"
package_manager = "apt"
prefix = "/usr/local/nginx"
nginx = "/usr/local/nginx/sbin/nginx"
"""


def _write(tmp_path: Path, text: str, name: str = "broken") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _valid(name: str = "broken") -> str:
    return VALID.format(name=name)


def _openresty() -> Recipe:
    return load_recipe_file(recipes_dir() / "openresty.toml")


# --- shipped recipes -------------------------------------------------------


def test_recipes_are_shipped() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"debian-bookworm", "openresty"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_recipe_loads_and_every_flavor_resolves(path: Path) -> None:
    recipe = load_recipe_file(path)
    assert recipe.name == path.stem
    assert recipe.default_flavor in recipe.flavors
    assert recipe.default_version, "a shipped recipe needs a default version"
    if recipe.version_pattern:
        assert re.fullmatch(recipe.version_pattern, recipe.default_version)
    for fname in recipe.flavors:
        flavor = recipe.flavor(fname, None)
        assert flavor.name == fname
        assert flavor.version == recipe.default_version
        assert "{" not in flavor.image and "{" not in flavor.builder_image
        assert flavor.libc in LIBCS
        assert flavor.package_manager in PACKAGE_MANAGERS
        assert flavor.prefix.startswith("/")
        assert flavor.nginx.startswith("/")
        assert all(m.startswith("/") for m in flavor.load_modules)
        assert all(d.startswith("/") for d in flavor.lualib)
        assert flavor.stop_signal == "SIGQUIT"


def test_default_flavor_resolves_without_arguments() -> None:
    recipe = _openresty()
    flavor = recipe.flavor(None, None)
    assert flavor.name == recipe.default_flavor == "bookworm"
    assert flavor.version == recipe.default_version


# --- the openresty recipe --------------------------------------------------


def test_openresty_has_the_documented_flavors() -> None:
    assert set(OPENRESTY_FLAVORS) <= set(_openresty().flavors)


def test_openresty_bookworm_tag() -> None:
    flavor = _openresty().flavor("bookworm", "1.21.4.3")
    assert flavor.image == "openresty/openresty:1.21.4.3-bookworm"
    assert flavor.builder_image == "openresty/openresty:1.21.4.3-bookworm-fat"
    assert flavor.label == "openresty:1.21.4.3-bookworm"
    assert flavor.libc == "glibc"
    assert flavor.libc_version == "2.36"
    assert flavor.package_manager == "apt"
    assert flavor.prefix == "/usr/local/openresty/nginx"
    assert flavor.nginx == "/usr/bin/openresty"
    assert flavor.luarocks == "/usr/local/openresty/luajit/bin/luarocks"
    assert flavor.load_modules == ()
    assert flavor.lualib == ("/usr/local/openresty/site/lualib", "/usr/local/openresty/lualib")


def test_openresty_pinned_image_revision() -> None:
    flavor = _openresty().flavor("alpine", "1.21.4.3-0")
    assert flavor.image == "openresty/openresty:1.21.4.3-0-alpine"
    assert flavor.builder_image == "openresty/openresty:1.21.4.3-0-alpine-fat"
    assert flavor.libc == "musl"
    assert flavor.libc_version == ""
    assert flavor.nginx == "/usr/local/openresty/bin/openresty"


@pytest.mark.parametrize("version", ["1.21", "1.21.4", "latest", "1.21.4.3-bookworm", "v1.21.4.3"])
def test_openresty_rejects_versions_that_are_not_releases(version: str) -> None:
    with pytest.raises(ConfigError, match="is not a version of `openresty`"):
        _openresty().flavor("bookworm", version)


def test_openresty_builders_have_luarocks() -> None:
    recipe = _openresty()
    fat = {"bookworm": "bookworm-fat", "alpine": "alpine-fat", "alpine-slim": "alpine-fat"}
    for fname in recipe.flavors:
        flavor = recipe.flavor(fname, "1.21.4.3")
        expected = fat.get(fname, fname)
        assert flavor.builder_image == f"openresty/openresty:1.21.4.3-{expected}"
        assert flavor.luarocks == "/usr/local/openresty/luajit/bin/luarocks"


def test_openresty_unknown_flavor_hint() -> None:
    with pytest.raises(ConfigError) as info:
        _openresty().flavor("bookwrom", None)
    assert "no flavor `bookwrom`" in info.value.message
    assert info.value.hint == "did you mean `bookworm`?"


def test_unknown_flavor_without_close_match_has_no_hint() -> None:
    with pytest.raises(ConfigError) as info:
        _openresty().flavor("windows-nanoserver-ltsc", None)
    assert info.value.hint is None


# --- schema violations -----------------------------------------------------


def test_the_valid_template_loads(tmp_path: Path) -> None:
    recipe = load_recipe_file(_write(tmp_path, _valid()))
    flavor = recipe.flavor(None, None)
    assert flavor.image == "example/base:1.0-main"
    assert flavor.builder_image == "example/base:1.0-main-fat"


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('default_flavor = "main"\n', "", "missing key `default_flavor`"),
        ('summary = "test recipe"\n', "", "missing key `summary`"),
        ('libc = "glibc"\n', "", "missing key `libc`"),
        ('image = "example/base:{version}-{flavor}"\n', "", "missing key `image`"),
        ("schema = 1\n", 'schema = "1"\n', "`schema` must be a int"),
        ("schema = 1\n", "schema = true\n", "`schema` must be a int"),
        ('libc = "glibc"\n', 'libc = ["glibc"]\n', "`libc` must be a str"),
        (
            'libc = "glibc"\n',
            'libc = "glibc"\nlualib = "/usr/lib/lua"\n',
            "`lualib` must be a list",
        ),
        (
            'libc = "glibc"\n',
            'libc = "glibc"\nluarocks_vars = ["A=B"]\n',
            "`luarocks_vars` must be a dict",
        ),
        ("schema = 1\n", 'schema = 1\nauthor = "me"\n', "unknown key(s) `author`"),
        ('libc = "glibc"\n', 'libc = "glibc"\nentrypoint = "x"\n', "unknown key(s) `entrypoint`"),
        ('libc = "glibc"\n', 'libc = "uclibc"\n', "libc must be one of glibc, musl"),
        ('package_manager = "apt"\n', 'package_manager = "pacman"\n', "package_manager must be"),
        (
            'prefix = "/usr/local/nginx"\n',
            'prefix = "usr/local/nginx"\n',
            "`prefix` must be an absolute path",
        ),
        (
            'nginx = "/usr/local/nginx/sbin/nginx"\n',
            'nginx = "sbin/nginx"\n',
            "`nginx` must be an absolute path",
        ),
        ('default_flavor = "main"\n', 'default_flavor = "other"\n', "default_flavor `other`"),
        ("schema = 1\n", "schema = 2\n", "unsupported recipe schema 2"),
    ],
)
def test_schema_violation_names_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = _valid()
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_recipe_file(path)
    assert key in info.value.message
    assert str(path) in info.value.message


def test_flavor_table_error_names_the_flavor(tmp_path: Path) -> None:
    path = _write(tmp_path, _valid().replace('libc = "glibc"\n', ""))
    with pytest.raises(ConfigError, match=re.escape("[flavors.main]")):
        load_recipe_file(path)


def test_flavors_must_be_a_table(tmp_path: Path) -> None:
    text = _valid().split("[flavors.main]")[0] + "flavors = 3\n"
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="`flavors` must be a dict"):
        load_recipe_file(path)


def test_flavor_that_is_not_a_table(tmp_path: Path) -> None:
    text = _valid().split("[flavors.main]")[0] + "flavors = { main = 3 }\n"
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=re.escape("[flavors.main]: must be a table")):
        load_recipe_file(path)


def test_name_must_match_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, _valid(name="something-else"), name="broken")
    with pytest.raises(ConfigError) as info:
        load_recipe_file(path)
    assert "`name` must be the file's name, `broken`" in info.value.message


def test_invalid_toml(tmp_path: Path) -> None:
    path = _write(tmp_path, _valid() + "this is = = not toml\n")
    with pytest.raises(ConfigError) as info:
        load_recipe_file(path)
    assert "invalid TOML" in info.value.message
    assert str(path) in info.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read recipe"):
        load_recipe_file(tmp_path / "nowhere.toml")


# --- flavors that extend another --------------------------------------------


def test_a_flavor_extends_another_and_overrides_keys(tmp_path: Path) -> None:
    text = _valid() + ('\n[flavors.slim]\nextends = "main"\nlibc = "musl"\n'
                       'package_manager = "apk"\n'
                       '\n[flavors.tiny]\nextends = "slim"\nnginx = "/usr/sbin/nginx"\n')
    recipe = load_recipe_file(_write(tmp_path, text))
    tiny = recipe.flavor("tiny", None)
    assert (tiny.image, tiny.libc, tiny.package_manager, tiny.nginx, tiny.prefix) == (
        "example/base:1.0-tiny", "musl", "apk", "/usr/sbin/nginx", "/usr/local/nginx")
    assert recipe.flavor("main", None).libc == "glibc"


@pytest.mark.parametrize(("extra", "message"), [
    ('\n[flavors.a]\nextends = "b"\n[flavors.b]\nextends = "a"\n',
     "[flavors.a]: `extends` goes round in a circle: a -> b -> a"),
    ('\n[flavors.a]\nextends = "nope"\n',
     "[flavors.a]: extends `nope`, which is not a flavor of this recipe"),
    ('\n[flavors.a]\nextends = 3\n', "[flavors.a]: `extends` must be a str"),
])
def test_a_bad_extends_is_named(tmp_path: Path, extra: str, message: str) -> None:
    path = _write(tmp_path, _valid() + extra)
    with pytest.raises(ConfigError) as e:
        load_recipe_file(path)
    assert e.value.message == f"{path} {message}"


def test_openresty_flavors_inherit_what_they_share() -> None:
    recipe = _openresty()
    text = Path(recipe.path).read_text()
    assert text.count("extends = ") == 12
    assert text.count("package_manager = ") <= 6  # not once per flavor
    fat = recipe.flavor("bullseye-fat", "1.21.4.3")
    assert (fat.luarocks, fat.libc_version, fat.prefix, fat.image) == (
        "/usr/local/openresty/luajit/bin/luarocks", "2.31", "/usr/local/openresty/nginx",
        "openresty/openresty:1.21.4.3-bullseye-fat")


def test_a_recipe_holds_no_untyped_value() -> None:
    import dataclasses

    from restybuild import recipes

    for cls in (recipes.Recipe, recipes.FlavorSpec, recipes.Flavor, recipes.Bootstrap):
        for f in dataclasses.fields(cls):
            assert "Any" not in str(f.type), (cls.__name__, f.name, f.type)
