"""The HTTP entrypoint: Bolt's WSGI adapter, served by waitress.

Routes: `POST /slack/events` (commands, interactivity, options and events, all signed by
Slack; and Slack's unsigned `ssl_check`) and `GET /healthz` (JSON; 503 when the database
does not answer). waitress runs the synchronous Bolt app on a pool of threads, so one slow
request never holds up another (unlike an ASGI adapter, which would run the synchronous app
inside its event loop); past `MAX_BODY_BYTES` it answers 413 itself, from the headers.
Connections that are idle, slow or hold their body back cost waitress no thread, and up to
`CONNECTION_LIMIT` of them leave every other request answered (`waitress_settings`).

Bolt checks signatures, and their age (5 minutes), once, with its `RequestVerification`
middleware. Before handing it a request, the endpoint only makes sure Bolt can read it:

- a body that is not what Slack sends (not UTF-8, not JSON where JSON is due, or not of
  Slack's shape, see `shapes`) gets 400: Bolt's routing and planbot's listeners would trip
  over it;
- Slack's `ssl_check` (an unsigned form POST, `ssl_check=1&token=...`, sent now and then to
  check the certificate) gets an empty 200 here, without Bolt looking at it; a body that is
  not a form and says `ssl_check=1` is not Slack's and gets 401 (Bolt would answer it as one);
- signature headers that slack_sdk's verifier cannot judge (it raises on a timestamp that is
  not a whole number, or a signature that is not ASCII) get 401, which is all they could get.

Slack's redelivery of an Events API event (`X-Slack-Retry-Num`, after it thought the first
delivery failed) gets an empty 200 and is not done again: the durable inbox stores each
event once, by its `event_id`, whichever process or replica it reaches
(bot/entrypoints/inbox.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from bot.entrypoints.shapes import shape_problem
from storage.db import Database

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DEFAULT_PORT = 3000
DEFAULT_THREADS = 8
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kilobytes; a modal's at most ~100 KB
FORM = "application/x-www-form-urlencoded"
REFUSED_SIGNATURE = "refused a request whose signature is missing, wrong or too old"


class PlanbotWSGI(SlackRequestHandler):
    """Bolt's WSGI handler, with `/healthz`, Slack's `ssl_check` and a 4xx for bodies Bolt
    could not read."""

    def __init__(self, app: App, *, db: Database) -> None:
        super().__init__(app, path=EVENTS_PATH)
        self.db = db
        _keep_bodies_out_of_bolts_signature_log()

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            bolt_request = BoltRequest(
                body=request.get_body(), query=request.query_string, headers=request.get_headers()
            )
            problem = shape_problem(bolt_request.body)
        except Exception as exc:  # noqa: BLE001 - a bad Content-Length, a body that is not
            # UTF-8 or not JSON, a `payload` that is not JSON, or a JSON shape Bolt's own
            # parsing trips over (a list, say): refused with a 400
            problem = f"unreadable ({type(exc).__name__})"
        if problem is not None:
            log.warning("rejected a request whose body Slack would not send: %.200r", problem)
            return _text(400, "malformed request body")
        if bolt_request.body.get("ssl_check") == "1":
            if (bolt_request.content_type or "").strip().lower() == FORM:
                return BoltResponse(status=200, body="")
            return _refuse_signature()
        if not _verifiable(bolt_request):
            return _refuse_signature()
        try:
            return self.app.dispatch(bolt_request)
        except Exception as exc:  # noqa: BLE001 - a signed body no check above foresaw: a 400
            log.warning("rejected a signed request Bolt could not handle: %s", type(exc).__name__)
            return _text(400, "malformed request body")

    def health(self) -> tuple[str, dict[str, str]]:
        if self.db.ping():
            return "200 OK", {"status": "ok", "database": "reachable"}
        return "503 Service Unavailable", {"status": "unavailable", "database": "unreachable"}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") in {
            "GET",
            "HEAD",
        }:
            status, data = self.health()
            payload = json.dumps(data).encode()
            start_response(
                status,
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(payload))),
                    ("Cache-Control", "no-store"),
                ],
            )
            return [payload] if environ["REQUEST_METHOD"] == "GET" else []
        return super().__call__(environ, start_response)


def _verifiable(request: BoltRequest) -> bool:
    """Whether slack_sdk's verifier can judge the request's signature headers (read as Bolt
    reads them): it raises, rather than answering no, on a timestamp that is not a whole
    number and on a signature that is not ASCII."""
    timestamp = str(request.headers.get("x-slack-request-timestamp", ["0"])[0])
    signature = str(request.headers.get("x-slack-signature", [""])[0])
    whole = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20
    return whole and signature.isascii()


def _refuse_signature() -> BoltResponse:
    log.info(REFUSED_SIGNATURE)
    return _text(401, "invalid request signature")


def _text(status: int, text: str) -> BoltResponse:
    return BoltResponse(
        status=status, body=text, headers={"content-type": "text/plain; charset=utf-8"}
    )


class _WithoutBodies(logging.Filter):
    """Bolt logs a refused signature with the request's body: what people typed, and a
    `response_url` that lets whoever reads it answer in Slack for 30 minutes. The line
    stays; the body goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature detected"):
            record.msg, record.args = REFUSED_SIGNATURE, ()
        return True


