"""Talking to a running image: from inside its own container (no network at all), or, for an
image started with host networking, on 127.0.0.1 only, never elsewhere."""

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


#: An HTTP/1.0 request sent from inside a container by bash's /dev/tcp (the image may have
#: no HTTP client); the request comes in $REQUEST, so nothing in it is a printf format.
SEND = "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf '%s' \"$REQUEST\" >&3 && cat <&3"


def ask_inside(container: object, port: int, path: str = "/", method: str = "GET",
               body: str = "", timeout: float = 15) -> tuple[int, str]:
    """(status, body) of a request to 127.0.0.1:`port` inside `container` (`docker exec`),
    retried until the server answers or `timeout`."""
    request = (f"{method} {path} HTTP/1.0\r\nHost: localhost\r\n"
               f"Content-Length: {len(body.encode())}\r\n\r\n{body}")
    deadline = time.monotonic() + timeout
    while True:
        code, out = container.exec_run(  # type: ignore[attr-defined]
            ["bash", "-c", SEND], environment={"PORT": str(port), "REQUEST": request})
        text = out.decode("utf-8", "replace") if out else ""
        if code == 0 and text.startswith("HTTP/"):
            status = int(text.split("\r\n", 1)[0].split()[1])
            return status, text.split("\r\n\r\n", 1)[-1]
        if time.monotonic() > deadline:
            raise OSError(f"no answer on port {port} inside the container: {text.strip()}")
        time.sleep(0.2)
