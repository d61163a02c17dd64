# Over 400 lines: the real Bolt app under test: its factory, signed requests and the fixtures every
# Slack test shares.
"""The running Slack side for tests: the real Bolt app, served by the real waitress server,
talking to the fake Slack Web API; and requests built and signed as Slack builds them.

    with running_bot(sample_db, fake_slack) as bot:
        response = bot.command(SINEAD, "/update", "ACT-12 green Contract signed")
        assert response.status_code == 200
        [reply] = bot.replies_to(response)

Payloads follow Slack's documentation and Bolt's own tests: slash commands are form-encoded
fields, interactivity is a form field `payload` holding JSON, events are JSON envelopes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from bot.app import create_app
from bot.entrypoints.http import PlanbotWSGI
from bot.entrypoints.inbox import WORKERS, Inbox
from bot.notifier import Notifier, make_client
from bot.render.update_form import base_block_id
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from storage import models as m
from storage.db import Database
from support.fakeslack import APP_ID, TEAM_DOMAIN, TEAM_ID, Call, FakeSlack, issue_trigger_id
from support.httpserver import RunningServer, start_http_server

LONDON = ZoneInfo("Europe/London")
# Q3 2019-20's window opened on Thu 9 Jan 2020 (meeting 7 Feb); updates are due Thu 23 Jan.
IN_Q3_WINDOW = dt.datetime(2020, 1, 10, 10, 0, tzinfo=LONDON)
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-planbot-test"
APP_TOKEN = "xapp-1-planbot-test"

# People of the sample plan.
PRIYA = "U0PO00001"  # admin (programme office)
DANIEL = "U0MD00001"  # director, Managing Director's Office; owns ACT-1, 2, 16, 17
HELEN = "U0BS00001"  # director, Business Services; owns ACT-4, 7
TOM = "U0BS00002"  # owner, Business Services: ACT-3, 5 (complete), 6
MARK = "U0HR00001"  # director, HR & OD; owns ACT-10
SINEAD = "U0HR00002"  # owner, HR & OD: ACT-9, 11 (complete), 12
KWAME = "U0FN00002"  # owner, Finance: ACT-13, 15
STRANGER = "U0NOTINPLAN"


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's request signature: `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


_serial = itertools.count(1)


def trigger_id() -> str:
    """A fresh trigger_id for an inbound payload: the fake accepts it once, within 3 s."""
    return issue_trigger_id()


# -- payloads ----------------------------------------------------------------------------------


def slash_command(
    user: str, command: str, text: str, *, response_url: str, channel: str = "C0PLANBOT"
) -> dict[str, str]:
    """The form fields of a slash command, as Slack posts them."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": "improvement-plan",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id(),
    }


def _user(user: str) -> dict[str, str]:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID}


