"""An HTTP server of the test's own on 127.0.0.1, for the tools planbot posts to (webhooks),
and a free loopback port for a server a test starts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol, TypeVar


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on a free loopback port in a daemon thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class HoldingEndpoint(Protocol):
    """What a test's endpoint that holds its answers keeps: its URL, a condition its
    waiters wait on, and the event that lets held requests go."""

    url: str
    changed: threading.Condition
    released: threading.Event


Endpoint = TypeVar("Endpoint", bound=HoldingEndpoint)


def record_and_answer(
    handler: BaseHTTPRequestHandler, state: HoldingEndpoint, record: Callable[[], None]
) -> None:
    """Note what arrived (`record`, under the state's condition, its waiters woken) and
    answer 200 `ok`."""
    with state.changed:
        record()
        state.changed.notify_all()
    handler.send_response(200)
    handler.end_headers()
    handler.wfile.write(b"ok")


@contextmanager
def holding_endpoint(handler: type[BaseHTTPRequestHandler], state: Endpoint) -> Iterator[Endpoint]:
    """Serve `handler` on loopback for `state`; held requests are let go at the end, so
    the server can stop."""
    with loopback_server(handler) as url:
        state.url = url
        try:
            yield state
        finally:
            state.released.set()
