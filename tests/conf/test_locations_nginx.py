"""The cases of tests/conf/locations_cases.py asked of a real nginx: its answers must be what
restybuild.conf.locations says it picks.

The nginx is the one of the debian-bookworm base image (Debian's nginx 1.22, PCRE2), run on
the test engine with host networking; each conf becomes a server on a port of 127.0.0.1 (the
only address the test sends to), and every location answers its own name.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restybuild.loopback import port_free
from tests.conf.locations_cases import (
    LOCATION_CASES,
    LOCATIONS,
    SERVER_CASES,
    SERVERS,
    UNCERTAIN,
    UNCERTAIN_CASES,
)

pytestmark = pytest.mark.e2e
ROOT = "/tmp/restybuild-locations"  # in the container

BASE = 23080  # the first port used; the server cases' 8080-8082 are moved to BASE+0..2
CONFS = sorted(LOCATIONS) + sorted(UNCERTAIN)
TEMPS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def _port(conf: str) -> int:
    return BASE + 10 + CONFS.index(conf)


def _conf(root: Path) -> str:
    servers = re.sub(r"\b808(\d)\b", lambda m: str(BASE + int(m.group(1))), SERVERS)
    for conf in CONFS:
        body = LOCATIONS.get(conf) or UNCERTAIN[conf]
        servers += f"server {{ listen 127.0.0.1:{_port(conf)}; {body} }}\n"
    temps = "".join(f"{t}_temp_path {root}/{t};\n" for t in TEMPS)
    return (f"daemon off;\nmaster_process off;\nerror_log {root}/error.log;\npid {root}/pid;\n"
            f"events {{\n}}\nhttp {{\naccess_log off;\n{temps}{servers}}}\n")


@pytest.fixture(scope="module")
def nginx(docker_client: Any) -> Iterator[None]:
    from restybuild.context import ContextEntry, make_tar
    from tests.conftest import BASE_RUNTIME

    for port in (*range(BASE, BASE + 3), *(_port(c) for c in CONFS)):
        if not port_free(port):
            raise RuntimeError(f"127.0.0.1:{port} is taken; the test needs it")
    data = make_tar((ContextEntry(ROOT.lstrip("/"), is_dir=True, group_writable=True),
                     ContextEntry(f"{ROOT.lstrip('/')}/nginx.conf",
                                  data=_conf(Path(ROOT)).encode())))
    container = docker_client.containers.create(
        BASE_RUNTIME, ["nginx", "-p", ROOT, "-c", f"{ROOT}/nginx.conf"], network_mode="host",
        detach=True)
    try:
        container.put_archive("/", data)
        container.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", _port(CONFS[-1])), 0.2).close()
                break
            except OSError:
                container.reload()
                if container.status != "running" or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + container.logs().decode(
                        errors="replace")) from None
                time.sleep(0.05)
        yield
    finally:
        container.remove(force=True)


def ask(port: int, uri: str, host: str | None = "localhost") -> str | None:
    """nginx's answer in the cases' terms: the body of a 200, else the status (None: 404).
    HTTP/1.0, so that a request may come without a Host header (`host` None)."""
    head = f"GET {uri} HTTP/1.0\r\n" + ("" if host is None else f"Host: {host}\r\n")
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall((head + "\r\n").encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    status = int(status_line.split()[1])
    body = rest.partition(b"\r\n\r\n")[2].decode()
    return body if status == 200 else None if status == 404 else str(status)


@pytest.mark.usefixtures("nginx")
@pytest.mark.parametrize(("conf", "uri", "expected"), LOCATION_CASES)
def test_nginx_picks_the_same_location(conf: str, uri: str, expected: str | None) -> None:
    assert ask(_port(conf), uri) == expected


@pytest.mark.usefixtures("nginx")
@pytest.mark.parametrize(("conf", "uri", "answer", "chain"), UNCERTAIN_CASES)
def test_nginx_picks_one_of_the_uncertain_chain(conf: str, uri: str, answer: str | None,
                                                chain: list[str | None]) -> None:
    assert ask(_port(conf), uri) == answer


@pytest.mark.usefixtures("nginx")
@pytest.mark.parametrize(("port", "host", "addr", "expected"),
                         [c for c in SERVER_CASES if c[2] is not None])
def test_nginx_picks_the_same_server(port: int, host: str | None, addr: str | None,
                                     expected: str) -> None:
    sent = "localhost" if host is None else host
    assert ask(BASE + port - 8080, "/", None if sent == "" else sent) == expected
