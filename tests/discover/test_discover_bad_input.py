"""discover on bad input: each problem is one clear finding (with file:line:col where there is
a line), the rest of the Restyfile is still written, ROOT is never modified and an existing
Restyfile is never overwritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from restybuild.cli import main
from restybuild.resolve import load_project
from tests.discover.fixtures import PREFIX, TREE, centos_host, checkout

MANIFEST = f"{TREE}/lib/luarocks/rocks-5.1/manifest"


def snapshot(root: Path) -> list[tuple[str, int, bytes]]:
    return sorted((str(p.relative_to(root)), p.lstat().st_mtime_ns,
                   p.read_bytes() if p.is_file() and not p.is_symlink() else b"")
                  for p in root.rglob("*"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = main(["discover", *args])
    return rc, capsys.readouterr().out


def _errors(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ": error: " in ln]


@pytest.fixture()
def host(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "host"
    return root, centos_host(root)


def test_an_included_file_that_does_not_parse_is_one_finding_at_its_place(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    (root / PREFIX / "conf/vhosts/broken.conf").write_text(
        "server {\n    listen 8090;\n    location / { return 200; }\n")
    before = snapshot(root)
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(tmp_path / "o"))
    assert rc == 1 and snapshot(root) == before
    assert _errors(text) == [f"/{PREFIX}/conf/vhosts/broken.conf:4:1: error: [conf] nginx conf: "
                             'unexpected end of file, expecting "}"'], text
    assert "Traceback" not in text
    restyfile = (tmp_path / "o/Restyfile").read_text()
    # the other vhost, the Lua, the rocks and the native are all still there
    for line in ("probe readiness http /healthz port 8080", "lua lua -> lua",
                 "rock adutil 1.2-1", "native natives/binary_protocol.so"):
        assert line in restyfile, line
    load_project(tmp_path / "o/Restyfile")


def test_a_main_conf_that_does_not_parse_is_one_finding_and_the_rest_is_written(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    main_conf = root / PREFIX / "conf/nginx.conf"
    main_conf.write_text(main_conf.read_text().replace("worker_processes 2;",
                                                       "worker_processes 2 {"))
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(tmp_path / "o"))
    errors = _errors(text)
    assert rc == 1 and len(errors) == 1, text
    assert f"/{PREFIX}/conf/nginx.conf:" in errors[0] and "[conf]" in errors[0]
    restyfile = (tmp_path / "o/Restyfile").read_text()
    assert "rock adutil 1.2-1" in restyfile and "base openresty 1.13.6.2 centos7" in restyfile
    load_project(tmp_path / "o/Restyfile")


def test_an_unreadable_manifest_is_one_finding_and_the_rocks_come_from_the_folders(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    (root / MANIFEST).unlink()
    (root / MANIFEST).mkdir()  # read() fails even as root (a mode 000 file would not)
    before = snapshot(root)
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(tmp_path / "o"))
    assert rc == 1 and snapshot(root) == before
    assert _errors(text) == [f"/{MANIFEST}: error: [rocks] cannot read the manifest: Is a "
                             "directory"], text
    assert "fix: the rocks were taken from the tree's folders" in text
    restyfile = (tmp_path / "o/Restyfile").read_text()
    assert sum(ln.startswith("    rock ") for ln in restyfile.splitlines()) == 12


def test_bad_inputs_together_leave_root_as_it_was(
        host: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, nginx_v = host
    (root / MANIFEST).write_text("repository = {\n  x = {\n")
    (root / PREFIX / "lua_lib/legacy.so").write_text("not a shared object\n")
    (root / PREFIX / "conf/vhosts/loop.conf").write_text("include vhosts/loop.conf;\n")
    before = snapshot(root)
    rc, text = run(capsys, str(root), "--nginx-v", str(nginx_v), "-o", str(tmp_path / "o"))
    assert rc == 1 and snapshot(root) == before
    errors = _errors(text)
    assert len(errors) == 3, text
    assert errors[1].startswith(f"/{MANIFEST}:2:") and "the manifest does not parse" in errors[1]
    assert "Traceback" not in text and (tmp_path / "o/Restyfile").is_file()


def test_a_checkout_only_gets_its_restyfile_and_no_existing_file_is_overwritten(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = checkout(tmp_path / "quotes")
    before = snapshot(root)
    assert run(capsys, str(root))[0] == 0
    after = snapshot(root)
    assert [p for p in after if p not in before] == [
        ("Restyfile", (root / "Restyfile").lstat().st_mtime_ns,
         (root / "Restyfile").read_bytes())]
    other = tmp_path / "elsewhere.restyfile"
    other.write_text("# mine\n")
    rc = main(["discover", str(root), "-o", str(other)])
    assert rc == 3 and other.read_text() == "# mine\n"
    err = capsys.readouterr().err
    assert f"{other} exists: discover never overwrites a Restyfile" in err, err
    assert "Traceback" not in err
    os.remove(root / "Restyfile")
    assert snapshot(root) == before
