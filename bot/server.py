"""The production HTTP endpoint: Bolt's WSGI adapter served by waitress.

Routes: `POST /slack/events` (commands, interactivity, options and events, all signed by
Slack; and Slack's unsigned `ssl_check`) and `GET /healthz` (JSON; 503 when the database
does not answer). waitress runs the synchronous Bolt app on a pool of threads, so one slow
request never holds up another (unlike an ASGI adapter, which would run the synchronous app
inside its event loop).

Requests are checked in the order that leaks least:

- Slack's `ssl_check` (an unsigned form POST, `ssl_check=1&token=...`, sent now and then to
  check the certificate) gets an empty 200 before any signature check, as Bolt's own
  middleware answers it; only its `ssl_check` field is looked at, and nothing is dispatched.
- Anything else with a bad or stale signature gets 401 before the body is read as anything;
  a signed body that is not what Slack sends gets 400.
- A signed Events API event whose `event_id` this process took in the last
  `EVENT_MEMORY_SECONDS` (Slack's redelivery, `X-Slack-Retry-Num`, after it thought the first
  delivery failed) gets an empty 200 and is not processed again (see `RecentEvents`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from cachetools import TTLCache
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from storage.db import Database

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
DEFAULT_PORT = 3000
DEFAULT_THREADS = 8
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kilobytes; a modal's at most ~100 KB
MAX_REQUEST_AGE_SECONDS = 60 * 5  # Slack's advice, against replayed requests
# Slack redelivers an event up to three times: at once, after a minute and after five.
EVENT_MEMORY_SECONDS = 60 * 10
EVENT_MEMORY_SIZE = 10_000  # event_ids remembered at most (the oldest are forgotten first)


class RecentEvents:
    """The Events API `event_id`s this process took lately: a redelivery is acked, not redone.

    Slack redelivers an event it believes failed (no 2xx within 3 s, a dropped connection),
    with `X-Slack-Retry-Num`, even when the first delivery was processed; Bolt processes every
    delivery it is given. An id is taken on arrival, so a redelivery racing the first one is
    skipped too, and forgotten again when the first was not acknowledged with a 2xx, so
    Slack's retry of a delivery that failed here is processed. Remembered in memory, per
    process: a redelivery reaching another replica, or this one after a restart, is processed
    again (at worst the Home is published twice); a durable inbox is what closes that gap.
    """

    def __init__(
        self,
        *,
        seconds: float = EVENT_MEMORY_SECONDS,
        size: int = EVENT_MEMORY_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.size = size
        # event_id -> True, for `seconds`; the oldest go first when `size` are held.
        self._taken: TTLCache[str, bool] = TTLCache(maxsize=size, ttl=seconds, timer=clock)
        self._lock = threading.Lock()

    def take(self, event_id: str) -> bool:
        """True for an event not seen lately (now remembered); False for a redelivery."""
        with self._lock:
            if event_id in self._taken:
                return False
            self._taken[event_id] = True
            return True

    def forget(self, event_id: str) -> None:
        """Let the next delivery of `event_id` be processed (this one was not acknowledged)."""
        with self._lock:
            self._taken.pop(event_id, None)


class PlanbotWSGI(SlackRequestHandler):
    """Bolt's WSGI handler, with `/healthz`, Slack's `ssl_check`, strict handling of unsigned or
    bad bodies, and Events API redeliveries acknowledged without being processed again."""

    def __init__(
        self,
        app: App,
        *,
        db: Database,
        signing_secret: str,
        recent_events: RecentEvents | None = None,
    ) -> None:
        super().__init__(app, path=EVENTS_PATH)
        self.db = db
        self.secret = signing_secret.encode()
        self.recent_events = recent_events or RecentEvents()

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        environ = request.environ
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _text(400, "bad Content-Length")
        raw: bytes = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = request.get_headers()
        if _is_ssl_check(raw, str(headers.get("content-type") or "")):
            return BoltResponse(status=200, body="")
        timestamp = str(headers.get("x-slack-request-timestamp") or "")
        signature = str(headers.get("x-slack-signature") or "")
        if not _signed(self.secret, raw, timestamp, signature):
            return _text(401, "invalid request signature")
        try:
            body = raw.decode("utf-8")
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=headers)
            problem = shape_problem(bolt_request.body)
        except Exception as exc:  # noqa: BLE001 - not UTF-8, not JSON, a `payload` that is
            # not JSON, or a JSON shape Bolt's own parsing trips over: refused with a 400
            problem = f"unreadable ({type(exc).__name__})"
        if problem is not None:
            log.warning("rejected a signed request whose body Slack would not send: %s", problem)
            return _text(400, "malformed request body")
        event_id = _event_id(bolt_request.body)
        if event_id is not None and not self.recent_events.take(event_id):
            log.info(
                "acknowledged a redelivery of event %s (retry %s, %s) without processing it",
                event_id,
                _header(headers, "x-slack-retry-num") or "-",
                _header(headers, "x-slack-retry-reason") or "-",
            )
            return BoltResponse(status=200, body="")
        response: BoltResponse | None = None
        try:
            response = self.app.dispatch(bolt_request)
            return response
        except Exception as exc:  # noqa: BLE001 - a signed body no check above foresaw: a 400
            log.warning("rejected a signed request Bolt could not handle: %s", type(exc).__name__)
            return _text(400, "malformed request body")
        finally:
            if event_id is not None and (response is None or not 200 <= response.status < 300):
                self.recent_events.forget(event_id)

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


# The types Slack sends for the fields that Bolt (to route a request) and planbot's listeners
# (to read it) look at, wherever they appear in the envelope, the payload and the objects below.
_NONE = type(None)
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "id": (str,),
    "user": (dict, str),
    "user_id": (str,),
    "team": (dict, str, _NONE),
    "team_id": (str, _NONE),
    "enterprise": (dict, str, _NONE),
    "enterprise_id": (str, _NONE),
    "channel": (dict, str, _NONE),
    "channel_id": (str,),
    "api_app_id": (str,),
    "command": (str,),
    "text": (str, dict, _NONE),
    "trigger_id": (str,),
    "response_url": (str,),
    "callback_id": (str,),
    "action_id": (str,),
    "block_id": (str,),
    "value": (str, _NONE),
    "action_ts": (str,),
    "message_ts": (str,),
    "view_id": (str,),
    "thread_ts": (str, _NONE),
    "private_metadata": (str, _NONE),
    "hash": (str, _NONE),
    "app_installed_team_id": (str, _NONE),
    "tab": (str,),
    "is_ext_shared_channel": (bool,),
    "is_enterprise_install": (bool, str, _NONE),
    "event": (dict,),
    "message": (dict, _NONE),
    "previous_message": (dict, _NONE),
    "item": (dict,),
    "assistant_thread": (dict,),
    "function_data": (dict,),
    "container": (dict,),
    "view": (dict,),
    "state": (dict, _NONE),
    "selected_option": (dict, _NONE),
    "actions": (list,),
    "authorizations": (list, _NONE),
    "response_urls": (list, _NONE),
    "blocks": (list, _NONE),
}
# Where those objects are: the dicts, and the lists of dicts, checked in turn.
_OBJECTS = frozenset(
    {"user", "team", "enterprise", "channel", "event", "message", "previous_message", "item"}
    | {"assistant_thread", "function_data", "container", "view", "state", "selected_option"}
)
_LISTS_OF_OBJECTS = frozenset({"actions", "authorizations", "response_urls", "blocks"})
# Interactivity payloads: a person did something, and `user` is that person ({"id": ...}).
_INTERACTIVE = frozenset(
    {"block_actions", "block_suggestion", "view_submission", "view_closed", "shortcut"}
    | {"message_action", "interactive_message"}
)
# What those objects always carry when Slack sends them (a person, a view, a pressed button).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "user": ("id",),
    "view": ("id",),
    "actions": ("action_id",),
}


def shape_problem(body: object, where: str = "body", depth: int = 0) -> str | None:
    """What makes a signed body something Slack would not send, or None when it could be.

    Slack's JSON always has the same shape; a body that does not (forged by someone who holds
    the signing secret, or mangled on the way) would trip Bolt's routing or a listener that
    reads `user.id` or `view.state.values` into an error and a 500. Checked once, here.
    """
    if not isinstance(body, dict):
        return f"{where} is not an object"
    if depth == 0 and body.get("type") in _INTERACTIVE and not isinstance(body.get("user"), dict):
        return f"{where}.user is not a person"
    if depth > 4:
        return None
    for key, value in body.items():
        allowed = _FIELD_TYPES.get(key)
        if allowed is not None and not isinstance(value, allowed):
            return f"{where}.{key} is {type(value).__name__}"
        required = _REQUIRED.get(key, ())
        if key in _OBJECTS and isinstance(value, dict):
            if missing := [name for name in required if name not in value]:
                return f"{where}.{key} has no {missing[0]}"
            if problem := shape_problem(value, f"{where}.{key}", depth + 1):
                return problem
        elif key in _LISTS_OF_OBJECTS and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict) and (missing := [n for n in required if n not in item]):
                    return f"{where}.{key}[{index}] has no {missing[0]}"
                if problem := shape_problem(item, f"{where}.{key}[{index}]", depth + 1):
                    return problem
    values = body.get("values") if where.endswith(".state") else None
    if values is not None and not (
        isinstance(values, dict)
        and all(
            isinstance(elements, dict) and all(isinstance(v, dict) for v in elements.values())
            for elements in values.values()
        )
    ):
        return f"{where}.values is not blocks of elements"
    return None


def _is_ssl_check(raw: bytes, content_type: str) -> bool:
    """Slack's certificate check: a form body whose `ssl_check` field is `1` (as Bolt tests).
    Any other body (a JSON event, say) is never one, whatever its text holds."""
    form = content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
    if not form or b"ssl_check" not in raw:
        return False
    try:
        fields = parse_qs(raw.decode("utf-8", errors="replace"), max_num_fields=20)
    except ValueError:  # more fields than Slack's two or three: not one
        return False
    return fields.get("ssl_check", [""])[0] == "1"


def _event_id(body: dict[str, Any]) -> str | None:
    """The `event_id` of an Events API delivery (`event_callback`), or None for anything else."""
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
        return event_id
    return None


def _header(headers: dict[str, Any], name: str) -> str:
    return str(headers.get(name) or "")[:40]


def _signed(secret: bytes, body: bytes, timestamp: str, signature: str) -> bool:
    """Slack's scheme: `v0=` HMAC-SHA256 of `v0:<timestamp>:<raw body>`, at most 5 minutes old.

    Computed over the raw bytes (slack_sdk's verifier wants text), so a signed body that is
    not UTF-8 is told apart from a forged one.
    """
    if not timestamp.isdigit() or not signature.startswith("v0="):
        return False
    if abs(time.time() - int(timestamp)) > MAX_REQUEST_AGE_SECONDS:
        return False
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest("v0=" + expected.hexdigest(), signature)


def _text(status: int, text: str) -> BoltResponse:
    return BoltResponse(
        status=status, body=text, headers={"content-type": "text/plain; charset=utf-8"}
    )


@dataclass
class RunningServer:
    """A waitress server running in a background thread (tests, and embedding)."""

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


def make_server(
    wsgi: PlanbotWSGI,
    *,
    host: str = "0.0.0.0",  # noqa: S104 - a server, usually behind a proxy or in a container
    port: int = DEFAULT_PORT,
    threads: int = DEFAULT_THREADS,
) -> Any:
    """A waitress server for `wsgi` (not started): `run()` serves until interrupted."""
    from waitress.server import create_server

    return create_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        ident="planbot",
        max_request_body_size=MAX_BODY_BYTES,
        channel_timeout=30,
    )


def start_http_server(
    wsgi: PlanbotWSGI,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    threads: int = DEFAULT_THREADS,
) -> RunningServer:
    """Serve `wsgi` in a background thread (port 0: a free port); `stop()` ends it."""
    from waitress import wasyncore

    server = make_server(wsgi, host=host, port=port, threads=threads)
    stopping = threading.Event()

    def serve() -> None:
        # waitress's own run() only ends on KeyboardInterrupt; poll briefly instead, and close
        # the sockets from this thread, never from under a select() in progress.
        try:
            while not stopping.is_set():
                wasyncore.loop(timeout=0.05, map=server._map, count=1)
        finally:
            server.task_dispatcher.shutdown(timeout=5)
            wasyncore.close_all(server._map)

    thread = threading.Thread(target=serve, name="planbot-http", daemon=True)
    thread.start()
    return RunningServer(server=server, thread=thread, host=host, stopping=stopping)
