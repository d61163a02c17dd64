"""planbot's WSGI endpoint served by waitress in a background thread, on a free port.

Production serves with `waitress.serve`, which returns only on KeyboardInterrupt; a test
needs a server it can stop, so this polls waitress's event loop itself, over the server's
socket map (`_map`, waitress's own, not public API: test code only).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from bot.entrypoints.http import DEFAULT_THREADS, PlanbotWSGI, waitress_settings


@dataclass
class RunningServer:
    """A waitress server running in a background thread."""

    server: Any
    thread: threading.Thread
    host: str
    stopping: threading.Event

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop accepting, finish the requests in hand, close the sockets."""
        self.stopping.set()
        self.thread.join(timeout=10)


def start_http_server(
    wsgi: PlanbotWSGI, *, host: str = "127.0.0.1", threads: int = DEFAULT_THREADS
) -> RunningServer:
    """Serve `wsgi` as production does, on a free port, in a background thread; `stop()` ends it."""
    # Any: waitress's stubs leave out the socket map.
    server: Any = create_server(wsgi, host=host, port=0, **waitress_settings(threads=threads))
    stopping = threading.Event()

    def serve() -> None:
        # Poll briefly, and close the sockets from this thread, never from under a select()
        # in progress.
        try:
            while not stopping.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
        finally:
            server.task_dispatcher.shutdown(timeout=5)
            wasyncore.close_all(server._map)

    thread = threading.Thread(target=serve, name="planbot-http", daemon=True)
    thread.start()
    return RunningServer(server=server, thread=thread, host=host, stopping=stopping)
