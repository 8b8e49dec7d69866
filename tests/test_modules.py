"""`module NAME`: the recipe's [modules] table, the resolver's refusals, the plan (a COPY
from the modules image and the `load_module` lines), bootstrap's filter and the facts."""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from restybuild import recipes
from restybuild.basefacts import flavor_facts
from restybuild.bootstrap import _only
from restybuild.errors import ConfigError, Span
from restybuild.model import Module
from restybuild.recipe_modules import parse
from restybuild.render import render_dockerfile
from tests.conftest import planned
from tests.test_resolve import HEAD, error, first_line, load, proj  # noqa: F401

CONF = "events {}\nhttp {\n    server {\n        location / { echo hi; }\n    }\n}\n"
ECHO = "/usr/lib/nginx/modules/ngx_http_echo_module.so"
MORE = "/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so"


def test_module_lines_resolve_to_the_recipes_packages(proj: Path) -> None:  # noqa: F811
    project = load(proj, HEAD + "module echo headers-more\nmodule stream\n")
    assert [(m.name, m.package, m.file) for m in project.modules] == [
        ("echo", "libnginx-mod-http-echo", ECHO),
        ("headers-more", "libnginx-mod-http-headers-more-filter", MORE),
        ("stream", "libnginx-mod-stream", "/usr/lib/nginx/modules/ngx_stream_module.so")]
    assert project.modules[0].span == Span("Restyfile", 3, 8, 3, 12)
    assert load(proj, HEAD).modules == ()


@pytest.mark.parametrize(("text", "line", "hint"), [
    ("module ecko\n", "Restyfile:3:8: error: the base recipe `debian-bookworm` has no module "
     "`ecko`", "did you mean `echo`? it has: cache-purge, echo, fancyindex, headers-more, mail, "
     "memc, set-misc, srcache, stream, subs-filter, uploadprogress, upstream-fair"),
    ("module echo\nmodule stream echo\n", "Restyfile:4:15: error: module `echo` is declared "
     "twice (first at Restyfile:3:8)", "declare it once"),
])
def test_module_refusals_name_the_place_and_say_what_to_do(
        proj: Path, text: str, line: str, hint: str) -> None:  # noqa: F811
    source = HEAD + text
    err = error(proj, source)
    assert first_line(err, source) == line
    assert err.hint == hint


