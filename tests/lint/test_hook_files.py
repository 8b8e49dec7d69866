"""Which changed files the pre-commit hook hands to `lint --hook` (the `files:` pattern of
.pre-commit-hooks.yaml, matched as pre-commit does, with re.search), and which Restyfiles
`lint --hook` lints for them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from restybuild.commands.lint import restyfiles_of
from tests.conftest import REPO, write_tree


def hook_pattern() -> re.Pattern[str]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return re.compile(hooks[0]["files"])


@pytest.mark.parametrize("path", [
    "Restyfile", "apps/shop/Restyfile.prod", "restybuild.toml", "pyproject.toml",
    "conf/nginx.conf", "conf/vhosts/api.conf", "conf/fastcgi_params", "conf/uwsgi_params",
    "conf/scgi_params", "conf/mime.types", "conf/koi-utf", "conf/snippets/cors.inc",
    "conf/ssl/site.crt", "conf/ssl/site.key", "conf/ssl/chain.pem", "conf/.htpasswd",
    "lua/app/init.lua", "lua/app/fast.luac", "lua/app/jit.ljbc", "rocks/x-1.0-1.rockspec",
    "native/greeter.so", "native/deps/libgreetfmt.so.1", "native/deps/libz.so.1.2.13",
    "k8s/values.yaml", "rules/app.rules",
])
def test_files_that_change_what_lint_sees_run_the_hook(path: str) -> None:
    assert hook_pattern().search(path), path


@pytest.mark.parametrize("path", [
    "README.md", "docs/arch.png", "html/index.html", "src/main.c", "Makefile",
    "conf/nginx.conf.orig", "lua/app/init.lua~",
])
def test_files_that_cannot_change_it_do_not(path: str) -> None:
    assert not hook_pattern().search(path), path


def test_a_file_belongs_to_every_restyfile_of_its_nearest_folder_that_has_any(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {
        "shop/Restyfile.prod": "name shop\n", "shop/Restyfile.staging": "name shop\n",
        "shop/Restyfile.prod.lock": "", "shop/conf/fastcgi_params": "",
        "web/Restyfile": "name web\n", "web/Restyfile.dev": "name web\n",
        "web/lua/app.lua": "", "loose/notes.lua": "",
    })
    monkeypatch.chdir(tmp_path)
    assert restyfiles_of(["shop/conf/fastcgi_params"]) == [
        "shop/Restyfile.prod", "shop/Restyfile.staging"]  # not the lock file
    assert restyfiles_of(["web/lua/app.lua", "web/Restyfile.dev"]) == [
        "web/Restyfile", "web/Restyfile.dev"]  # each once, `Restyfile` first
    assert restyfiles_of(["shop/Restyfile.prod.lock"]) == ["shop/Restyfile.prod"]
    assert restyfiles_of(["loose/notes.lua"]) == []
    assert restyfiles_of([os.path.join("web", "gone.lua")]) == ["web/Restyfile",
                                                                "web/Restyfile.dev"]
