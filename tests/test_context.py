"""The build context: only declared files, no secrets, no escaping links, reproducible bytes."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from restybuild.builder import context_tar
from restybuild.errors import ConfigError
from tests.conftest import planned, write_tree

PROJECT = {
    "Restyfile": "name app\nbase debian-bookworm\nconf conf\nlua lua -> lua\n",
    "conf/nginx.conf": "events {}\nhttp {}\n",
    "lua/app.lua": "return {}\n",
    "lua/.env": "SECRET=1\n",
    "lua/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "lua/server.key": "key\n",
    "lua/cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    "lua/X.PEM": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
    "lua/.ENV": "SECRET=1\n",
    "lua/ID_RSA": "key\n",
    "lua/x.Key": "key\n",
    "lua/prod.env": "DB_PASSWORD=1\n",
    "lua/.aws/credentials": "[default]\n",
    "lua/.git-credentials": "https://u:p@example.invalid\n",
    "lua/credentials.json": "{}\n",
    "lua/.pgpass": "*:*:*:u:p\n",
    "lua/kubeconfig": "apiVersion: v1\n",
    "lua/deploy/staging.kubeconfig": "apiVersion: v1\n",
    "lua/.git/config": "[core]\n",
    "lua/.app.lua.swp": "swap\n",
    "lua/app.lua~": "backup\n",
    "undeclared/x.lua": "return 1\n",
}


def names(project_dir: Path) -> list[str]:
    bp = planned(project_dir / "Restyfile")
    data = context_tar(bp, "FROM scratch\n")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return sorted(m.name for m in tar.getmembers() if m.isfile())


def test_only_declared_files_and_no_secrets(tmp_path: Path) -> None:
    write_tree(tmp_path, PROJECT)
    files = names(tmp_path)
    assert "layers/app/usr/share/nginx/lua/app.lua" in files
    for secret in (".env", "id_rsa", "server.key", ".git/config", ".app.lua.swp", "app.lua~",
                   "X.PEM", ".ENV", "ID_RSA", "x.Key", "prod.env", ".aws/credentials",
                   ".git-credentials", "credentials.json", ".pgpass", "kubeconfig",
                   "staging.kubeconfig"):
        assert not any(f.endswith("/" + secret) for f in files), secret
    # a certificate is not a secret: an nginx conf's ssl_certificate needs it in the image
    assert "layers/app/usr/share/nginx/lua/cert.pem" in files
    assert not any("undeclared" in f for f in files)


def test_a_symlink_inside_a_declared_folder_pointing_outside_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path / "p", PROJECT)
    (tmp_path / "outside.lua").write_text("return 'outside'\n")
    os.symlink(tmp_path / "outside.lua", tmp_path / "p/lua/linked.lua")
    with pytest.raises(ConfigError) as e:
        names(tmp_path / "p")
    assert e.value.message.startswith("lua/linked.lua is a symlink that points outside")
    assert e.value.span is not None and (e.value.span.line, e.value.span.col) == (4, 1)


def test_a_symlink_inside_the_project_is_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, PROJECT)
    os.symlink(tmp_path / "undeclared/x.lua", tmp_path / "lua/x.lua")
    assert "layers/app/usr/share/nginx/lua/x.lua" in names(tmp_path)


def test_same_sources_give_the_same_bytes_on_any_checkout(tmp_path: Path) -> None:
    write_tree(tmp_path / "a", PROJECT)
    write_tree(tmp_path / "b", PROJECT)
    for path in (tmp_path / "b").rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
        if path.is_file():
            path.chmod(0o600)
    tars = []
    for d in ("a", "b"):
        bp = planned(tmp_path / d / "Restyfile")
        tars.append(context_tar(bp, "FROM scratch\n"))
    assert tars[0] == tars[1]
    with tarfile.open(fileobj=io.BytesIO(tars[0])) as tar:
        for m in tar.getmembers():
            assert (m.uid, m.gid, m.mtime) == (0, 0, 946684800)
            assert m.mode in (0o644, 0o755, 0o775)


def test_a_large_file_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    """A 512 MiB file in a declared folder: the context is written with far less memory."""
    import subprocess
    import sys

    from tests.conftest import REPO

    write_tree(tmp_path, PROJECT)
    with open(tmp_path / "lua/big.dat", "wb") as fh:
        fh.truncate(512 << 20)  # sparse: costs no disk until the tar is written
    code = (
        "import resource, sys\n"
        "from restybuild.builder import context_file\n"
        "from tests.conftest import planned\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "with context_file(planned(sys.argv[1]), 'FROM scratch\\n') as f:\n"
        "    size = f.seek(0, 2)\n"
        "grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "print(size, grown)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "Restyfile")],
                         capture_output=True, text=True, check=True, cwd=REPO,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin",
                              "TMPDIR": str(tmp_path)}).stdout.split()
    size, grown_kib = int(out[0]), int(out[1])
    assert size > 512 << 20
    assert grown_kib < 64 * 1024, f"the tar took {grown_kib} KiB of memory"


def test_an_empty_declared_folder_still_gives_its_layer_and_destination(tmp_path: Path) -> None:
    """`COPY layers/app/ /` needs the folder in the context: a Lua folder with nothing in it
    yet (or only secrets, kept out) gives an empty destination, not a failed build step."""
    write_tree(tmp_path, {"Restyfile": "name app\nbase debian-bookworm\nconf conf\n"
                                       "lua lua -> lua\nlua more -> more\n",
                          "conf/nginx.conf": "events {}\nhttp {}\n", "more/.env": "SECRET=1\n"})
    (tmp_path / "lua").mkdir()
    from restybuild.render import render_dockerfile

    bp = planned(tmp_path / "Restyfile")
    assert "COPY layers/app/ /" in render_dockerfile(bp)
    with tarfile.open(fileobj=io.BytesIO(context_tar(bp, "FROM scratch\n"))) as tar:
        dirs = {m.name for m in tar.getmembers() if m.isdir()}
        files = [m.name for m in tar.getmembers() if m.name.startswith("layers/app/")
                 and m.isfile()]
    assert {"layers/app/usr/share/nginx/lua", "layers/app/usr/share/nginx/more"} <= dirs
    assert files == []