def input_values(
    view: dict[str, Any],
    *,
    status: str | None = None,
    note: str | None = None,
    revised: dt.date | None = None,
    period: str | None = None,
    picked: str | None = None,
    amendment_reason: str | None = None,
) -> dict[str, Any]:
    """`view.state.values` for a form filled in: every input block, null where left empty."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        action_id, kind = element["action_id"], element["type"]
        base = base_block_id(block["block_id"])
        chosen = {
            "status_block": status,
            "period_block": period,
            "pick_action_block": picked,
        }.get(base)
        if kind in {"static_select", "external_select"}:
            state: dict[str, Any] = {
                "type": kind,
                "selected_option": (
                    {"text": {"type": "plain_text", "text": chosen, "emoji": True}, "value": chosen}
                    if chosen
                    else None
                ),
            }
        elif kind == "datepicker":
            state = {"type": kind, "selected_date": revised.isoformat() if revised else None}
        else:
            text = note if base == "note_block" else amendment_reason
            state = {"type": kind, "value": text}
        values[block["block_id"]] = {action_id: state}
    return values


def view_submission(user: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A view_submission payload for `view` (as the fake stored it) with `values` entered."""
    submitted = {**view, "state": {"values": values}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def block_actions(
    user: str,
    action: dict[str, Any],
    *,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """A block_actions payload: a button or menu in a message (with `response_url`) or a view."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user),
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "trigger_id": trigger_id(),
        "actions": [{"action_ts": f"{time.time():.6f}", **action}],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = {**view, "state": view.get("state") or {"values": {}}}
    else:
        ts = f"{time.time():.6f}"
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel or "D0PLANBOT",
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel or "D0PLANBOT", "name": "directmessage"}
        payload["message"] = {"type": "message", "ts": ts, "text": "reminder"}
        payload["response_url"] = response_url or ""
    return payload


def button_press(ref: str, action_id: str = "open_update") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": "x",
        "value": ref,
        "text": {"type": "plain_text", "text": "Update", "emoji": True},
    }


# A Home tab view as Slack hands it back in a block_actions payload from the Home.
HOME = {
    "id": "V0HOME0001",
    "type": "home",
    "blocks": [],
    "private_metadata": "",
    "callback_id": "",
    "hash": "1700000000.abc",
    "app_id": APP_ID,
    "team_id": TEAM_ID,
}


def app_home_opened(user: str) -> dict[str, Any]:
    """An Events API envelope carrying app_home_opened."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": "D" + user[1:],
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        },
        "type": "event_callback",
        "event_id": f"Ev{next(_serial):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": TEAM_ID,
                "user_id": "U0PLANBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


RETRY_REASONS = (  # Slack's X-Slack-Retry-Reason values
    "http_timeout",
    "too_many_redirects",
    "connection_failed",
    "ssl_error",
    "http_error",
    "unknown_error",
)


def ssl_check_fields() -> dict[str, str]:
    """What Slack posts, unsigned, now and then to check the Request URL's certificate."""
    return {"token": "verification-token-unused", "ssl_check": "1"}


def url_verification_envelope(challenge: str) -> dict[str, str]:
    """What Slack sends (signed) when the Events API Request URL is set: echo `challenge`."""
    return {
        "token": "verification-token-unused",
        "challenge": challenge,
        "type": "url_verification",
    }


def describe(body: bytes, content_type: str) -> str:
    """A request to /slack/events in a few words, to name it in a failure."""
    try:
        if content_type.startswith("application/json"):
            data = json.loads(body)
            if data.get("type") == "event_callback":
                return f"event {data['event'].get('type')} ({data.get('event_id')})"
            return f"{data.get('type')} request"
        fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if "payload" in fields:
            payload = json.loads(fields["payload"])
            kind = payload.get("type")
            detail = (
                (payload.get("view") or {}).get("callback_id")
                if kind in {"view_submission", "view_closed"}
                else payload.get("action_id")
                or next((a.get("action_id") for a in payload.get("actions") or []), None)
            )
            return f"{kind} {detail} from {(payload.get('user') or {}).get('id')}"
        if "command" in fields:
            text = fields.get("text", "")
            shown = text if len(text) <= 40 else text[:39] + "…"
            return f"{fields['command']} {shown!r} from {fields.get('user_id')}"
        if fields.get("ssl_check") == "1":
            return "ssl_check"
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        pass
    return f"{content_type} body of {len(body)} bytes"


# -- the running bot ---------------------------------------------------------------------------


def make_runtime(
    db: Database,
    fake: FakeSlack,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    digest_channel: str | None = None,
    webhooks: Sequence[str] = (),
    timeout: int = 5,
) -> Runtime:
    """The runtime a running planbot would build, pointed at the fake Slack: with a digest
    channel (which the fake then knows, with planbot invited) and staff webhooks if given,
    and Web API calls that time out after `timeout` seconds."""
    settings = Settings(
        database_url=db.url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.url,
        planbot_digest_channel=digest_channel,
        planbot_webhook_urls=list(webhooks),
        _env_file=None,
    )
    if digest_channel:
        fake.add_channel(
            digest_channel, name="joint-committee"
        )  # the programme office invited planbot
    client = make_client(token=BOT_TOKEN, base_url=fake.url, backoff_factor=0.01, timeout=timeout)
    return build_runtime(
        settings, db=db, clock=clock or (lambda: IN_Q3_WINDOW), notifier=Notifier(client)
    )


ACK_LIMIT_SECONDS = 3.0  # Slack shows the person an error (and redelivers an event) after this
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Ack:
    """One request the test client sent, and how long planbot took to answer it."""

    what: str
    status: int
    seconds: float


@dataclass
class Bot:
    """planbot serving HTTP on loopback, and a Slack stand-in that sends it signed requests.

    Every request sent through `post` (and so `command`, `interact`, `event`, ...) is timed:
    an answer later than Slack's 3 s fails the test, naming the request; `acks` keeps them all.
    """

    runtime: Runtime
    fake: FakeSlack
    server: RunningServer
    http: httpx.Client
    responses: dict[int, str] = field(default_factory=dict)  # id(response) -> response_url
    acks: list[Ack] = field(default_factory=list)
    inbox: Inbox | None = None  # where its requests are stored and done

    def wait_idle(self) -> None:
        """Wait until the inbox's workers have done every request stored so far."""
        assert self.inbox is not None and self.inbox.wait_idle(), "requests still being done"

    ack_limit: float = ACK_LIMIT_SECONDS
    clock: Callable[[], float] = time.monotonic  # what times the acks

    @property
    def db(self) -> Database:
        return self.runtime.db

    def web_api_calls(self) -> list[Call]:
        """Calls to Slack since start-up (start-up itself makes one: `auth.test`)."""
        return [c for c in self.fake.calls if c.method != "auth.test"]

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        signature: str | None = None,
        signed: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a body to /slack/events, signed like Slack unless told otherwise.

        Raises AssertionError when the answer took longer than Slack waits (`ack_limit`).
        """
        sent = {"Content-Type": content_type, **(headers or {})}
        if signed:
            stamp = int(time.time()) if timestamp is None else timestamp
            sent["X-Slack-Request-Timestamp"] = str(stamp)
            sent["X-Slack-Signature"] = signature or sign(body, stamp, secret)
        start = self.clock()
        response = self.http.post("/slack/events", content=body, headers=sent)
        seconds = self.clock() - start
        ack = Ack(describe(body, content_type), response.status_code, seconds)
        self.acks.append(ack)
        if seconds > self.ack_limit:
            raise AssertionError(
                f"{ack.what}: answered (HTTP {ack.status}) after {seconds:.2f}s; "
                f"Slack gives up after {self.ack_limit:g}s"
            )
        return response

    def command(self, user: str, command: str, text: str = "") -> httpx.Response:
        url = self.fake.response_url(f"c{next(_serial)}")
        fields = slash_command(user, command, text, response_url=url)
        response = self.post(urlencode(fields).encode(), FORM)
        self.responses[id(response)] = url
        return response

    def command_twice(self, user: str, command: str, text: str = "") -> str:
        """Deliver one slash command twice, as Slack may (the same trigger_id); both must be
        acked 200. The text of the first reply to its response_url."""
        url = self.fake.response_url(f"c{next(_serial)}")
        body = urlencode(slash_command(user, command, text, response_url=url)).encode()
        first, second = self.post(body, FORM), self.post(body, FORM)
        assert first.status_code == second.status_code == 200
        [reply] = wait_for(lambda: self.fake.calls_to("response_url"))
        return all_text(reply.args)

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        response = self.post(body, FORM)
        if payload.get("response_url"):
            self.responses[id(response)] = payload["response_url"]
        return response

    def event(self, envelope: dict[str, Any]) -> httpx.Response:
        return self.post(json.dumps(envelope).encode(), "application/json")

    def redeliver(
        self, envelope: dict[str, Any], *, attempt: int = 1, reason: str = "http_timeout"
    ) -> httpx.Response:
        """Send an event again as Slack retries one it thinks failed (attempt 1 to 3)."""
        assert reason in RETRY_REASONS, reason
        retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": reason}
        return self.post(json.dumps(envelope).encode(), "application/json", headers=retry)

    def ssl_check(self) -> httpx.Response:
        """Slack's certificate check, unsigned as Slack sends it."""
        return self.post(urlencode(ssl_check_fields()).encode(), FORM, signed=False)

    def url_verification(self, challenge: str) -> httpx.Response:
        """Slack's check of the Events API Request URL, signed."""
        body = json.dumps(url_verification_envelope(challenge)).encode()
        return self.post(body, "application/json")

    def replies_to(self, response: httpx.Response, count: int = 1) -> list[dict[str, Any]]:
        """What the bot posted to that request's response_url (waits for `count` of them)."""
        calls = wait_for(lambda: self.replies_so_far(response), count=count)
        return [c.args for c in calls]

    def replies_so_far(self, response: httpx.Response) -> list[Call]:
        """What the bot has posted to that request's response_url by now (no waiting)."""
        path = "/" + self.responses[id(response)].split("/", 3)[3]
        return [c for c in self.fake.calls_to("response_url") if c.path == path]

    def dms_to(self, user: str, count: int = 1) -> list[dict[str, Any]]:
        """Messages the bot posted to a user's DM (waits for `count` of them)."""
        calls = wait_for(
            lambda: [
                c for c in self.fake.calls_to("chat.postMessage") if c.args["channel"] == user
            ],
            count=count,
        )
        return [c.args for c in calls]

    def opened_view(self, count: int = 1) -> dict[str, Any]:
        """The view of the `count`-th views.open, as the fake stored it (with its id and hash)."""
        call = self.fake.wait_for_calls("views.open", count=count)[count - 1]
        view = self.fake.view(call.response["view"]["id"])
        assert view is not None
        return view

    def home_of(self, user: str, publishes: int = 1) -> dict[str, Any]:
        """The App Home published for `user` once it has been published `publishes` times."""
        wait_for(
            lambda: [c for c in self.fake.calls_to("views.publish") if c.args["user_id"] == user],
            count=publishes,
        )
        view = self.fake.home_view(user)
        assert view is not None
        return view


@contextmanager
def running_bot(
    db: Database,
    fake: FakeSlack,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    digest_channel: str | None = None,
    webhooks: Sequence[str] = (),
    workers: int | None = None,
    timeout: int = 5,
    follow_up_delay: float = 0.0,
) -> Iterator[Bot]:
    """planbot over HTTP on a free loopback port, for one test (`make_runtime` says what the
    settings are; `workers`: the inbox's workers, production's number by default)."""
    runtime = make_runtime(
        db, fake, clock=clock, digest_channel=digest_channel, webhooks=webhooks, timeout=timeout
    )
    # Follow-ups (App Homes redrawn) start at once: tests count each publish. Their delay,
    # which lets a burst redraw each Home once, has a test of its own.
    inbox = Inbox(runtime, workers=workers or WORKERS, follow_up_delay=follow_up_delay)
    app = create_app(runtime, signing_secret=SIGNING_SECRET, inbox=inbox)
    wsgi = PlanbotWSGI(app, db=db)
    server = start_http_server(wsgi)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            yield Bot(runtime=runtime, fake=fake, server=server, http=http, inbox=inbox)
    finally:
        server.stop()
        # Let stored requests be done before the next test resets the fake Slack.
        inbox.wait_idle()
        inbox.stop()


def wait_for(
    found: Callable[[], list[Call]], *, count: int = 1, timeout: float = 20.0
) -> list[Call]:
    """Poll until `found()` holds `count` items (Bolt finishes listeners on its threads).

    `timeout` only bounds a failure: a publication renders every format before it answers,
    which on a loaded machine takes several seconds."""
    deadline = time.monotonic() + timeout
    while True:
        items = found()
        if len(items) >= count:
            return items
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count}, found {len(items)} within {timeout}s")
        time.sleep(0.01)


