"""The HTTP server holds under floods: connections that are idle, slow or hold their body back
leave `/healthz` and signed requests answering, and a body over the limit gets 413 at once.

The server is the one the other HTTP tests use (`support.httpserver`), built from production's
`waitress_settings`, so these tests hold for the configuration `planbot serve --http` runs.
Nothing here waits for a timeout to pass: the timeouts are failure bounds only.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
from support.fakeslack import FakeSlack
from support.slackapp import FORM, SINEAD, Bot, running_bot, update_count, updates_of

from bot.entrypoints.http import (
    CONNECTION_LIMIT,
    MAX_BODY_BYTES,
    RESERVED_FILES,
    waitress_settings,
)
from bot.planio import SAMPLE_PLAN, read_plan
from bot.services.plans import load_plan
from storage.db import Database

FLOOD = 200  # connections held open at once (issue 11's acceptance)
ANSWER_BUDGET = 1.0  # seconds: /healthz and a signed /update must answer within this
BOUND = 10.0  # seconds: a failure bound for socket reads, never waited out when all is well


@pytest.fixture
def bot(sqlite_url: str, fake_slack: FakeSlack) -> Iterator[Bot]:
    """planbot on the sample plan (a SQLite file), served over HTTP, acks due within 1 s."""
    db = Database(sqlite_url)
    db.create_all()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=dt.datetime(2019, 12, 2, tzinfo=dt.UTC))
    try:
        with running_bot(db, fake_slack) as running:
            running.ack_limit = ANSWER_BUDGET
            yield running
    finally:
        db.dispose()


def _connect(bot: Bot) -> socket.socket:
    sock = socket.create_connection((bot.server.host, bot.server.port), timeout=BOUND)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _request_head(bot: Bot, *, length: int, extra: str = "") -> bytes:
    return (
        f"POST /slack/events HTTP/1.1\r\nHost: {bot.server.host}:{bot.server.port}\r\n"
        f"Content-Type: {FORM}\r\nContent-Length: {length}\r\n{extra}\r\n"
    ).encode()


# What each flooding connection sends, and then withholds.
def _body_withheld(bot: Bot) -> bytes:
    """Headers announcing a 1,000-byte body, and 10 bytes of it."""
    return _request_head(bot, length=1000) + b"token=abc&"


def _headers_unfinished(bot: Bot) -> bytes:
    """Slowloris: a request line and part of the headers, the blank line never sent."""
    return f"POST /slack/events HTTP/1.1\r\nHost: {bot.server.host}\r\nX-Slow: a".encode()


def _silent(bot: Bot) -> bytes:
    """Connected, nothing sent."""
    return b""


FLOODS: dict[str, Callable[[Bot], bytes]] = {
    "body withheld": _body_withheld,
    "headers unfinished": _headers_unfinished,
    "silent": _silent,
}


@contextmanager
def flooded(bot: Bot, send: Callable[[Bot], bytes], count: int = FLOOD) -> Iterator[None]:
    """`count` connections open to the server, each having sent `send(bot)` and no more."""
    with ExitStack() as stack:
        for _ in range(count):
            sock = stack.enter_context(_connect(bot))
            if data := send(bot):
                sock.sendall(data)
        _wait_until_accepted(bot, count)
        yield


def _wait_until_accepted(bot: Bot, count: int) -> None:
    """Wait (bounded) until waitress has accepted `count` connections: the flood is then held
    by the server itself, not queued in the kernel's backlog. A test-only peek at waitress's
    channel map, as support.httpserver does."""
    deadline = time.monotonic() + BOUND
    while len(bot.server.server.active_channels) < count:
        assert time.monotonic() < deadline, (
            f"waitress accepted {len(bot.server.server.active_channels)} of {count} connections"
        )
        time.sleep(0.01)


def _health(bot: Bot) -> tuple[httpx.Response, float]:
    """GET /healthz on a new connection (as a load balancer's probe does), timed."""
    start = time.monotonic()
    with httpx.Client(base_url=bot.server.url, timeout=BOUND) as client:
        response = client.get("/healthz")
    return response, time.monotonic() - start


def _read_status(sock: socket.socket) -> bytes:
    """The status line of the server's answer (the socket's timeout bounds the wait)."""
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.split(b"\r\n", 1)[0]


@pytest.mark.parametrize("kind", list(FLOODS))
def test_health_and_a_signed_update_are_answered_while_200_connections_hang(
    bot: Bot, kind: str
) -> None:
    before = update_count(bot.db)
    with flooded(bot, FLOODS[kind]):
        health, seconds = _health(bot)
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "ok"
        assert seconds < ANSWER_BUDGET, f"/healthz took {seconds:.2f}s"

        # Bot.post fails the test if the ack takes longer than ANSWER_BUDGET.
        response = bot.command(SINEAD, "/update", "ACT-12 green Contract signed")
        assert response.status_code == 200
        [reply] = bot.replies_to(response)
        assert "ACT-12" in str(reply)
        assert update_count(bot.db) == before + 1
        assert updates_of(bot.db, "ACT-12")[-1].note == "Contract signed"
        # The flood is still held: every connection is still open on the server.
        assert len(bot.server.server.active_channels) >= FLOOD


def test_a_20_mb_body_gets_413_from_its_headers_alone(bot: Bot) -> None:
    """The 413 comes back while the client has sent only the headers: the server judged the
    announced length and read none of the 20 MB."""
    with _connect(bot) as sock:
        sock.sendall(_request_head(bot, length=20_000_000))
        assert _read_status(sock) == b"HTTP/1.1 413 Request Entity Too Large"


def test_a_20_mb_body_gets_413_while_the_server_is_flooded(bot: Bot) -> None:
    with flooded(bot, _body_withheld), _connect(bot) as sock:
        sock.sendall(_request_head(bot, length=20_000_000) + b"x" * 1000)
        assert _read_status(sock) == b"HTTP/1.1 413 Request Entity Too Large"


def test_a_chunked_body_gets_413_once_it_passes_the_limit(bot: Bot) -> None:
    """With no length announced, the server counts the chunks and stops at the limit."""
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with _connect(bot) as sock:
        sock.sendall(
            f"POST /slack/events HTTP/1.1\r\nHost: {bot.server.host}\r\n"
            f"Content-Type: {FORM}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        try:
            for _ in range(MAX_BODY_BYTES // len(chunk) + 1):
                sock.sendall(framed)
        except OSError:  # the server answered and closed before the last chunks arrived
            pass
        assert _read_status(sock) == b"HTTP/1.1 413 Request Entity Too Large"


def test_the_flood_settings_are_production_settings() -> None:
    """What the tests above rely on is what production is served with: room for the flood
    with a margin, poll() rather than select() (select fails past descriptor 1023), and
    a body limit Slack's payloads fit under."""
    settings = waitress_settings()
    assert settings["connection_limit"] >= 2 * FLOOD
    assert settings["asyncore_use_poll"] is True
    assert settings["max_request_body_size"] == MAX_BODY_BYTES < 20_000_000


@pytest.mark.parametrize(
    ("soft", "hard", "raised_to", "limit"),
    [
        (1024, 1_048_576, 2 * CONNECTION_LIMIT + RESERVED_FILES, CONNECTION_LIMIT),
        (1024, 1024, None, (1024 - RESERVED_FILES) // 2),
        (65536, 65536, None, CONNECTION_LIMIT),
    ],
)
def test_the_open_file_limit_is_raised_to_fit_the_connections_or_they_are_fewer(
    monkeypatch: pytest.MonkeyPatch, soft: int, hard: int, raised_to: int | None, limit: int
) -> None:
    import resource

    raised: list[tuple[int, int]] = []
    monkeypatch.setattr(resource, "getrlimit", lambda _kind: (soft, hard))
    monkeypatch.setattr(resource, "setrlimit", lambda _kind, limits: raised.append(limits))

    assert waitress_settings()["connection_limit"] == limit
    assert raised == ([] if raised_to is None else [(raised_to, hard)])
