"""Talking to an image started with host networking: on 127.0.0.1 only, never elsewhere."""

from __future__ import annotations

import socket
import time
import urllib.request

LOOPBACK = "127.0.0.1"


def port_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing listens on `host`:`port`, so a container may take it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def fetch(port: int, path: str = "/", timeout: float = 15) -> str:
    """GET http://127.0.0.1:`port``path`, retrying until the server answers or `timeout`."""
    url = f"http://{LOOPBACK}:{port}{path}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return str(resp.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