# -- the database ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateRow:
    """An update as the database holds it, read out of its session."""

    ref: str
    period_key: str
    status: str
    note: str
    revised_target_date: dt.date | None
    author: str | None  # Slack ID
    on_behalf_of: str | None  # Slack ID
    source: str
    amendment_reason: str | None


def updates_of(db: Database, ref: str) -> list[UpdateRow]:
    """Every update of one action, oldest first."""
    with db.session() as session:
        updates = session.scalars(
            select(m.Update).join(m.Action).where(m.Action.ref == ref).order_by(m.Update.id)
        )
        return [
            UpdateRow(
                ref=u.action.ref,
                period_key=u.period.key,
                status=u.status,
                note=u.note,
                revised_target_date=u.revised_target_date,
                author=u.author.slack_id if u.author else None,
                on_behalf_of=u.on_behalf_of.slack_id if u.on_behalf_of else None,
                source=u.source,
                amendment_reason=u.amendment_reason,
            )
            for u in updates
        ]


def update_count(db: Database) -> int:
    with db.session() as session:
        return len(session.scalars(select(m.Update.id)).all())


def texts(value: Any) -> list[str]:
    """Every string inside a JSON-like value, with its key: to audit what was sent."""
    found: list[str] = []
    if isinstance(value, dict):
        for item in value.values():
            found += [item] if isinstance(item, str) else texts(item)
    elif isinstance(value, list):
        for item in value:
            found += [item] if isinstance(item, str) else texts(item)
    return found


