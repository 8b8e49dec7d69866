"""A TCP stand-in for the test registry on 127.0.0.1: slow layers, held manifests.

A push sends the layers first and the manifest last; the manifest's `PUT` is what moves
the registry's tag. The proxy forwards everything, and:

- with :attr:`rate` set, sends the engine's bytes at that many per second per
  connection, and sets :attr:`uploading` once a connection has sent :data:`MARK` bytes (a
  layer is going up): a test can signal a push while its layers go up, every time;
- with :attr:`holding` set, holds a connection's bytes from the first byte of a
  `PUT /v2/NAME/manifests/REF` on (and sets :attr:`held`): a test can signal at the last
  moment before the tag moves. :meth:`release` forwards what it holds on every connection
  the engine still keeps open; one the engine closed meanwhile is dropped.

:attr:`manifests` counts the manifest uploads that reached the registry.

Also the registry's own HTTP API, to read a tag's manifest digest (:func:`tag_digest`).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import urllib.error
import urllib.request

MARK = 1 << 20
MANIFEST_PUT = re.compile(rb"PUT /v2/[^ ]+/manifests/[^ ]+ HTTP/1\.[01]\r\n")
ACCEPT = ", ".join(("application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.oci.image.index.v1+json"))


class _Link:
    """One engine connection: engine -> registry bytes, held once a manifest PUT starts."""

    def __init__(self, proxy: HoldingProxy, down: socket.socket, up: socket.socket) -> None:
        self.proxy, self.down, self.up = proxy, down, up
        self.holding = False
        self.buffer = b""
        self.engine_closed = False
        self.lock = threading.Lock()
        self.sent = 0

    def engine_to_registry(self) -> None:
        with contextlib.suppress(OSError):
            while data := self.down.recv(16384 if self.proxy.rate else 65536):
                with self.lock:
                    found = MANIFEST_PUT.search(data)
                    if found and not self.holding and self.proxy.holding:
                        self.up.sendall(data[:found.start()])
                        data, self.holding = data[found.start():], True
                        self.proxy.held.set()
                    if self.holding:
                        self.buffer += data
                        continue
                    if found:
                        self.proxy.manifests += 1
                self.up.sendall(data)
                self._count(len(data))
        with self.lock:
            self.engine_closed = True
            if not self.holding:
                _shut(self.up)

    def _count(self, n: int) -> None:
        self.sent += n
        if self.sent >= MARK:
            self.proxy.uploading.set()
        if self.proxy.rate:
            time.sleep(n / self.proxy.rate)

    def registry_to_engine(self) -> None:
        with contextlib.suppress(OSError):
            while data := self.up.recv(65536):
                self.down.sendall(data)
        _shut(self.down)

    def release(self) -> bool:
        """Forward what is held if the engine still waits; whether it did."""
        with self.lock:
            if not self.holding:
                return False
            self.holding = False
            if self.engine_closed:  # the engine gave the push up: its manifest is dropped
                _shut(self.up)
                return False
            with contextlib.suppress(OSError):
                self.up.sendall(self.buffer)
                self.proxy.manifests += 1
            self.buffer = b""
            return True


def _shut(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)


class HoldingProxy:
    """`with HoldingProxy("127.0.0.1:PORT") as proxy:` push to `proxy.addr`."""

    def __init__(self, registry: str) -> None:
        host, _, port = registry.partition(":")
        assert host == "127.0.0.1", registry  # the tests talk to this machine only
        self.upstream = (host, int(port))
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.addr = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.holding = False  # hold manifest PUTs
        self.held = threading.Event()
        self.rate = 0  # bytes a second from the engine, per connection; 0: no limit
        self.uploading = threading.Event()
        self.manifests = 0
        self.links: list[_Link] = []
        self.forwarded = 0  # held manifests forwarded by release()
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> HoldingProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.close()
        for link in self.links:
            _shut(link.down)
            _shut(link.up)

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.server.accept()
            except OSError:
                return
            up = socket.create_connection(self.upstream, timeout=10)
            up.settimeout(None)
            link = _Link(self, down, up)
            self.links.append(link)
            for pump in (link.engine_to_registry, link.registry_to_engine):
                threading.Thread(target=pump, daemon=True).start()

    def release(self) -> int:
        """Stop holding; forward the held manifests the engine still waits on; how many."""
        self.holding = False
        self.forwarded += sum(link.release() for link in list(self.links))
        return self.forwarded


def tag_digest(registry: str, name: str, tag: str) -> str | None:
    """The digest of the manifest `name:tag` has in the registry now, or None (no such tag)."""
    request = urllib.request.Request(f"http://{registry}/v2/{name}/manifests/{tag}",
                                     method="HEAD", headers={"Accept": ACCEPT})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return str(r.headers["Docker-Content-Digest"])
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise
