# Over 400 lines: the fake Slack Web API: every method planbot calls and every rule it enforces.
"""A fake Slack Web API served on loopback, for tests.

Point the real ``slack_sdk`` (or Bolt, or ``SLACK_API_URL``) at it and assert on what it received::

    with FakeSlack() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C1", text="Update due")
        [call] = fake.calls_to("chat.postMessage")
        assert call.args["text"] == "Update due"

In tests use the ``fake_slack`` fixture from ``tests/conftest.py``: one server per test session,
``reset()`` before every test.

Addresses (``fake.root`` is ``http://127.0.0.1:PORT/``):

- ``fake.url`` = ``<root>api/``: the Web API base URL (``WebClient(base_url=fake.url)``).
- ``<root>upload/<file_id>``: the upload URL handed out by ``files.getUploadURLExternal``.
- ``<root>response/<name>``: stands in for a Slack ``response_url``; make one with
  ``fake.response_url("name")``. Posts to it are recorded with method ``"response_url"``.

Methods answered with realistic JSON: ``auth.test``, ``chat.postMessage``, ``chat.postEphemeral``,
``chat.update``, ``chat.delete``, ``chat.getPermalink``, ``conversations.open``, ``views.open``,
``views.update``, ``views.push``, ``views.publish``, ``users.info``, ``users.lookupByEmail``,
``users.list``, ``files.getUploadURLExternal``, ``files.completeUploadExternal``, ``files.info``,
``apps.connections.open`` (answers ``fake.socket_url``; needs an ``xapp-`` token, as Slack does).
Anything else answers ``{"ok": false, "error": "unknown_method"}`` unless you add it with
``fake.on("reactions.add", lambda args: {"ok": True})``. A call without a token gets
``not_authed``.

Recording. Every request body is parsed (JSON, form-encoded or multipart, plus the query string)
into ``args``; fields Slack carries as JSON strings (``blocks``, ``attachments``, ``view``,
``files``, ``metadata``) are decoded, so ``args["blocks"]`` is a list whichever encoding the SDK
chose. Header names are lower-cased.

- ``fake.calls``: requests answered ``ok: true``, in arrival order, as :class:`Call` (``method``,
  ``args``, ``headers``, ``response``, ``path``). These are the deliveries: count them exactly.
- ``fake.faults``: every other request, as :class:`Fault` with a ``kind``: ``"429"``/``"500"``/...
  (an injected HTTP status), ``"error"`` (an injected ``ok: false``), ``"drop"``/``"reset"`` (the
  connection was closed, or reset, without an answer), ``"drop_after_processing"`` (processed and
  recorded in ``calls`` too, then the answer was lost), ``"rate_limited"`` (``rate_limit()``), and
  ``"api_error"`` (a genuine Slack error such as ``user_not_found`` or ``channel_not_found``).
- ``fake.calls_to("chat.postMessage")``, ``fake.faults_for(...)``, ``fake.uploaded_files``
  (file name -> bytes), ``fake.message(channel, ts)``, ``fake.view(view_id)``,
  ``fake.home_view(user_id)``, ``fake.dm_channel(user_id)``.
- ``fake.wait_for_calls(method, count=1, timeout=5.0)``: block until Bolt's listener threads have
  made the calls (a condition wait, not a sleep).

Strict by default: the fake refuses what Slack refuses (docs/slack-rules.md has each rule and
its source; tests/test_fakeslack_rules.py shows each one enforced):

- Block Kit, checked by :mod:`support.slackrules`: limits per block and element, 50 blocks per
  message and 100 per view, unique block_ids, modal titles and metadata, 250 kB a view
  (``invalid_blocks`` for messages, ``invalid_arguments`` or ``view_too_large`` for views, with
  Slack-style ``response_metadata.messages``); about 12,000 characters of block text per
  ``chat.postMessage``/``chat.update`` (``msg_blocks_too_long``); unescaped ``<``, ``>`` or ``&``
  in mrkdwn that is not a Slack token.
- trigger_ids: ``views.open``/``views.push`` take only one issued by :func:`issue_trigger_id` (the
  test client puts one in every payload), within 3 s, once (``invalid_trigger_id``,
  ``expired_trigger_id``, ``exchanged_trigger_id``).
- Scopes: the token holds the manifest's bot scopes (``fake.scopes``); a method needing another
  answers ``missing_scope`` with ``needed`` and ``provided``.
- Channels: ``chat.postMessage``, ``chat.postEphemeral`` and file shares to a ``C…``, ``G…`` or
  ``#name`` channel need ``fake.add_channel(id, name=..., members=..., bot=True)`` first
  (``channel_not_found``), with the bot a member (``not_in_channel``). DMs (a user id, a ``D…``
  id, or a ``conversations.open`` answer) need nothing.
- JSON bodies: read methods (``FORM_ONLY_METHODS``, ``users.info`` among them) take their
  arguments from the query string or a form; a JSON body's go unread, as on Slack.
- ``response_url``: 5 posts within 30 minutes of ``fake.response_url()`` (then 404 ``used_url`` or
  ``expired_url``); a message Slack would refuse gets 400.
- Rate limits: each method's tier (``METHOD_TIERS``: calls a minute, bursts up to a minute's
  worth) and ``chat.postMessage`` at about one a second per channel after a burst of
  ``POST_BURST``: HTTP 429 with ``Retry-After``.

``fake.loosen(rule, why="...")`` lifts one rule of ``RULES`` until ``reset()``: only in a test that
shows the bot copes with a lenient answer, saying so.

Users. Any user id is a live user by default. ``fake.add_user("U1", real_name=..., email=...)``
sets the profile (and makes ``users.lookupByEmail`` find it). ``fake.deactivate("U123")``: then
``users.info`` says ``deleted: true`` and ``conversations.open`` answers ``user_disabled``, but
``chat.postMessage`` to the user succeeds, as on Slack (python-slack-sdk issue #1156);
``fake.deactivated_post_error = "channel_not_found"`` makes such posts fail instead.
``fake.missing("U9")``: ``users.info`` answers ``user_not_found``; so do ``conversations.open``
and ``users.lookupByEmail``, and ``chat.postMessage`` answers ``channel_not_found``.

Faults (all cleared by ``reset()``):

- ``fake.fail_next(method, status=429, retry_after=1, count=1)``: HTTP error (429 carries
  ``Retry-After``; 500/503 are what ``ServerErrorRetryHandler`` retries).
- ``fake.fail_next(method, error="invalid_auth")``: HTTP 200 with ``ok: false``.
- ``fake.drop_next(method, count=1, processed=False)``: close the connection without answering
  (``processed=True``: do the work first, so the call is recorded, then lose the answer).
- ``fake.fault_rate(0.2, seed=1, kinds=("429", "500", "reset"))``: fail that share of API calls
  at random, deterministically for a seed and an order of calls.
- ``fake.rate_limit("chat.postMessage", per_minute=N)``: answer 429 with ``Retry-After`` once N
  calls were admitted within the window (``window_seconds``, 60 by default; ``per_channel=True``
  counts each channel apart, like Slack's one-message-a-second-per-channel limit).
- ``fake.latency = 0.2``: seconds to wait before answering each request.

``method`` may be ``"*"`` for any method; ``"upload"`` and ``"response_url"`` name the upload and
response-URL endpoints.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import math
import os
import random
import socket
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from support import slackrules

JsonDict = dict[str, Any]
MethodHandler = Callable[[JsonDict], JsonDict]

TEAM_ID = "T0PLANBOT"
TEAM_NAME = "Planbot Test"
TEAM_DOMAIN = "planbot-test"
BOT_USER_ID = "U0PLANBOT"
BOT_ID = "B0PLANBOT"
APP_ID = "A0PLANBOT"

# Arguments Slack carries as JSON strings inside form-encoded bodies.
JSON_STRING_ARGS = frozenset({"blocks", "attachments", "view", "files", "metadata"})
FAULT_KINDS = frozenset({"429", "500", "503", "drop", "reset"})

# What a strict fake enforces; `loosen(rule, why=...)` lifts one for a test (docs/slack-rules.md).
RULES = frozenset(
    {
        "blocks",
        "mrkdwn",
        "budget",
        "triggers",
        "scopes",
        "channels",
        "response_urls",
        "rate_limits",
        "json_bodies",
    }
)

# "Most write methods allow arguments with application/json": these read methods take theirs
# from the query string or a form only, and a JSON body's arguments go unread.
FORM_ONLY_METHODS = frozenset(
    {"users.info", "users.list", "users.lookupByEmail", "files.info", "chat.getPermalink"}
)

# The scopes a bot token needs for each method (any one of them will do).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "conversations.open": ("im:write", "mpim:write", "channels:manage", "groups:write"),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "files.info": ("files:read",),
}

# Web API rate tiers: calls a minute per workspace, with bursts up to a minute's worth.
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "chat.postEphemeral": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "conversations.open": 3,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "users.info": 4,
    "users.lookupByEmail": 3,
    "users.list": 2,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "files.info": 4,
}
# chat.postMessage: about one message a second per channel, with short bursts.
POST_PER_SECOND = 1.0
POST_BURST = 5

RESPONSE_URL_USES = 5
RESPONSE_URL_TTL_SECONDS = 30 * 60
_TS_EPOCH = 1_700_000_000

# trigger_ids: Slack attaches one to each inbound payload; it opens one view, within 3 s.
# The test client issues them (`issue_trigger_id`) and every fake in the process can check
# them: the issue time is inside the id, signed with this process's key.
TRIGGER_TTL_SECONDS = 3.0
_TRIGGER_KEY = os.urandom(16)
_trigger_serial = itertools.count(1)


def issue_trigger_id(*, issued_at: float | None = None) -> str:
    """A trigger_id as Slack sends it with an inbound payload, issued now (or at `issued_at`,
    a `time.time()` value, to stand for a payload that waited)."""
    stamp_ms = int((time.time() if issued_at is None else issued_at) * 1000)
    body = f"{next(_trigger_serial)}.{stamp_ms}"
    mac = hmac.new(_TRIGGER_KEY, body.encode(), hashlib.sha256).hexdigest()[:20]
    return f"{body}.{mac}"


def trigger_issued_at(trigger_id: str) -> float | None:
    """When a trigger_id was issued (seconds since the epoch), or None if it was not issued
    by `issue_trigger_id` in this process."""
    body, _, mac = trigger_id.rpartition(".")
    expected = hmac.new(_TRIGGER_KEY, body.encode(), hashlib.sha256).hexdigest()[:20]
    if not body or not hmac.compare_digest(mac, expected):
        return None
    return int(body.rpartition(".")[2]) / 1000


@dataclass(frozen=True)
class Call:
    """A request the fake answered with ``ok: true``."""

    method: str
    args: JsonDict
    headers: dict[str, str]
    response: JsonDict = field(default_factory=dict)
    path: str = ""


@dataclass(frozen=True)
class Fault:
    """A request that was not answered ``ok: true`` (injected fault or genuine API error)."""

    method: str
    kind: str
    args: JsonDict
    headers: dict[str, str]
    error: str | None = None
    path: str = ""


@dataclass
class _PlannedFault:
    kind: str  # "status", "error", "drop", "reset"
    remaining: int
    status: int = 429
    retry_after: int = 1
    error: str | None = None
    processed: bool = False


@dataclass
class _RateLimit:
    per_window: int
    window_seconds: float
    per_channel: bool
    admitted: dict[str, deque[float]] = field(default_factory=dict)


@dataclass
class _Bucket:
    """A token bucket: `capacity` calls at once, refilled at `per_second`."""

    capacity: float
    per_second: float
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """Take one token; 0.0 when admitted, else the seconds until one is free."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass
class _Channel:
    id: str
    name: str
    members: set[str]


@dataclass
class _ResponseUrl:
    created: float
    uses: int = 0


@dataclass
class _FaultRate:
    fraction: float
    rng: random.Random
    kinds: tuple[str, ...]
    methods: frozenset[str] | None
    retry_after: int


@dataclass
class _Verdict:
    """How the fake will answer one request when it is not answered normally."""

    kind: str  # "status", "error", "drop", "reset", "drop_after_processing"
    status: int = 200
    retry_after: int | None = None
    error: str | None = None
    fault_kind: str = ""


@dataclass
class _UploadedFile:
    id: str
    name: str
    length: int
    alt_txt: str | None
    content: bytes | None = None
    title: str | None = None


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    planned: dict[str, deque[_PlannedFault]] = field(default_factory=dict)
    rate_limits: dict[str, _RateLimit] = field(default_factory=dict)
    fault_rate: _FaultRate | None = None
    users: dict[str, JsonDict] = field(default_factory=dict)
    deactivated: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    conversations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    messages: dict[tuple[str, str], JsonDict] = field(default_factory=dict)
    views: dict[str, JsonDict] = field(default_factory=dict)
    home_views: dict[str, JsonDict] = field(default_factory=dict)
    files: dict[str, _UploadedFile] = field(default_factory=dict)
    handlers: dict[str, MethodHandler] = field(default_factory=dict)
    serial: int = 0
    loosened: dict[str, str] = field(default_factory=dict)  # rule -> the test's reason
    used_triggers: set[str] = field(default_factory=set)
    response_urls: dict[str, _ResponseUrl] = field(default_factory=dict)
    channels: dict[str, _Channel] = field(default_factory=dict)
    buckets: dict[str, _Bucket] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        self.server.fake._serve(self)

    def do_GET(self) -> None:
        self.server.fake._serve(self)


class FakeSlack:
    """A fake Slack Web API on 127.0.0.1; see the module docstring."""

    def __init__(self, *, latency: float = 0.0, scopes: Iterable[str] | None = None) -> None:
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._state = _State()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._initial_latency = latency
        self.latency = latency
        self.socket_url: str | None = None
        # Real Slack takes a post to a deactivated user (python-slack-sdk #1156): no error.
        self.deactivated_post_error: str | None = None
        self._initial_scopes = frozenset(scopes if scopes is not None else manifest_scopes())
        self.scopes = self._initial_scopes  # what the token was granted
        # Seconds, for rate limits and response_url lifetimes; a test may stop it.
        self.clock: Callable[[], float] = time.monotonic

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Serve on a free loopback port in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="fake-slack",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def url(self) -> str:
        """The Web API base URL, ending in ``/api/``."""
        return f"{self.root}api/"

    def response_url(self, name: str = "r", *, issued_at: float | None = None) -> str:
        """A URL that stands in for a Slack ``response_url``: 5 uses within 30 minutes of
        ``issued_at`` (a ``fake.clock()`` value; default now)."""
        path = f"/response/{name}"
        created = self.clock() if issued_at is None else issued_at
        with self._lock:
            self._state.response_urls.setdefault(path, _ResponseUrl(created=created))
        return f"{self.root}{path[1:]}"

    def loosen(self, rule: str, *, why: str) -> None:
        """Stop enforcing one rule (``RULES``) until ``reset()``: only to show the bot copes
        with a lenient answer, and ``why`` says so."""
        if rule not in RULES:
            raise ValueError(f"rule must be one of {sorted(RULES)}, got {rule!r}")
        if not why.strip():
            raise ValueError("say why the fake is loosened")
        with self._lock:
            self._state.loosened[rule] = why

    def enforces(self, rule: str) -> bool:
        """Whether a rule of ``RULES`` is enforced now."""
        with self._lock:
            return rule not in self._state.loosened

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        members: Iterable[str] = (),
        bot: bool = True,
    ) -> str:
        """A channel (``C…`` public, ``G…`` private) with ``members``; the bot is one unless
        ``bot=False``. Posting to a channel the fake does not know is ``channel_not_found``."""
        chosen = set(members) | ({BOT_USER_ID} if bot else set())
        with self._lock:
            self._state.channels[channel_id] = _Channel(
                id=channel_id, name=name or channel_id.lower(), members=chosen
            )
        return channel_id

    def reset(self) -> None:
        """Forget every call, fault, user, view and setting; keep serving on the same port."""
        with self._lock:
            self._state = _State()
            self.latency = self._initial_latency
            self.socket_url = None
            self.deactivated_post_error = None
            self.scopes = self._initial_scopes
            self.clock = time.monotonic

    # -- what was received ---------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Requests answered ``ok: true``, oldest first (a copy)."""
        with self._lock:
            return list(self._state.calls)

    @property
    def faults(self) -> list[Fault]:
        """Requests not answered ``ok: true``, oldest first (a copy)."""
        with self._lock:
            return list(self._state.faults)

    def calls_to(self, method: str) -> list[Call]:
        """Successful calls of one method."""
        with self._lock:
            return [call for call in self._state.calls if call.method == method]

    def faults_for(self, method: str) -> list[Fault]:
        """Faults of one method."""
        with self._lock:
            return [fault for fault in self._state.faults if fault.method == method]

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` successful calls of ``method`` arrived; AssertionError if not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                calls = [call for call in self._state.calls if call.method == method]
                if len(calls) >= count:
                    return calls
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [call.method for call in self._state.calls]
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout}s, got "
                        f"{len(calls)}; calls so far: {seen}"
                    )
                self._changed.wait(remaining)

    @property
    def uploaded_files(self) -> dict[str, bytes]:
        """Bytes uploaded through ``files_upload_v2``, by file name."""
        with self._lock:
            return {f.name: f.content for f in self._state.files.values() if f.content is not None}

    def message(self, channel: str, ts: str) -> JsonDict | None:
        """The current state of a posted (and perhaps updated) message."""
        with self._lock:
            found = self._state.messages.get((channel, ts))
            return dict(found) if found is not None else None

    def view(self, view_id: str) -> JsonDict | None:
        """The current state of an opened, pushed or updated view."""
        with self._lock:
            found = self._state.views.get(view_id)
            return dict(found) if found is not None else None

    def home_view(self, user_id: str) -> JsonDict | None:
        """The App Home view last published for a user."""
        with self._lock:
            found = self._state.home_views.get(user_id)
            return dict(found) if found is not None else None

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id ``conversations.open`` returns for one user."""
        return "D" + user_id[1:] if user_id[:1] in {"U", "W"} else "D" + user_id

    # -- users -----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        email: str | None = None,
        tz: str = "Europe/London",
        is_admin: bool = False,
        is_bot: bool = False,
    ) -> JsonDict:
        """Register a user's profile; returns the user object ``users.info`` will answer."""
        with self._lock:
            self._state.users[user_id] = {
                "real_name": real_name or f"User {user_id}",
                "display_name": display_name or "",
                "email": email or f"{user_id.lower()}@example.gov.uk",
                "tz": tz,
                "is_admin": is_admin,
                "is_bot": is_bot,
            }
            self._state.missing.discard(user_id)
            return self._user(user_id)

    def deactivate(self, *user_ids: str) -> None:
        """Mark users as deactivated (``deleted: true``)."""
        with self._lock:
            self._state.deactivated.update(user_ids)

    def missing(self, *user_ids: str) -> None:
        """Make user ids unknown to the workspace (``user_not_found``)."""
        with self._lock:
            self._state.missing.update(user_ids)

    # -- behaviour -------------------------------------------------------------------------

    def on(self, method: str, handler: MethodHandler) -> None:
        """Answer ``method`` with ``handler(args)`` (``ok`` defaults to true)."""
        with self._lock:
            self._state.handlers[method] = handler

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        error: str | None = None,
    ) -> None:
        """Fail the next ``count`` calls with HTTP ``status`` (or ``ok: false`` if ``error``)."""
        planned = _PlannedFault(
            kind="error" if error else "status",
            remaining=count,
            status=status,
            retry_after=retry_after,
            error=error,
        )
        with self._lock:
            self._state.planned.setdefault(method, deque()).append(planned)

    def drop_next(self, method: str, *, count: int = 1, processed: bool = False) -> None:
        """Close the connection without answering the next ``count`` calls."""
        planned = _PlannedFault(kind="drop", remaining=count, processed=processed)
        with self._lock:
            self._state.planned.setdefault(method, deque()).append(planned)

    def fault_rate(
        self,
        fraction: float,
        seed: int = 0,
        kinds: Iterable[str] = ("429", "500", "reset"),
        *,
        methods: Iterable[str] | None = None,
        retry_after: int = 0,
    ) -> None:
        """Fail ``fraction`` of API calls at random (``fraction=0`` turns it off)."""
        chosen = tuple(kinds)
        unknown = set(chosen) - FAULT_KINDS
        if unknown or not chosen:
            raise ValueError(f"fault kinds must be among {sorted(FAULT_KINDS)}, got {chosen}")
        with self._lock:
            self._state.fault_rate = (
                _FaultRate(
                    fraction=fraction,
                    rng=random.Random(seed),
                    kinds=chosen,
                    methods=frozenset(methods) if methods is not None else None,
                    retry_after=retry_after,
                )
                if fraction > 0
                else None
            )

    def rate_limit(
        self,
        method: str,
        *,
        per_minute: int,
        window_seconds: float = 60.0,
        per_channel: bool = False,
    ) -> None:
        """Admit ``per_minute`` calls per window, then answer 429 with ``Retry-After``."""
        with self._lock:
            self._state.rate_limits[method] = _RateLimit(
                per_window=per_minute, window_seconds=window_seconds, per_channel=per_channel
            )

    # -- serving -------------------------------------------------------------------------------

    def _serve(self, request: _Handler) -> None:
        headers = {name.lower(): value for name, value in request.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = request.rfile.read(length) if length else b""
        split = urlsplit(request.path)
        path = split.path
        if path.startswith("/api/"):
            method = path.removeprefix("/api/")
        elif path.startswith("/upload/"):
            method = "upload"
        elif path.startswith("/response/"):
            method = "response_url"
        else:
            _send(request, 404, {"ok": False, "error": "not_found"})
            return

        if method == "upload":
            args: JsonDict = {"file_id": path.removeprefix("/upload/"), "content": body}
        else:
            content_type = headers.get("content-type", "")
            if (
                method in FORM_ONLY_METHODS
                and content_type.split(";")[0].strip().lower() == "application/json"
                and self.enforces("json_bodies")
            ):
                body = b""  # Slack does not read it
            try:
                args = _parse_args(split.query, content_type, body)
            except ValueError as exc:
                _send(request, 400, {"ok": False, "error": str(exc)})
                return

        if self.latency > 0:
            time.sleep(self.latency)

        verdict = self._verdict(method, args)
        if verdict is not None and verdict.kind != "drop_after_processing":
            self._record_fault(method, verdict.fault_kind, args, headers, verdict.error, path)
            if verdict.kind in {"drop", "reset"}:
                _drop(request, reset=verdict.kind == "reset")
                return
            if verdict.kind == "status":
                error = "ratelimited" if verdict.status == 429 else _status_error(verdict.status)
                extra = (
                    {"Retry-After": str(verdict.retry_after)}
                    if verdict.retry_after is not None
                    else {}
                )
                _send(request, verdict.status, {"ok": False, "error": error}, extra)
                return
            _send(request, 200, {"ok": False, "error": verdict.error})
            return

        status, response, text = self._answer(method, args, headers, path)
        if verdict is not None:
            self._record_fault(method, verdict.fault_kind, args, headers, None, path)
            _drop(request, reset=False)
            return
        if text is not None:
            _send_text(request, status, text)
        else:
            _send(request, status, response)

    def _verdict(self, method: str, args: JsonDict) -> _Verdict | None:
        with self._lock:
            state = self._state
            for key in (method, "*"):
                queue = state.planned.get(key)
                if not queue:
                    continue
                planned = queue[0]
                planned.remaining -= 1
                if planned.remaining <= 0:
                    queue.popleft()
                return _planned_verdict(planned)

            rate = state.fault_rate
            is_api_method = method not in {"upload", "response_url"}
            eligible = rate is not None and (
                method in rate.methods if rate.methods is not None else is_api_method
            )
            if rate is not None and eligible and rate.rng.random() < rate.fraction:
                kind = rate.rng.choice(rate.kinds)
                if kind in {"drop", "reset"}:
                    return _Verdict(kind=kind, fault_kind=kind)
                status = int(kind)
                return _Verdict(
                    kind="status",
                    status=status,
                    retry_after=rate.retry_after if status == 429 else None,
                    fault_kind=kind,
                )

            limit = state.rate_limits.get(method)
            if limit is not None:
                key = str(args.get("channel", "")) if limit.per_channel else ""
                admitted = limit.admitted.setdefault(key, deque())
                now = time.monotonic()
                while admitted and admitted[0] <= now - limit.window_seconds:
                    admitted.popleft()
                if len(admitted) >= limit.per_window:
                    wait = admitted[0] + limit.window_seconds - now
                    return _Verdict(
                        kind="status",
                        status=429,
                        retry_after=max(1, math.ceil(wait)),
                        fault_kind="rate_limited",
                    )
                admitted.append(now)
                return None
            return self._tier_verdict(method, args)

    def _tier_verdict(self, method: str, args: JsonDict) -> _Verdict | None:
        """Slack's own rate limits: the method's tier, or chat.postMessage's per channel."""
        state = self._state
        if "rate_limits" in state.loosened:
            return None
        if method == "chat.postMessage":
            key = f"{method} {args.get('channel', '')}"
            capacity, per_second = float(POST_BURST), POST_PER_SECOND
        elif method in METHOD_TIERS:
            key = method
            per_minute = TIER_PER_MINUTE[METHOD_TIERS[method]]
            capacity, per_second = float(per_minute), per_minute / 60
        else:
            return None
        now = self.clock()
        bucket = state.buckets.setdefault(key, _Bucket(capacity, per_second, capacity, now))
        wait = bucket.take(now)
        if wait <= 0:
            return None
        return _Verdict(
            kind="status",
            status=429,
            retry_after=max(1, math.ceil(wait)),
            fault_kind="rate_limited",
        )

    def _record_fault(
        self,
        method: str,
        kind: str,
        args: JsonDict,
        headers: dict[str, str],
        error: str | None,
        path: str,
    ) -> None:
        with self._changed:
            self._state.faults.append(Fault(method, kind, args, headers, error, path))
            self._changed.notify_all()

    def _answer(
        self, method: str, args: JsonDict, headers: dict[str, str], path: str
    ) -> tuple[int, JsonDict, str | None]:
        """Do the work of one request and record it: (status, JSON body, or a text body)."""
        with self._changed:
            text: str | None = None
            status = 200
            if method == "upload":
                response, text = self._upload(args)
                if text is None:
                    status = 404
            elif method == "response_url":
                status, response, text = self._response_url_post(path, args)
            else:
                response = self._api(method, args, headers)
            if response.get("ok") and status == 200:
                self._state.calls.append(Call(method, args, headers, response, path))
            else:
                error = response.get("error")
                self._state.faults.append(Fault(method, "api_error", args, headers, error, path))
            self._changed.notify_all()
            return status, response, text

    def _api(self, method: str, args: JsonDict, headers: dict[str, str]) -> JsonDict:
        token = _token(args, headers)
        if not token:
            return {"ok": False, "error": "not_authed"}
        needed = METHOD_SCOPES.get(method, ())
        if needed and "scopes" not in self._state.loosened and not self.scopes & set(needed):
            return {
                "ok": False,
                "error": "missing_scope",
                "needed": needed[0],
                "provided": ",".join(sorted(self.scopes)),
            }
        custom = self._state.handlers.get(method)
        if custom is not None:
            return {"ok": True, **custom(args)}
        if method == "apps.connections.open":
            if not token.startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            url = self.socket_url or f"ws://127.0.0.1:{self.port}/socket"
            return {"ok": True, "url": url}
        builtin = _METHODS.get(method)
        if builtin is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        return builtin(self, args)

    # -- the Web API methods (called with the lock held) ---------------------------------------

    def _next_serial(self) -> int:
        self._state.serial += 1
        return self._state.serial

    def _next_ts(self) -> str:
        serial = self._next_serial()
        return f"{_TS_EPOCH + serial // 1_000_000}.{serial % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}0{self._next_serial():09d}"

    def _user_state(self, user_id: str) -> str:
        if user_id in self._state.missing:
            return "missing"
        if user_id in self._state.deactivated:
            return "deactivated"
        return "active"

    def _user(self, user_id: str) -> JsonDict:
        profile = self._state.users.get(user_id, {})
        real_name = profile.get("real_name", f"User {user_id}")
        display_name = profile.get("display_name", "")
        email = profile.get("email", f"{user_id.lower()}@example.gov.uk")
        tz = profile.get("tz", "Europe/London")
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
        first, _, last = real_name.partition(" ")
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": user_id.lower(),
            "deleted": user_id in self._state.deactivated,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": display_name,
                "display_name_normalized": display_name,
                "first_name": first,
                "last_name": last,
                "email": email,
                "image_48": f"https://avatars.example.invalid/{user_id}_48.png",
                "team": TEAM_ID,
            },
            "is_admin": bool(profile.get("is_admin", False)),
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": bool(profile.get("is_bot", False)),
            "is_app_user": False,
            "updated": _TS_EPOCH,
            "is_email_confirmed": True,
        }

    def _auth_test(self, args: JsonDict) -> JsonDict:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "planbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _resolve_channel(self, channel: str) -> tuple[str | None, str | None]:
        """Map a ``channel`` argument to a conversation id, or to a Slack error."""
        if not channel:
            return None, "channel_not_found"
        if channel[:1] in {"U", "W"}:
            members: tuple[str, ...] = (channel,)
            resolved = self.dm_channel(channel)
            self._state.conversations.setdefault(resolved, members)
        elif channel in self._state.conversations:
            resolved = channel
            members = self._state.conversations[channel]
        elif channel[:1] in {"C", "G", "#"}:
            return self._resolve_named_channel(channel)
        else:  # a DM (`D…`) with the app
            resolved = channel
            members = ()
        for user_id in members:
            user_state = self._user_state(user_id)
            if user_state == "missing":
                return None, "channel_not_found"
            if user_state == "deactivated" and self.deactivated_post_error:
                return None, self.deactivated_post_error
        return resolved, None

    def _resolve_named_channel(self, channel: str) -> tuple[str | None, str | None]:
        """A channel (`C…`, `G…` or `#name`): known to the fake, with the bot in it."""
        channels = self._state.channels
        known = channels.get(channel) or next(
            (c for c in channels.values() if f"#{c.name}" == channel), None
        )
        if "channels" in self._state.loosened:
            if known is None:
                return (
                    f"C{zlib.crc32(channel.encode()):08X}" if channel[0] == "#" else channel
                ), None
            return known.id, None
        if known is None:
            return None, "channel_not_found"
        if BOT_USER_ID not in known.members:
            return None, "not_in_channel"
        return known.id, None

    def _enforced(self, problems: list[str]) -> list[str]:
        """The problems whose rules are enforced now (`loosen` may lift mrkdwn or blocks)."""
        loosened = self._state.loosened
        return [
            problem
            for problem in problems
            if ("mrkdwn" if problem.startswith(slackrules.MRKDWN_PROBLEM) else "blocks")
            not in loosened
        ]

    def _message_refusal(self, args: JsonDict, *, budget: bool) -> JsonDict | None:
        """Slack's refusal of a message's content, or None when it would take it."""
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            return {"ok": False, "error": "no_text"}
        blocks = args.get("blocks")
        error, problems = slackrules.message_problems(
            blocks,
            args.get("text"),
            mrkdwn=args.get("mrkdwn", True) not in {False, "false", "0"},
            budget=False,
        )
        if error is not None and not problems:
            return {"ok": False, "error": error}
        problems = self._enforced(problems)
        if problems:
            return {"ok": False, "error": error, "response_metadata": {"messages": problems}}
        if (
            budget
            and "budget" not in self._state.loosened
            and isinstance(blocks, list)
            and slackrules.message_budget_used(blocks) > slackrules.MAX_MESSAGE_BLOCK_TEXT
        ):
            return {"ok": False, "error": "msg_blocks_too_long"}
        return None

    def _view_refusal(self, view: Any, *, kind: str) -> JsonDict | None:
        """Slack's refusal of a view, or None when it would take it."""
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        if "blocks" not in self._state.loosened and slackrules.view_too_large(view):
            return {"ok": False, "error": "view_too_large"}
        problems = self._enforced(slackrules.view_problems(view))
        if view.get("type") != kind and "blocks" not in self._state.loosened:
            problems.append(f"[ERROR] must be {kind} [json-pointer:/view/type]")
        if problems:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        return None

    def _trigger_refusal(self, args: JsonDict) -> JsonDict | None:
        """A trigger_id opens one view, within 3 s of the payload that carried it."""
        trigger = str(args.get("trigger_id") or args.get("interactivity_pointer") or "")
        if not trigger:
            return {"ok": False, "error": "invalid_arguments"}
        if "triggers" in self._state.loosened:
            return None
        issued = trigger_issued_at(trigger)
        if issued is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        if trigger in self._state.used_triggers:
            return {"ok": False, "error": "exchanged_trigger_id"}
        if time.time() - issued > TRIGGER_TTL_SECONDS:
            return {"ok": False, "error": "expired_trigger_id"}
        return None

    def _response_url_post(self, path: str, args: JsonDict) -> tuple[int, JsonDict, str | None]:
        """A post to a response_url: 5 uses within 30 minutes, each a valid message."""
        state = self._state
        known = state.response_urls.get(path)
        if "response_urls" not in state.loosened:
            if known is None or self.clock() - known.created > RESPONSE_URL_TTL_SECONDS:
                return 404, {"ok": False, "error": "expired_url"}, "expired_url"
            if known.uses >= RESPONSE_URL_USES:
                return 404, {"ok": False, "error": "used_url"}, "used_url"
        if not args.get("delete_original"):
            refusal = self._message_refusal(args, budget=False)
            if refusal is not None:
                return 400, refusal, str(refusal["error"])
        if known is not None:
            known.uses += 1
        return 200, {"ok": True}, None

    def _chat_post_message(self, args: JsonDict) -> JsonDict:
        channel, error = self._resolve_channel(str(args.get("channel", "")))
        if error or channel is None:
            return {"ok": False, "error": error}
        refusal = self._message_refusal(args, budget=True)
        if refusal is not None:
            return refusal
        ts = self._next_ts()
        message: JsonDict = {
            "type": "message",
            "subtype": "bot_message",
            "text": args.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key) is not None:
                message[key] = args[key]
        self._state.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": dict(message)}

    def _chat_post_ephemeral(self, args: JsonDict) -> JsonDict:
        channel, error = self._resolve_channel(str(args.get("channel", "")))
        if error or channel is None:
            return {"ok": False, "error": error}
        user = str(args.get("user", ""))
        if not user or self._user_state(user) != "active":
            return {"ok": False, "error": "user_not_in_channel"}
        refusal = self._message_refusal(args, budget=False)
        if refusal is not None:
            return refusal
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, args: JsonDict) -> JsonDict:
        channel, error = self._resolve_channel(str(args.get("channel", "")))
        if error or channel is None:
            return {"ok": False, "error": error}
        ts = str(args.get("ts", ""))
        message = self._state.messages.get((channel, ts))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        refusal = self._message_refusal({**message, **args}, budget=True)
        if refusal is not None:
            return refusal
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": dict(message),
        }

    def _chat_delete(self, args: JsonDict) -> JsonDict:
        channel = str(args.get("channel", ""))
        ts = str(args.get("ts", ""))
        self._state.messages.pop((channel, ts), None)
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_get_permalink(self, args: JsonDict) -> JsonDict:
        channel = str(args.get("channel", ""))
        ts = str(args.get("message_ts", ""))
        permalink = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _conversations_open(self, args: JsonDict) -> JsonDict:
        if args.get("channel"):
            channel_id = str(args["channel"])
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}
        users = tuple(u.strip() for u in str(args.get("users", "")).split(",") if u.strip())
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        for user_id in users:
            user_state = self._user_state(user_id)
            if user_state == "missing":
                return {"ok": False, "error": "user_not_found"}
            if user_state == "deactivated":
                return {"ok": False, "error": "user_disabled"}
        if len(users) == 1:
            channel_id = self.dm_channel(users[0])
        else:
            channel_id = f"G{zlib.crc32(','.join(sorted(users)).encode()):08X}"
        already_open = channel_id in self._state.conversations
        self._state.conversations[channel_id] = users
        channel: JsonDict = {"id": channel_id}
        if len(users) == 1:
            channel.update({"is_im": True, "user": users[0], "is_user_deleted": False})
        else:
            channel.update({"is_mpim": True, "is_group": True})
        return {"ok": True, "no_op": already_open, "already_open": already_open, "channel": channel}

    def _store_view(self, view: JsonDict, *, view_id: str | None = None, **extra: Any) -> JsonDict:
        view_id = view_id or self._next_id("V")
        stored: JsonDict = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view.get("type", "modal"),
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{_TS_EPOCH}.{self._next_serial():08x}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
            **extra,
        }
        self._state.views[view_id] = stored
        return stored

    def _views_open(self, args: JsonDict) -> JsonDict:
        view = args.get("view")
        refusal = self._trigger_refusal(args) or self._view_refusal(view, kind="modal")
        if refusal is not None:
            return refusal
        assert isinstance(view, dict)
        self._state.used_triggers.add(str(args.get("trigger_id") or args["interactivity_pointer"]))
        return {"ok": True, "view": dict(self._store_view(view))}

    def _views_push(self, args: JsonDict) -> JsonDict:
        return self._views_open(args)

    def _views_update(self, args: JsonDict) -> JsonDict:
        view = args.get("view")
        refusal = self._view_refusal(view, kind="modal")
        if refusal is not None:
            return refusal
        assert isinstance(view, dict)
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (
                    known_id
                    for known_id, known in self._state.views.items()
                    if known.get("external_id") == args["external_id"]
                ),
                None,
            )
            if view_id is None:
                return {"ok": False, "error": "not_found"}
        if not view_id:
            return {"ok": False, "error": "invalid_arguments"}
        known = self._state.views.get(str(view_id))
        if known is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != known["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        stored = self._store_view(view, view_id=str(view_id))
        return {"ok": True, "view": dict(stored)}

    def _views_publish(self, args: JsonDict) -> JsonDict:
        view = args.get("view")
        user_id = str(args.get("user_id", ""))
        refusal = self._view_refusal(view, kind="home")
        if refusal is not None:
            return refusal
        if not isinstance(view, dict) or not user_id:
            return {"ok": False, "error": "invalid_arguments"}
        if self._user_state(user_id) == "missing":
            return {"ok": False, "error": "user_not_found"}
        previous = self._state.home_views.get(user_id)
        if previous is not None and args.get("hash") and args["hash"] != previous["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        view_id = previous["id"] if previous is not None else None
        stored = self._store_view(view, view_id=view_id)
        self._state.home_views[user_id] = stored
        return {"ok": True, "view": dict(stored)}

    def _users_info(self, args: JsonDict) -> JsonDict:
        user_id = str(args.get("user", ""))
        if not user_id or self._user_state(user_id) == "missing":
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user(user_id)}

    def _users_lookup_by_email(self, args: JsonDict) -> JsonDict:
        email = str(args.get("email", "")).lower()
        for user_id, profile in self._state.users.items():
            if profile["email"].lower() == email and self._user_state(user_id) != "missing":
                return {"ok": True, "user": self._user(user_id)}
        return {"ok": False, "error": "users_not_found"}

    def _users_list(self, args: JsonDict) -> JsonDict:
        members = [
            self._user(user_id)
            for user_id in self._state.users
            if self._user_state(user_id) != "missing"
        ]
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _files_get_upload_url_external(self, args: JsonDict) -> JsonDict:
        filename = args.get("filename")
        length = args.get("length")
        if not filename or length in (None, ""):
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self._next_id("F")
        self._state.files[file_id] = _UploadedFile(
            id=file_id, name=str(filename), length=int(length), alt_txt=args.get("alt_txt")
        )
        return {"ok": True, "upload_url": f"{self.root}upload/{file_id}", "file_id": file_id}

    def _upload(self, args: JsonDict) -> tuple[JsonDict, str | None]:
        uploaded = self._state.files.get(args["file_id"])
        if uploaded is None:
            return {"ok": False, "error": "file_not_found"}, None
        uploaded.content = bytes(args["content"])
        return {"ok": True}, f"OK - {len(uploaded.content)}"

    def _file_object(self, uploaded: _UploadedFile, channels: list[str]) -> JsonDict:
        extension = uploaded.name.rpartition(".")[2] if "." in uploaded.name else "binary"
        return {
            "id": uploaded.id,
            "created": _TS_EPOCH,
            "timestamp": _TS_EPOCH,
            "name": uploaded.name,
            "title": uploaded.title or uploaded.name,
            "filetype": extension,
            "user": BOT_USER_ID,
            "size": len(uploaded.content or b""),
            "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{uploaded.id}/{uploaded.name}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{uploaded.id}",
            "channels": channels,
        }

    def _files_complete_upload_external(self, args: JsonDict) -> JsonDict:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            return {"ok": False, "error": "invalid_arguments"}
        wanted = [str(args["channel_id"])] if args.get("channel_id") else []
        if args.get("channels"):
            wanted += [c for c in str(args["channels"]).split(",") if c]
        channels = []
        for channel in wanted:
            resolved, error = self._resolve_channel(channel)
            if error or resolved is None:
                return {"ok": False, "error": error}
            channels.append(channel)
        completed = []
        for entry in entries:
            uploaded = self._state.files.get(str(entry.get("id")))
            if uploaded is None or uploaded.content is None:
                return {"ok": False, "error": "file_not_found"}
            uploaded.title = entry.get("title") or uploaded.name
            completed.append(self._file_object(uploaded, channels))
        return {"ok": True, "files": completed}

    def _files_info(self, args: JsonDict) -> JsonDict:
        uploaded = self._state.files.get(str(args.get("file", "")))
        if uploaded is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": self._file_object(uploaded, [])}


_METHODS: dict[str, Callable[[FakeSlack, JsonDict], JsonDict]] = {
    "auth.test": FakeSlack._auth_test,
    "chat.postMessage": FakeSlack._chat_post_message,
    "chat.postEphemeral": FakeSlack._chat_post_ephemeral,
    "chat.update": FakeSlack._chat_update,
    "chat.delete": FakeSlack._chat_delete,
    "chat.getPermalink": FakeSlack._chat_get_permalink,
    "conversations.open": FakeSlack._conversations_open,
    "views.open": FakeSlack._views_open,
    "views.push": FakeSlack._views_push,
    "views.update": FakeSlack._views_update,
    "views.publish": FakeSlack._views_publish,
    "users.info": FakeSlack._users_info,
    "users.lookupByEmail": FakeSlack._users_lookup_by_email,
    "users.list": FakeSlack._users_list,
    "files.getUploadURLExternal": FakeSlack._files_get_upload_url_external,
    "files.completeUploadExternal": FakeSlack._files_complete_upload_external,
    "files.info": FakeSlack._files_info,
}


def manifest_scopes() -> tuple[str, ...]:
    """The bot scopes of planbot's manifest: what a token installed from it holds."""
    from bot.manifest import build_manifest

    return tuple(build_manifest()["oauth_config"]["scopes"]["bot"])


def _planned_verdict(planned: _PlannedFault) -> _Verdict:
    if planned.kind == "error":
        return _Verdict(kind="error", error=planned.error, fault_kind="error")
    if planned.kind == "drop":
        kind = "drop_after_processing" if planned.processed else "drop"
        return _Verdict(kind=kind, fault_kind=kind)
    return _Verdict(
        kind="status",
        status=planned.status,
        retry_after=planned.retry_after if planned.status == 429 else None,
        fault_kind=str(planned.status),
    )


def _status_error(status: int) -> str:
    return {500: "internal_error", 503: "service_unavailable"}.get(status, "fatal_error")


def _token(args: JsonDict, headers: dict[str, str]) -> str:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return str(args.get("token", ""))


def _parse_args(query: str, content_type: str, body: bytes) -> JsonDict:
    """Merge the query string and the body (JSON, form-encoded or multipart) into one dict."""
    args: JsonDict = _flatten(parse_qs(query, keep_blank_values=True))
    media_type = content_type.split(";")[0].strip().lower()
    if body:
        if media_type == "application/json":
            try:
                decoded = json.loads(body)
            except ValueError:
                raise ValueError("invalid_json") from None
            if not isinstance(decoded, dict):
                raise ValueError("invalid_json")
            args.update(decoded)
        elif media_type == "multipart/form-data":
            args.update(_parse_multipart(content_type, body))
        else:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("invalid_form_data") from None
            args.update(_flatten(parse_qs(text, keep_blank_values=True)))
    for key in JSON_STRING_ARGS & args.keys():
        value = args[key]
        if isinstance(value, str) and value[:1] in {"[", "{"}:
            try:
                args[key] = json.loads(value)
            except ValueError:
                raise ValueError("invalid_json") from None
    return args


def _flatten(parsed: dict[str, list[str]]) -> JsonDict:
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


def _parse_multipart(content_type: str, body: bytes) -> JsonDict:
    header = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise ValueError("invalid_form_data")
    args: JsonDict = {}
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        args[name] = payload if part.get_filename() else payload.decode("utf-8")
    return args


def _send(
    request: _Handler, status: int, body: JsonDict, headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json; charset=utf-8")
    request.send_header("Content-Length", str(len(payload)))
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(payload)


def _send_text(request: _Handler, status: int, text: str) -> None:
    payload = text.encode()
    request.send_response(status)
    request.send_header("Content-Type", "text/plain; charset=utf-8")
    request.send_header("Content-Length", str(len(payload)))
    request.end_headers()
    request.wfile.write(payload)


def _drop(request: _Handler, *, reset: bool) -> None:
    """Close the connection without an answer; ``reset`` sends a TCP RST instead of a FIN."""
    request.close_connection = True
    if reset:
        sock = request.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # Detach so the server's own shutdown/close of this socket become no-ops.
        os.close(sock.detach())
