"""Resolving a parsed Restyfile: semantic errors with exact `file:line:col` lines, and the model.

Each test writes a Restyfile (and the folders it names) into `tmp_path` and
loads it from there as the current folder, so spans read `Restyfile:LINE:COL`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from restybuild.errors import ConfigError, RestyError, RestySyntaxError, Span
from restybuild.model import (
    Copy,
    EnvVar,
    Metrics,
    Native,
    Probe,
    Project,
    Resources,
    Rock,
    SharedDict,
    SystemPackage,
)
from restybuild.resolve import load_project
from tests.test_parser import EXAMPLE

HEAD = "name app\nbase debian-bookworm\n"
NGINX_CONF = "events {\n}\nhttp {\n}\n"


@pytest.fixture()
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder, made the current folder."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def make(root: Path, restyfile: str, *, dirs: tuple[str, ...] = (),
         files: dict[str, str] | None = None) -> None:
    for d in dirs:
        (root / d).mkdir(parents=True, exist_ok=True)
    for rel, text in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "Restyfile").write_text(restyfile, encoding="utf-8")


def load(root: Path, restyfile: str, *, dirs: tuple[str, ...] = (),
         files: dict[str, str] | None = None) -> Project:
    make(root, restyfile, dirs=dirs, files=files)
    return load_project("Restyfile")


def error(root: Path, restyfile: str, *, dirs: tuple[str, ...] = (),
          files: dict[str, str] | None = None) -> ConfigError:
    make(root, restyfile, dirs=dirs, files=files)
    with pytest.raises(ConfigError) as info:
        load_project("Restyfile")
    return info.value


def first_line(err: RestyError, source: str) -> str:
    return err.render(source).splitlines()[0]


# -- semantic errors, one exact first line each -----------------------------------------------

CASES: list[tuple[str, str, tuple[str, ...], str]] = [
    # (id, Restyfile, folders to create, expected first line)
    ("dotdot-escapes", HEAD + "lua ../x -> lua\n", (),
     "Restyfile:3:5: error: `../x` leaves the project folder"),
    ("dotdot-inside-escapes", HEAD + "lua a/../../x -> lua\n", ("a",),
     "Restyfile:3:5: error: `a/../../x` leaves the project folder"),
    ("absolute-source", HEAD + "lua /etc -> lua\n", (),
     "Restyfile:3:5: error: `/etc` is absolute; paths on the left of `->` are relative to the "
     "Restyfile's folder"),
    ("home-source", HEAD + "conf ~/conf\n", (),
     "Restyfile:3:6: error: `~/conf` is absolute; paths on the left of `->` are relative to the "
     "Restyfile's folder"),
    ("missing-folder", HEAD + "lua src -> lua\n", (),
     "Restyfile:3:5: error: `src` does not exist"),
    ("missing-conf-folder", HEAD + "conf conf\n", (),
     "Restyfile:3:6: error: `conf` does not exist"),
    ("conf-without-nginx-conf", HEAD + "conf conf\n", ("conf",),
     "Restyfile:3:6: error: `conf` has no nginx.conf"),
    ("native-is-a-folder", HEAD + "native lib -> lua\n", ("lib",),
     "Restyfile:3:8: error: `lib` is not a file"),
    ("dotdot-destination", HEAD + "lua src -> ../x\n", ("src",),
     "Restyfile:3:12: error: `../x` may not contain `..`"),
    ("unknown-recipe", "name app\nbase debian-bookwrm\n", (),
     "Restyfile:2:6: error: unknown base recipe `debian-bookwrm`"),
    ("unknown-flavor", "name app\nbase openresty 1.21.4.3 bookwrm\n", (),
     "Restyfile:2:25: error: recipe `openresty` has no flavor `bookwrm`; it has: bookworm, "
     "bookworm-fat, bullseye-fat, alpine, alpine-fat, alpine-slim, jammy, noble, rocky, "
     "fedora, alma, centos, centos7, amzn2"),
    ("bad-version-pattern", "name app\nbase openresty 1.21 bookworm\n", (),
     "Restyfile:2:16: error: `1.21` is not a version of `openresty` (expected something like "
     "1.31.1.1)"),
    ("bad-version-listed", "name app\nbase debian-bookworm 11\n", (),
     "Restyfile:2:22: error: recipe `debian-bookworm` has no version `11`; known: 12"),
    ("bad-digest", "name app\nbase image reg.example/app:1 recipe openresty digest sha256:0123\n",
     (), "Restyfile:2:54: error: `sha256:0123` is not a digest"),
    ("duplicate-name", "name app\nname other\nbase debian-bookworm\n", (),
     "Restyfile:2:1: error: `name` is declared twice; the first is at Restyfile:1:1"),
    ("duplicate-base", HEAD + "base image reg.example/app:1 recipe openresty\n", (),
     "Restyfile:3:1: error: `base` is declared twice; the first is at Restyfile:2:1"),
    ("invalid-name", "name My_App\nbase debian-bookworm\n", (),
     "Restyfile:1:6: error: `My_App` is not a valid name"),
    ("duplicate-shared-dict", HEAD + "shared_dict hits 1m\nshared_dict hits 2m\n", (),
     "Restyfile:4:13: error: shared dict `hits` is declared twice; the first is at "
     "Restyfile:3:13"),
    ("size-150q", HEAD + "shared_dict hits 150q\n", (),
     "Restyfile:3:18: error: `150q` is not a size"),
    ("dict-4k", HEAD + "shared_dict hits 4k\n", (),
     "Restyfile:3:18: error: shared dict `hits` is too small (4k)"),
    ("dict-8191-bytes", HEAD + "shared_dict hits 8191\n", (),
     "Restyfile:3:18: error: shared dict `hits` is too small (8191)"),
    ("dict-bad-name", HEAD + "shared_dict my-dict 1m\n", (),
     "Restyfile:3:13: error: `my-dict` is not a valid shared dict name"),
    ("workers-auto", HEAD + "workers auto\n", (),
     "Restyfile:3:9: error: `workers auto` counts the node's CPUs, not the container's limit"),
    ("workers-cpu-without-resources", HEAD + "workers cpu\n", (),
     "Restyfile:3:9: error: `workers cpu` needs a CPU limit"),
    ("workers-cpu-with-request-only",
     HEAD + "workers cpu\nresources {\n    request cpu 1\n}\n", (),
     "Restyfile:3:9: error: `workers cpu` needs a CPU limit"),
    ("workers-zero", HEAD + "workers 0\n", (),
     "Restyfile:3:9: error: `0` is not a worker count"),
    ("request-above-limit-cpu",
     HEAD + "resources {\n    request cpu 2 memory 128Mi\n    limit cpu 1 memory 256Mi\n}\n", (),
     "Restyfile:3:1: error: the cpu request is above the cpu limit"),
    ("request-above-limit-memory",
     HEAD + "resources {\n    request memory 1Gi\n    limit memory 512Mi\n}\n", (),
     "Restyfile:3:1: error: the memory request is above the memory limit"),
    ("resource-given-twice", HEAD + "resources {\n    limit cpu 1 cpu 2\n}\n", (),
     "Restyfile:4:21: error: `limit cpu` is given twice"),
    ("cpu-zero", HEAD + "resources {\n    limit cpu 0\n}\n", (),
     "Restyfile:4:15: error: `0` is not a cpu quantity"),
    ("unknown-probe-kind", HEAD + "probe readyness http /ready port 80\n", (),
     "Restyfile:3:7: error: unknown probe kind `readyness`"),
    ("unknown-probe-type", HEAD + "probe liveness tcp /healthz port 80\n", (),
     "Restyfile:3:16: error: unknown probe type `tcp`"),
    ("probe-without-port", HEAD + "probe liveness http /healthz\n", (),
     "Restyfile:3:1: error: the probe has no `port`"),
    ("probe-port-70000", HEAD + "probe liveness http /healthz port 70000\n", (),
     "Restyfile:3:35: error: `70000` is not a port"),
    ("probe-path-not-absolute", HEAD + "probe liveness http healthz port 80\n", (),
     "Restyfile:3:21: error: `healthz` is not a URL path"),
    ("probe-option-it-lacks", HEAD + "probe liveness http /healthz port 80 path /x\n", (),
     "Restyfile:3:38: error: `probe` takes no `path`"),
    ("probe-twice", HEAD + "probe liveness http /a port 80\nprobe liveness http /b port 80\n", (),
     "Restyfile:4:1: error: the liveness probe is declared twice; the first is at Restyfile:3:1"),
    ("expose-70000", HEAD + "expose 80 70000\n", (),
     "Restyfile:3:11: error: `70000` is not a port"),
    ("metrics-without-port", HEAD + "metrics prometheus path /metrics\n", (),
     "Restyfile:3:1: error: `metrics` has no `port`"),
    ("env-without-equals", HEAD + "env TZ\n", (),
     "Restyfile:3:5: error: `TZ` is not NAME=VALUE"),
    ("env-bad-key", HEAD + "env 1TZ=UTC\n", (),
     "Restyfile:3:5: error: `1TZ=UTC` is not NAME=VALUE"),
    ("env-name-then-string", HEAD + 'env TZ "UTC"\n', (),
     "Restyfile:3:8: error: `env` takes one NAME=VALUE"),
    ("env-tab-in-quoted-value", HEAD + 'env GREETING="a\tb"\n', (),
     "Restyfile:3:5: error: the value of `GREETING` contains a control character"),
    ("env-twice", HEAD + "env TZ=UTC\nenv TZ=CET\n", (),
     "Restyfile:4:5: error: `TZ` is set twice; the first is at Restyfile:3:5"),
    ("rock-without-version", HEAD + "rocks -> luarocks {\n    rock penlight\n}\n", (),
     "Restyfile:4:10: error: rock `penlight` has no version; rocks are pinned"),
    ("rock-version-without-revision", HEAD + "rocks -> luarocks {\n    rock penlight 1.13.1\n}\n",
     (), "Restyfile:4:19: error: `1.13.1` is not a rock version"),
    ("rockspec-with-version",
     HEAD + "rocks -> luarocks {\n    rock x-1.0-1.rockspec 1.0-1\n}\n", (),
     "Restyfile:4:27: error: a rock given by file takes no version"),
    ("rockspec-missing", HEAD + "rocks -> luarocks {\n    rock rocks/x-1.0-1.rockspec\n}\n", (),
     "Restyfile:4:10: error: `rocks/x-1.0-1.rockspec` does not exist"),
    ("rock-twice", HEAD + "rocks -> luarocks {\n    rock a 1-1\n    rock a 2-1\n}\n", (),
     "Restyfile:5:5: error: rock `a` is declared twice; the first is at Restyfile:4:5"),
    ("server-url-scheme", HEAD + "rocks -> luarocks {\n    server ftp://mirror/rocks\n}\n", (),
     "Restyfile:4:12: error: `ftp://mirror/rocks` is not a server URL restybuild accepts"),
    ("system-package-name", HEAD + "rocks -> luarocks {\n    system LibFoo-dev\n}\n", (),
     "Restyfile:4:12: error: `LibFoo-dev` is not a package name"),
    ("apt-removal-suffix", HEAD + "rocks -> luarocks {\n    system libssl3-\n}\n", (),
     "Restyfile:4:12: error: `libssl3-` is not a package name"),
    ("workers-superscript", HEAD + "workers \u00b2\n", (),
     "Restyfile:3:9: error: `\u00b2` is not a worker count"),
    ("workers-fullwidth", HEAD + "workers \uff12\n", (),
     "Restyfile:3:9: error: `\uff12` is not a worker count"),
    ("expose-superscript", HEAD + "expose \u00b2\n", (),
     "Restyfile:3:8: error: `\u00b2` is not a port"),
    ("port-arabic-indic", HEAD + "probe readiness http /r port \u0663\n", (),
     "Restyfile:3:30: error: `\u0663` is not a port"),
    ("size-309-digits", HEAD + "shared_dict d " + "9" * 309 + "m\n", (),
     "Restyfile:3:15: error: `" + "9" * 309 + "m` is not a size"),
    ("workers-4300-digits", HEAD + "workers " + "7" * 4300 + "\n", (),
     "Restyfile:3:9: error: `" + "7" * 4300 + "` is not a worker count"),
    ("memory-400-digits", HEAD + "resources {\n    limit memory " + "5" * 400 + "Mi\n}\n", (),
     "Restyfile:4:18: error: `" + "5" * 400 + "Mi` is not a memory quantity"),
    ("restyfile-version-2", "restyfile 2\n" + HEAD, (),
     "Restyfile:1:11: error: unknown Restyfile version `2`"),
    ("missing-name", "restyfile 1\nbase debian-bookworm\n", (),
     "Restyfile:1:1: error: the Restyfile has no `name`"),
    ("missing-base", "restyfile 1\nname app\n", (),
     "Restyfile:1:1: error: the Restyfile has no `base`"),
    ("relative-prefix", HEAD + "prefix nginx\n", (),
     "Restyfile:3:8: error: prefix `nginx` must be an absolute path"),
    ("same-destination-twice", HEAD + "lua a -> lua\nlua b -> lua\n", ("a", "b"),
     "Restyfile:4:1: error: `/usr/share/nginx/lua` is the destination of two statements; the "
     "other is at Restyfile:3:1"),
    ("lua-and-rocks-same-destination", HEAD + "lua a -> lua\nrocks -> lua {\n}\n", ("a",),
     "Restyfile:4:1: error: `/usr/share/nginx/lua` is the destination of two statements; the "
     "other is at Restyfile:3:1"),
    ("absolute-and-relative-same-destination",
     HEAD + "lua a -> lua\nlua b -> /usr/share/nginx/lua/\n", ("a", "b"),
     "Restyfile:4:1: error: `/usr/share/nginx/lua` is the destination of two statements; the "
     "other is at Restyfile:3:1"),
]


@pytest.mark.parametrize(("restyfile", "dirs", "expected"),
                         [(r, d, e) for _i, r, d, e in CASES], ids=[c[0] for c in CASES])
def test_semantic_error_first_line(proj: Path, restyfile: str, dirs: tuple[str, ...],
                                   expected: str) -> None:
    err = error(proj, restyfile, dirs=dirs)
    assert first_line(err, restyfile) == expected
    assert err.exit_code == 4  # Exit.CONFIG


def test_unknown_recipe_suggests_the_closest(proj: Path) -> None:
    err = error(proj, "name app\nbase debian-bookwrm\n")
    assert err.hint is not None
    assert err.hint.startswith("did you mean `debian-bookworm`?")


def test_unknown_flavor_suggests_the_closest(proj: Path) -> None:
    err = error(proj, "name app\nbase openresty 1.21.4.3 bookwrm\n")
    assert err.hint == "did you mean `bookworm`?"


def test_unknown_probe_kind_suggests_the_closest(proj: Path) -> None:
    err = error(proj, HEAD + "probe readyness http /ready port 80\n")
    assert err.hint == "did you mean `readiness`? kinds: liveness, readiness, startup"


def test_a_symlinked_conf_folder_pointing_outside_is_refused(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "nginx.conf").write_text(NGINX_CONF, encoding="utf-8")
    root = tmp_path / "project"
    root.mkdir()
    os.symlink(elsewhere, root / "conf")
    monkeypatch.chdir(root)
    src = HEAD + "conf conf\n"
    err = error(root, src)
    assert first_line(err, src) == (
        "Restyfile:3:6: error: `conf` is a symlink that points outside the project folder "
        f"(to {elsewhere.resolve()})")


def test_a_symlink_deeper_in_the_path_pointing_outside_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "lua").mkdir(parents=True)
    root = tmp_path / "project"
    (root / "vendor").mkdir(parents=True)
    os.symlink(elsewhere, root / "vendor" / "shared")
    monkeypatch.chdir(root)
    src = HEAD + "lua vendor/shared/lua -> lua\n"
    err = error(root, src)
    assert first_line(err, src) == (
        "Restyfile:3:5: error: `vendor/shared/lua` is a symlink that points outside the project "
        f"folder (to {(elsewhere / 'lua').resolve()})")


def test_a_symlink_inside_the_project_is_followed(proj: Path) -> None:
    (proj / "real-conf").mkdir()
    (proj / "real-conf" / "nginx.conf").write_text(NGINX_CONF, encoding="utf-8")
    os.symlink("real-conf", proj / "conf")
    p = load(proj, HEAD + "conf conf\n")
    assert p.conf is not None
    assert p.conf.src == "conf"


def test_a_newline_cannot_enter_a_quoted_env_value(proj: Path) -> None:
    src = HEAD + 'env A="x\ny"\n'
    make(proj, src)
    with pytest.raises(RestySyntaxError) as info:
        load_project("Restyfile")
    assert first_line(info.value, src) == "Restyfile:3:7: error: unterminated string"


def test_only_quote_and_backslash_are_escapes_in_a_quoted_value(proj: Path) -> None:
    # `\"` and `\\` are escapes; any other backslash stays as written (`C:\temp`)
    p = load(proj, HEAD + 'env A="a\\tb"\nenv B="say \\"hi\\""\n')
    assert p.env == (
        EnvVar("A", "a\\tb", p.env[0].span),
        EnvVar("B", 'say "hi"', p.env[1].span),
    )


def test_a_file_that_is_not_utf8_is_refused(proj: Path) -> None:
    (proj / "Restyfile").write_bytes(b"name app\nbase debian-bookworm\nenv A=\xff\n")
    with pytest.raises(RestySyntaxError) as info:
        load_project("Restyfile")
    assert str(info.value.span) == "Restyfile:3:1"
    assert info.value.message == "the file is not UTF-8 text"


# -- workers and resources ---------------------------------------------------------------------

@pytest.mark.parametrize(("limit", "workers"), [("1500m", 2), ("1", 1), ("2", 2), ("100m", 1),
                                                ("2001m", 3), ("1.5", 2)])
def test_workers_cpu_is_the_cpu_limit_rounded_up(proj: Path, limit: str, workers: int) -> None:
    p = load(proj, HEAD + f"workers cpu\nresources {{\n    limit cpu {limit}\n}}\n")
    assert p.workers is not None
    assert (p.workers.count, p.workers.from_cpu) == (workers, True)


def test_a_request_equal_to_the_limit_is_fine(proj: Path) -> None:
    p = load(proj, HEAD + "resources {\n    request cpu 1 memory 1Gi\n"
                          "    limit cpu 1000m memory 1024Mi\n}\n")
    assert p.resources is not None
    assert (p.resources.request_cpu, p.resources.limit_cpu) == (1000, 1000)
    assert p.resources.request_memory == p.resources.limit_memory == 1024**3


def test_an_8k_dict_is_the_smallest_accepted(proj: Path) -> None:
    p = load(proj, HEAD + "shared_dict hits 8k\n")
    assert [(d.name, d.size, d.size_text) for d in p.shared_dicts] == [("hits", 8192, "8k")]


def test_quoted_env_values(proj: Path) -> None:
    p = load(proj, HEAD + 'env NAME="a b"\nenv "OTHER=c d"\nenv PRICE=$5\nenv EMPTY=\n')
    assert [(e.key, e.value) for e in p.env] == [
        ("NAME", "a b"), ("OTHER", "c d"), ("PRICE", "$5"), ("EMPTY", "")]


# -- the model of a full, valid Restyfile -------------------------------------------------------

#: The language page's example (see tests/test_parser.py), with the files it names.
FULL_FILES = {
    "nginx/conf/nginx.conf": NGINX_CONF,
    "nginx/lua/app.lua": "return {}\n",
    "nginx/lua_lib/lib.lua": "return {}\n",
    "lib/binary_protocol.so": "not really an ELF file; resolve does not read it\n",
    "vendor/lib/.keep": "",
    "vendor/rocks/manifest": "repository = {}\n",
    "rocks/mmdblua-0.2-0.rockspec": 'package = "mmdblua"\n',
}


def test_the_full_example_resolves_to_the_expected_model(proj: Path) -> None:
    p = load(proj, EXAMPLE, files=FULL_FILES)
    f = "Restyfile"
    prefix = "/usr/local/openresty/nginx"
    assert p.restyfile == f
    assert p.root == str(proj.resolve())
    assert (p.version, p.name) == (1, "adserver")
    assert (p.base.recipe, p.base.version, p.base.flavor, p.base.image, p.base.digest) == (
        "openresty", "1.21.4.3", "bookworm", None, None)
    assert p.flavor.image == "openresty/openresty:1.21.4.3-bookworm"
    assert p.flavor.builder_image == "openresty/openresty:1.21.4.3-bookworm-fat"
    assert p.runtime_image == "openresty/openresty:1.21.4.3-bookworm"
    assert p.prefix == prefix
    assert p.conf is not None
    assert (p.conf.src, p.conf.dst) == ("nginx/conf", f"{prefix}/conf")
    assert [(c.src, c.dst) for c in p.lua] == [
        ("nginx/lua", f"{prefix}/lua"), ("nginx/lua_lib", f"{prefix}/lua_lib")]
    assert [(n.src, n.dst, n.search) for n in p.natives] == [
        ("lib/binary_protocol.so", f"{prefix}/lua", ("vendor/lib",))]
    assert p.rocks is not None
    assert (p.rocks.tree, p.rocks.server, p.rocks.server_is_url) == (
        f"{prefix}/luarocks", "vendor/rocks", False)
    assert [(r.name, r.version, r.path) for r in p.rocks.rocks] == [
        ("lua-cjson", "2.1.0.10-1", None),
        ("penlight", "1.13.1-1", None),
        ("lua-resty-http", "0.17.1-0", None),
        (None, None, "rocks/mmdblua-0.2-0.rockspec"),
    ]
    assert [r.label for r in p.rocks.rocks][-1] == "rocks/mmdblua-0.2-0.rockspec"
    assert [(s.build, s.runtime) for s in p.rocks.system] == [
        ("libmaxminddb-dev", "libmaxminddb0")]
    assert [(d.name, d.size, d.size_text) for d in p.shared_dicts] == [
        ("monitor_status", 150 * 1024**2, "150m"), ("prometheus_metrics", 10 * 1024**2, "10m")]
    assert p.workers is not None
    assert (p.workers.count, p.workers.from_cpu) == (4, False)
    assert p.resources is not None
    assert (p.resources.request_cpu, p.resources.request_memory,
            p.resources.limit_cpu, p.resources.limit_memory) == (
        1000, 512 * 1024**2, 2000, 1024**3)
    assert [(x.kind, x.type, x.path, x.port, x.period, x.timeout) for x in p.probes] == [
        ("liveness", "http", "/healthz", 80, None, None),
        ("readiness", "http", "/ready", 80, 5, None),
    ]
    assert p.metrics is not None
    assert (p.metrics.kind, p.metrics.port, p.metrics.path) == ("prometheus", 8099, "/metrics")
    assert [(e.key, e.value) for e in p.env] == [("TZ", "Asia/Shanghai")]
    assert p.expose == (80,)


def test_spans_point_at_the_statements(proj: Path) -> None:
    p = load(proj, EXAMPLE, files=FULL_FILES)
    assert p.conf is not None and p.rocks is not None and p.workers is not None
    assert str(p.conf.span) == "Restyfile:10:1"
    assert str(p.rocks.span) == "Restyfile:18:1"
    assert (p.rocks.span.end_line, p.rocks.span.end_col) == (25, 2)
    assert str(p.rocks.rocks[1].span) == "Restyfile:21:5"
    assert str(p.workers.span) == "Restyfile:30:1"


def test_a_small_project_resolves_to_exact_model_objects(proj: Path) -> None:
    src = (
        "name shop\n"                                             # 1
        "base debian-bookworm\n"                                  # 2
        "prefix /usr/local/openresty/nginx\n"                     # 3
        "conf nginx/conf\n"                                       # 4
        "lua nginx/lua -> lua\n"                                  # 5
        "native lib/x.so -> /usr/lib/lua\n"                       # 6
        "rocks -> /opt/rocks {\n"                                 # 7
        "    server https://rocks.example/\n"                     # 8
        "    rock penlight 1.13.1-1\n"                            # 9
        "    system libfoo-dev\n"                                 # 10
        "}\n"                                                     # 11
        "shared_dict hits 1Mi\n"                                  # 12
        "resources {\n    limit cpu 1500m\n}\n"                   # 13-15
        "probe startup http /up port 8080 timeout 2s period 1m\n"  # 16
        "metrics prometheus port 9145\n"                          # 17
        'env GREETING="hello, world"\n'                           # 18
        "expose 8080 80 8080\n"                                   # 19
    )
    p = load(proj, src, files={"nginx/conf/nginx.conf": NGINX_CONF, "nginx/lua/a.lua": "",
                               "lib/x.so": ""})

    def at(line: int, col: int, end_line: int, end_col: int) -> Span:
        return Span("Restyfile", line, col, end_line, end_col)

    assert p.prefix == "/usr/local/openresty/nginx"
    assert p.conf == Copy("nginx/conf", "/usr/local/openresty/nginx/conf", at(4, 1, 4, 16))
    assert p.lua == (Copy("nginx/lua", "/usr/local/openresty/nginx/lua", at(5, 1, 5, 21)),)
    assert p.natives == (Native("lib/x.so", "/usr/lib/lua", (), at(6, 1, 6, 32)),)
    assert p.rocks is not None
    assert (p.rocks.tree, p.rocks.server, p.rocks.server_is_url) == (
        "/opt/rocks", "https://rocks.example/", True)
    assert p.rocks.span == at(7, 1, 11, 2)
    assert p.rocks.rocks == (Rock("penlight", "1.13.1-1", None, at(9, 5, 9, 27)),)
    assert p.rocks.system == (SystemPackage("libfoo-dev", None, at(10, 5, 10, 22)),)
    assert p.shared_dicts == (SharedDict("hits", 1024**2, "1Mi", at(12, 1, 12, 21)),)
    assert p.workers is None
    assert p.resources == Resources(None, None, 1500, None, at(13, 1, 15, 2))
    assert p.probes == (Probe("startup", "http", "/up", 8080, 60, 2, at(16, 1, 16, 54)),)
    assert p.metrics == Metrics("prometheus", 9145, "/metrics", at(17, 1, 17, 29))
    assert p.env == (EnvVar("GREETING", "hello, world", at(18, 1, 18, 28)),)
    assert p.expose == (8080, 80, 8080)


def test_prefix_defaults_to_the_recipes(proj: Path) -> None:
    p = load(proj, HEAD + "conf conf\nlua src -> lua\n",
             files={"conf/nginx.conf": NGINX_CONF, "src/a.lua": ""})
    assert p.prefix == "/usr/share/nginx"
    assert p.conf is not None
    assert p.conf.dst == "/usr/share/nginx/conf"
    assert p.lua[0].dst == "/usr/share/nginx/lua"


def test_prefix_joins_relative_destinations(proj: Path) -> None:
    p = load(proj, HEAD + "prefix /usr/local/openresty/nginx/\nconf nginx/conf -> etc/conf\n"
                          "lua nginx/lua -> lua\nlua other -> ./lib/other/\n"
                          "lua third -> /srv/lua\n",
             files={"nginx/conf/nginx.conf": NGINX_CONF, "nginx/lua/a.lua": "",
                    "other/b.lua": "", "third/c.lua": ""})
    assert p.prefix == "/usr/local/openresty/nginx"
    assert p.conf is not None
    assert p.conf.dst == "/usr/local/openresty/nginx/etc/conf"
    assert [c.dst for c in p.lua] == [
        "/usr/local/openresty/nginx/lua", "/usr/local/openresty/nginx/lib/other", "/srv/lua"]


def test_a_project_needs_no_conf(proj: Path) -> None:
    p = load(proj, HEAD)
    assert (p.conf, p.lua, p.natives, p.rocks, p.workers, p.resources, p.metrics) == (
        None, (), (), None, None, None, None)
    assert p.runtime_image == "restybuild/debian-bookworm:runtime"


def test_base_image_uses_the_image_and_digest(proj: Path) -> None:
    digest = "sha256:" + "ab" * 32
    p = load(proj, f"name app\nbase image reg.example/openresty:1.13 recipe openresty "
                   f"digest {digest}\n")
    assert (p.base.image, p.base.digest, p.base.recipe) == (
        "reg.example/openresty:1.13", digest, "openresty")
    assert p.runtime_image == f"reg.example/openresty:1.13@{digest}"
    assert p.prefix == "/usr/local/openresty/nginx"


def test_the_example_on_a_fresh_clone_says_what_builds_its_native(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh clone has no examples/demo/build/: the error says what makes it."""
    from restybuild.cli import main
    from tests.conftest import REPO

    (tmp_path / "Restyfile.example").write_text((REPO / "Restyfile.example").read_text())
    for folder in ("conf", "conf/vhosts", "lua"):
        (tmp_path / "examples/demo" / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / "examples/demo/conf/nginx.conf").write_text("events {}\nhttp {}\n")
    assert main(["plan", str(tmp_path / "Restyfile.example")]) == 4
    err = capsys.readouterr().err
    assert "`examples/demo/build/greeter.so` does not exist" in err
    assert "# built by examples/demo/build.sh (make demo)" in err
    assert "hint: a native is a build output: build it first" in err