def all_text(message: dict[str, Any]) -> str:
    """A message's fallback text and every text in its blocks, joined: what a person reads."""
    return "\n".join(texts({"text": message.get("text", ""), "blocks": message.get("blocks", [])}))


# -- Socket Mode -------------------------------------------------------------------------------


class SocketModeStandIn:
    """A local WebSocket server standing in for Slack's Socket Mode endpoint.

    It greets each connection with `hello` as Slack does, sends the envelopes queued with
    `send()`, and records what the app sends back (the acks) for `ack_for()`.
    """

    def __init__(self) -> None:
        import queue
        import threading

        self._outbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._received: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self.connections = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> SocketModeStandIn:
        import threading

        from websockets.sync.server import serve

        self._server = serve(self._handle, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/"

    def _handle(self, connection: Any) -> None:
        import queue

        from websockets.exceptions import ConnectionClosed

        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-test", "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }
        connection.send(json.dumps(hello))
        with self._changed:
            self.connections += 1
            self._changed.notify_all()
        while not self._stopping.is_set():
            try:
                connection.send(json.dumps(self._outbox.get(timeout=0.01)))
            except queue.Empty:
                pass
            except ConnectionClosed:
                return
            try:
                message = connection.recv(timeout=0.01)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            with self._changed:
                self._received.append(json.loads(message))
                self._changed.notify_all()

    def wait_connected(self, timeout: float = 5.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.connections > 0, timeout=timeout):
                raise AssertionError("the app did not connect to the Socket Mode stand-in")

    def send(self, kind: str, payload: dict[str, Any], *, accepts_response: bool = True) -> str:
        """Queue an envelope (`slash_commands`, `interactive`, `events_api`); its envelope_id."""
        envelope_id = f"env-{next(_serial)}-{int(time.time())}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        self._outbox.put(envelope)
        return envelope_id

    def ack_for(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The app's acknowledgement of one envelope."""

        def found() -> dict[str, Any] | None:
            return next((m for m in self._received if m.get("envelope_id") == envelope_id), None)

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout=timeout):
                raise AssertionError(f"no ack for {envelope_id} within {timeout}s")
            ack = found()
            assert ack is not None
            return ack