def test_a_recipe_without_modules_refuses_the_statement(proj: Path,  # noqa: F811
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from restybuild.resolve import header

    real = header.base

    def bare(*args: object) -> object:
        base, flavor = real(*args)  # type: ignore[arg-type]
        return base, replace(flavor, modules=())

    monkeypatch.setattr(header, "base", bare)
    err = error(proj, HEAD + "module echo\n")
    assert first_line(err, HEAD + "module echo\n") == (
        "Restyfile:3:8: error: the base recipe `debian-bookworm` offers no modules to `module`")


def test_missing_name_is_a_syntax_error(proj: Path) -> None:  # noqa: F811
    from restybuild.errors import RestySyntaxError
    from restybuild.resolve import load_project

    (proj / "Restyfile").write_text(HEAD + "module\n")
    with pytest.raises(RestySyntaxError) as info:
        load_project("Restyfile")
    assert info.value.hint == "usage: module NAME ..."


def test_the_plan_copies_files_and_loads_them_after_the_recipes(proj: Path) -> None:  # noqa: F811
    load(proj, HEAD + "conf conf\nmodule headers-more echo\n", files={"conf/nginx.conf": CONF})
    bp = planned(proj / "Restyfile")
    assert bp.modules_image == "restybuild/debian-bookworm:modules"
    assert bp.module_files == (MORE, ECHO)
    lines = render_dockerfile(bp).splitlines()
    copy = f"COPY --from=restybuild/debian-bookworm:modules {MORE} {ECHO} /usr/lib/nginx/modules/"
    assert copy in lines
    # a base layer of its own, before the settings: an app edit never copies it again
    assert lines.index(copy) < next(i for i, x in enumerate(lines) if x.startswith("LABEL"))
    assert [args[0] for args in bp.effective.values("load_module")] == [
        "/usr/lib/nginx/modules/ndk_http_module.so",
        "/usr/lib/nginx/modules/ngx_http_lua_module.so", MORE, ECHO]


def test_a_load_module_line_of_the_conf_is_not_doubled(proj: Path) -> None:  # noqa: F811
    load(proj, HEAD + "conf conf\nmodule echo\n",
         files={"conf/nginx.conf": "load_module modules/ngx_http_echo_module.so;\n" + CONF})
    bp = planned(proj / "Restyfile")
    loads = [args[0] for args in bp.effective.values("load_module")]
    assert sum(x.endswith("ngx_http_echo_module.so") for x in loads) == 1
    assert bp.module_files == (ECHO,)


def test_a_module_compiled_into_the_base_adds_nothing(proj: Path) -> None:  # noqa: F811
    source = "name app\nbase openresty\nconf conf\nmodule echo stream\n"
    project = load(proj, source, files={"conf/nginx.conf": CONF})
    assert [(m.name, m.builtin) for m in project.modules] == [("echo", True), ("stream", True)]
    bp = planned(proj / "Restyfile")
    assert bp.module_files == () and bp.modules_image is None
    assert "--from=" not in render_dockerfile(bp).replace("--from=rocks", "")
    assert list(bp.effective.values("load_module")) == []
    assert Module("echo", "", "", project.modules[0].span).builtin


@pytest.mark.parametrize(("table", "message"), [
    ({"echo": {"package": "p"}}, "[modules.echo]: needs `package` and `file`"),
    ({"echo": {"package": "p", "file": "x.so"}}, "[modules.echo]: needs `package` and `file`"),
    ({"echo": {"builtin": True, "file": "/a.so"}}, "a builtin module has no `package` or `file`"),
    ({"echo": {"builtin": True, "version": "1"}}, "[modules.echo]: unknown key(s) `version`"),
    ({"echo": {"builtin": "yes"}}, "`builtin` a boolean"),
    ({"echo": "libnginx-mod-http-echo"}, "[modules.echo]: must be a table"),
])
def test_a_broken_modules_table_is_refused_naming_the_entry(table: dict[str, object],
                                                            message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(table, Path("r.toml"))
    assert message in str(info.value)


def test_a_recipe_with_packaged_modules_names_their_image(tmp_path: Path) -> None:
    text = Path(recipes.recipe_path("debian-bookworm")).read_text(encoding="utf-8")
    path = tmp_path / "debian-bookworm.toml"
    text = "\n".join(line for line in text.splitlines()  # the snapshots are not beside it
                     if not line.startswith(("library_index", "base_facts", "modules_tag")))
    path.write_text(text)
    with pytest.raises(ConfigError, match="name the image their files go to"):
        recipes.load_recipe_file(path)


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            if name.endswith("/"):
                info.type, info.name = tarfile.DIRTYPE, name.rstrip("/")
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_bootstrap_keeps_only_the_module_files(tmp_path: Path) -> None:
    src = tmp_path / "rootfs.tar"
    src.write_bytes(_tar({"./usr/": b"", "./usr/lib/": b"", "./usr/lib/nginx/": b"",
                          "./usr/lib/nginx/modules/": b"", "./usr/sbin/": b"",
                          "./usr/sbin/nginx": b"ELF", "./usr/lib/nginx/modules/a.so": b"A",
                          "./usr/lib/nginx/modules/b.so": b"B", "./etc/passwd": b"root"}))
    out = _only(str(src), frozenset({"/usr/lib/nginx/modules/a.so"}), str(tmp_path / "o.tar"))
    with tarfile.open(out) as tar:
        assert tar.getnames() == ["./usr", "./usr/lib", "./usr/lib/nginx",
                                  "./usr/lib/nginx/modules", "./usr/lib/nginx/modules/a.so"]
        member = tar.extractfile("./usr/lib/nginx/modules/a.so")
        assert member is not None and member.read() == b"A"
    with pytest.raises(ConfigError, match=r"installed no /usr/lib/nginx/modules/c\.so"):
        _only(str(src), frozenset({"/usr/lib/nginx/modules/c.so"}), str(tmp_path / "p.tar"))


def test_the_shipped_facts_know_every_packaged_module_and_its_directives() -> None:
    flavor = recipes.load("debian-bookworm").flavor(None, None)
    facts = flavor_facts(flavor)
    assert facts is not None
    packaged = {m.file for m in flavor.modules if m.file}
    assert set(facts.offered) == packaged
    for file in packaged:  # each was read by the ngx_command_t reader
        assert any(source == file for _n, source, _c in facts.directives), file
    assert facts.providers("echo") == (ECHO,)
    assert facts.known("echo", (ECHO,)) and not facts.known("echo", flavor.load_modules)
    assert not set(facts.offered) & set(facts.dynamic_modules)
    json.dumps(facts.to_json())


def test_explain_shows_the_modules_layer_below_the_app(proj: Path) -> None:  # noqa: F811
    from restybuild.explain import planned_layers

    project = load(proj, HEAD + "conf conf\nmodule echo\n", files={"conf/nginx.conf": CONF})
    notes = planned_layers(project, planned(proj / "Restyfile"))
    assert [n.name for n in notes] == ["modules", "conf"]
    assert notes[0].instruction == ("COPY --from=restybuild/debian-bookworm:modules (1 files) "
                                    "/usr/lib/nginx/modules/")
    assert notes[0].invalidated_by[0] == "`module echo` (Restyfile:4)"


def test_base_list_names_the_modules(capsys: pytest.CaptureFixture[str]) -> None:
    from restybuild.cli import main

    assert main(["base", "list"]) == 0
    out = capsys.readouterr().out
    assert ("  modules (packaged, `module NAME`): cache-purge, echo, fancyindex, headers-more, "
            "mail, memc, set-misc, srcache, stream, subs-filter, uploadprogress, "
            "upstream-fair\n") in out
    assert "  modules (compiled in, `module NAME`): echo, headers-more, mail," in out
