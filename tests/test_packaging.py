"""A wheel built from the repo, installed into a fresh venv, works: grammar and recipes ship."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from tests.conftest import REPO, write_tree


def test_wheel_installs_and_plans_in_a_fresh_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(REPO)], check=True, capture_output=True)
    wheel = next(dist.glob("restybuild-*.whl"))
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "restybuild/_data/grammar/restyfile.lark" in names
    assert "restybuild/_data/recipes/bases/debian-bookworm.toml" in names
    assert "restybuild/_data/recipes/facts/debian-bookworm-runtime.json" in names
    assert "restybuild/templates/Dockerfile.j2" in names
    assert "restybuild/templates/k8s/deployment.yaml.j2" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([str(py), "-c", where], check=True, capture_output=True,
                          text=True).stdout.strip()
    # the wheel itself, unpacked as an installer would, and the dependencies from this
    # environment's site-packages (not the repo: it must not be on the path)
    zipfile.ZipFile(wheel).extractall(site)
    deps = sysconfig.get_paths()["purelib"]
    Path(site, "deps.pth").write_text(deps + "\n")

    write_tree(tmp_path / "app", {
        "Restyfile": "name app\nbase debian-bookworm\nconf conf\n",
        "conf/nginx.conf": "events {}\nhttp {}\n",
    })
    code = ("import restybuild, sys; from restybuild.cli import main; "
            "print(restybuild.__file__, file=sys.stderr); sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([str(py), "-c", code, "plan", "Restyfile"], cwd=tmp_path / "app",
                          capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "RESTYBUILD_NO_CACHE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().startswith(site)  # the installed copy, not the checkout
    assert "FROM restybuild/debian-bookworm:runtime" in proc.stdout
    listed = subprocess.run([str(py), "-c", code, "base", "list"], capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin"})
    assert "debian-bookworm" in listed.stdout and "openresty" in listed.stdout
    k8s = subprocess.run([str(py), "-c", code, "k8s", "Restyfile", "--allow-unbounded"],
                         cwd=tmp_path / "app", capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "RESTYBUILD_NO_CACHE": "1"})
    assert k8s.returncode == 0, k8s.stderr
    assert "kind: Deployment" in k8s.stdout and "kind: NetworkPolicy" in k8s.stdout
