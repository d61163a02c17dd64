"""The load generator: signed slash commands from concurrent clients, with their latencies.

Each client is a coroutine with its own keep-alive HTTP/1.1 connection. Two shapes of load:

- closed loop (`rate=None`): each client sends its next request as soon as the previous one
  is answered, so the server is saturated: what it sustains, and its latency when it cannot
  keep up;
- paced (`rate=R`): the clients send R requests a second between them, evenly spaced, like
  a busy workspace. A request's latency counts from when it was due to be sent, so a client
  held up by a slow answer does not hide the delay (no coordinated omission).

Requests are signed when sent, as Slack signs them (the five-minute replay window holds).

The client speaks HTTP/1.1 over asyncio streams itself: httpx's async client spent more CPU
per request than the bare-Bolt floor it was measuring (at 16 connections it halved the
floor's throughput and put 380 ms on its p99), so it would have measured itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

TEAM_ID = "T0PLANBOT"
APP_ID = "A0PLANBOT"
_serial = itertools.count(1)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Slack's request signature: `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slash_command(user: str, command: str, text: str, *, response_url: str) -> bytes:
    """A slash command's form body as Slack posts it, with a fresh trigger_id."""
    n = next(_serial)
    fields = {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "team_domain": "planbot-bench",
        "channel_id": "C0PLANBOT",
        "channel_name": "improvement-plan",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{n}.{TEAM_ID}.{hashlib.sha256(str(n).encode()).hexdigest()[:32]}",
    }
    return urlencode(fields).encode()


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0  # from the first request sent to the last answer
    answered: int = 0  # every answer, warm-up and errors included
    started: float = 0.0  # time.monotonic() of the first request
    acked: list[int] = field(default_factory=list)  # indices of the requests answered 200

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, p: float) -> float:
        """The p-th percentile (nearest rank) of the latencies."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
        return ordered[rank - 1]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def throughput(self) -> float:
        """Answers a second over the whole run."""
        return self.answered / self.elapsed_s if self.elapsed_s else 0.0


class _Connection:
    """One keep-alive HTTP/1.1 connection that POSTs and reads the answer's status."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        reader = self._reader
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        if chunked:
            while size := int((await reader.readline()).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readline()
        elif length:
            await reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _hammer(
    url: str,
    bodies: list[bytes],
    secret: str,
    clients: int,
    warmup: int,
    rate: float | None,
) -> LoadResult:
    result = LoadResult()
    host, _, port = url.removeprefix("http://").rstrip("/").partition(":")
    queue = iter(enumerate(bodies))
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05

    async def worker() -> None:
        connection = _Connection(host, int(port or 80))
        try:
            for index, body in queue:
                due: float | None = None
                if rate is not None:
                    due = start + index / rate
                    if (wait := due - loop.time()) > 0:
                        await asyncio.sleep(wait)
                stamp = int(time.time())
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": str(stamp),
                    "X-Slack-Signature": sign(secret, body, stamp),
                }
                began = time.perf_counter()
                try:
                    status = str(await connection.post("/slack/events", body, headers))
                except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
                    connection.close()
                    status = type(exc).__name__
                took = (time.perf_counter() - began) * 1000
                if due is not None:  # from when it was due, if it went out late
                    took = max(took, (loop.time() - due) * 1000)
                result.answered += 1
                if status != "200":
                    result.errors[status] = result.errors.get(status, 0) + 1
                    continue
                result.acked.append(index)
                if index >= warmup:
                    result.latencies_ms.append(took)
        finally:
            connection.close()

    began = time.monotonic()
    result.started = began
    await asyncio.gather(*(worker() for _ in range(clients)))
    result.elapsed_s = time.monotonic() - began
    return result


def run_load(
    url: str,
    make_body: Callable[[int], bytes],
    *,
    requests: int,
    secret: str,
    clients: int = 16,
    warmup: int = 0,
    rate: float | None = None,
) -> LoadResult:
    """Send `requests` signed bodies from `clients` concurrent clients, as fast as they are
    answered or `rate` a second; the first `warmup` are not counted in the latencies."""
    bodies = [make_body(i) for i in range(requests)]
    return asyncio.run(_hammer(url, bodies, secret, clients, warmup, rate))