def _keep_bodies_out_of_bolts_signature_log() -> None:
    logger = logging.getLogger("slack_bolt.RequestVerification")
    if not any(isinstance(f, _WithoutBodies) for f in logger.filters):
        logger.addFilter(_WithoutBodies())


# How waitress holds up under a flood of connections (issue 11). waitress reads every
# connection on one event loop and hands a request to a worker thread only once its headers
# and body have all arrived, so a connection that is idle, slow, or holding its body back costs
# a socket and a buffer, never a thread. What it does cost is a place under `connection_limit`:
# at the limit waitress stops accepting, and every new connection (Slack's requests, the
# health probe) waits in the kernel's backlog until one closes. waitress's default limit is
# 100, so 100 such connections stopped planbot answering anything.
#
# - CONNECTION_LIMIT: 1,000 open connections. Slack itself keeps a handful open; the rest
#   is room for a flood (the tests hold 200, with room to spare) at a few kilobytes each.
#   Past the limit, new connections queue in the backlog (waitress's 1,024, capped by the
#   kernel's somaxconn) until the timeout below frees places.
# - poll() instead of select(): select() cannot watch a descriptor numbered 1,024 or more, so
#   a thousand connections would break the event loop.
# - CHANNEL_TIMEOUT: a connection with no request in progress and no byte received for 15 s is
#   closed (checked every CLEANUP_INTERVAL, 5 s: so within 15 to 20 s). Slack gives up on an
#   answer after 3 s, so no request of Slack's needs longer; an idle flood is cleared within
#   20 s instead of waitress's two minutes. A proxy in front that reuses connections to
#   planbot should drop idle ones sooner than this (nginx: `keepalive_timeout` under 15 s).
# - MAX_HEADER_BYTES: 32 KB of headers (waitress allows 256 KB); Slack sends about 1 KB.
# - MAX_BODY_BYTES: judged from Content-Length before any of the body is read (413 at once);
#   a chunked body is counted as it arrives and refused when it passes the limit.
#
# A slowloris trickling a byte every few seconds keeps its connection past any idle timeout:
# only the connection limit bounds those. A deployment facing the internet without a proxy
# that buffers requests (a load balancer, nginx) relies on the 1,000.
CONNECTION_LIMIT = 1_000
CHANNEL_TIMEOUT = 15  # seconds
CLEANUP_INTERVAL = 5  # seconds
BACKLOG = 1024
MAX_HEADER_BYTES = 32 * 1024
# Descriptors kept for everything else a process opens: database connections, the Slack
# client's connections, logs, temporary files for bodies waitress spools to disk.
RESERVED_FILES = 256


def waitress_settings(*, threads: int = DEFAULT_THREADS) -> dict[str, Any]:
    """How waitress serves planbot (production and the tests alike): `threads` at once, room
    for a flood of slow connections, idle ones closed after `CHANNEL_TIMEOUT`, a 413 past
    `MAX_BODY_BYTES` (see the comment above for each choice).

    The connection limit needs a descriptor per connection: the process's soft limit on open
    files is raised to fit it when the hard limit allows, and the connection limit lowered
    (with a warning) when it does not."""
    return {
        "threads": threads,
        "ident": "planbot",
        "connection_limit": _connection_limit(CONNECTION_LIMIT),
        "backlog": BACKLOG,
        "channel_timeout": CHANNEL_TIMEOUT,
        "cleanup_interval": CLEANUP_INTERVAL,
        "asyncore_use_poll": True,
        "max_request_header_size": MAX_HEADER_BYTES,
        "max_request_body_size": MAX_BODY_BYTES,
    }


def _connection_limit(wanted: int) -> int:
    """`wanted`, or fewer if the process may not open that many files (a socket each, and at
    worst a temporary file each for a body spooled to disk, plus `RESERVED_FILES`). At the
    descriptor limit, accept() fails and waitress's loop would spin on the listening socket."""
    try:
        import resource
    except ImportError:  # not a Unix: no limit to read or raise
        return wanted
    needed = 2 * wanted + RESERVED_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        if raised > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return wanted
    fits = max((soft - RESERVED_FILES) // 2, 1)
    log.warning(
        "the open-file limit (%d) allows %d HTTP connections at once, not %d",
        soft,
        fits,
        wanted,
    )
    return fits


def serve_http(
    app: App, *, db: Database, host: str, port: int, threads: int = DEFAULT_THREADS
) -> None:
    """Serve `app` (and `/healthz`, from `db`) on `host:port` until interrupted."""
    import waitress

    waitress.serve(
        PlanbotWSGI(app, db=db), host=host, port=port, **waitress_settings(threads=threads)
    )
