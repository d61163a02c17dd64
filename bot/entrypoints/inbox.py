"""The ack path: a request is stored, then acknowledged, then done by a worker.

Bolt runs with `process_before_response=True`: whatever runs in the request's dispatch runs
before Slack gets its answer. The inbox middleware (`Inbox.middleware`) is the app's first:

- A request fresh from Slack (HTTP or Socket Mode) is stored in the durable inbox
  (`bot.services.inbox`, idempotent on its trigger_id, event_id or, failing those, its
  body), and answered with an empty 200 without running any listener: the ack costs one
  insert. A redelivery of a stored request is acknowledged and not done again. If storing
  fails (the database is down), the ack itself says privately that nothing was saved.
- Two kinds are answered by their listener inside the ack, because Slack shows the answer:
  `block_suggestion` (a menu's options; reads only) and `view_submission` (a form's missing
  fields go back on the form). A submission that passes the check is stored by its listener
  through `handlers.common.stored_for_later`, which this middleware puts in the context.
- A worker thread (`workers` of them) claims the stored request and dispatches its body to
  the same app again (`BoltRequest(mode="socket_mode")`: Slack checked it when it arrived;
  nothing is verified twice), with the inbox row in the context; the middleware lets that
  through to the listeners, which do the work and answer through the response_url or the
  Web API. Then the row is marked done.
- `sweep()` (at start, then every `SWEEP_SECONDS` on a thread of its own) finds what an
  earlier process, or another replica, acknowledged and did not finish, and does it; and
  gives up what is older than a response_url lives (see `bot.services.inbox`).

Only Bolt's public API: a global middleware that answers without calling `next()`,
`BoltRequest(body=..., mode=..., context=...)` and `App.dispatch`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse, Respond

from bot.render.replies import NOT_SAVED, render_database_unavailable
from bot.runtime import Runtime
from bot.services import inbox
from handlers.common import (
    ATTEMPT_KEY,
    FOLLOW_UP_KEY,
    ITEM_KEY,
    RECEIVED_KEY,
    STORE_KEY,
    describe,
    tell_privately,
    user_of,
)
from handlers.routes import Routes
from storage import models as m
from storage.db import is_unavailable

log = logging.getLogger(__name__)

# Requests done at the same time, each on a thread: a few overlap one another's waits on
# Slack and the database; more would only take the interpreter from the acks. Those a person
# watches on screen (a modal to open within 3 s) have workers of their own, so reports and
# webhook retries never hold them up.
WORKERS = 4
PROMPT_WORKERS = 4
# What follows a request once its person has their answer (the owner's DM, App Homes
# redrawn): best effort, on threads of its own, as it may wait on Slack's rate limits.
FOLLOW_UP_WORKERS = 2
# A follow-up with a key (a person's App Home redrawn) waits this long first, and any other
# with its key meanwhile is dropped: a burst of updates redraws each Home once.
FOLLOW_UP_DELAY = 1.0
SWEEP_SECONDS = 15.0
# Answered by their listener within the ack (Slack shows what the ack says).
ANSWERED_IN_ACK = frozenset({"block_suggestion", "view_submission"})


def request_key(body: dict[str, Any]) -> str:
    """What makes two deliveries the same request: an event's event_id, else the trigger_id
    Slack gives each command and click, else a digest of the body."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return f"body:{hashlib.sha256(canonical).hexdigest()}"


class Inbox:
    """The durable inbox of one app: its middleware, its workers and its sweep."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        workers: int = WORKERS,
        prompt_workers: int = PROMPT_WORKERS,
        executor: Executor | None = None,
        follow_up_delay: float = FOLLOW_UP_DELAY,
    ) -> None:
        """`workers`: requests done at once, and `prompt_workers` more for those a person
        watches; `executor`: run them all there instead (a test's, to have each done before
        its ack returns); `follow_up_delay`: how long keyed follow-ups wait (see
        `FOLLOW_UP_DELAY`)."""
        self.runtime = runtime
        self.db = runtime.db
        # This process, as its claims name it: a pid alone is reused after a restart.
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._executor = executor or ThreadPoolExecutor(workers, thread_name_prefix="planbot-work")
        self._prompt_executor = executor or ThreadPoolExecutor(
            prompt_workers, thread_name_prefix="planbot-prompt"
        )
        self._follow_up_executor = executor or ThreadPoolExecutor(
            FOLLOW_UP_WORKERS, thread_name_prefix="planbot-follow-up"
        )
        self._follow_ups_waiting: set[str] = set()  # keys of follow-ups not started yet
        self._follow_ups = 0  # follow-ups queued or running
        self.follow_up_delay = follow_up_delay
        self._in_flight: set[int] = set()
        # Stored by this process and not yet claimed: when it arrived (monotonic), and body.
        self._received: dict[int, float] = {}
        self._bodies: dict[int, dict[str, Any]] = {}
        # Done here, but the database did not take the mark: marked by the next sweep.
        self._to_mark_done: set[int] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._app: App | None = None
        self._routes: Routes | None = None

    # -- the ack ---------------------------------------------------------------------------

    def attach(self, app: App, routes: Routes) -> None:
        """Make this the inbox of `app`: a middleware of it, and the app its workers use.
        `routes`: what the app's listeners take (only that is stored; anything else goes
        on to Bolt, which has no listener for it: a 404), and which are prompt."""
        self._app = app
        self._routes = routes
        app.middleware(self.middleware)

    def middleware(
        self, body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        if context.get(ITEM_KEY) is not None:
            return next()  # a worker doing a stored request: on to the listeners
        context[RECEIVED_KEY] = time.monotonic()
        kind = str(body.get("type") or "")
        if kind in ANSWERED_IN_ACK:
            context[STORE_KEY] = self.store_for_later
            return next()
        if self._routes is None or not self._routes.takes(body):
            return next()
        if self.store_for_later(body, context[RECEIVED_KEY]) is None:
            return BoltResponse(status=200, body="")
        return self._nothing_saved(body)

    def store_for_later(self, body: dict[str, Any], received: float | None = None) -> str | None:
        """Store `body` to be done after the ack, and queue it here; None once stored (or
        stored before), else what to tell the person (nothing was saved). `received`: when
        it reached this process (time.monotonic(); default now)."""
        try:
            stored = inbox.store(
                self.db,
                key=request_key(body),
                kind=describe(body),
                user_id=user_of(body) or "",
                body=body,
                now=self.runtime.now(),
            )
        except Exception as exc:
            if is_unavailable(exc):
                log.error("could not store %s: database unavailable", describe(body))
            else:
                log.exception("could not store %s", describe(body))
            return NOT_SAVED
        if stored.new:
            with self._lock:
                self._received[stored.id] = time.monotonic() if received is None else received
                self._bodies[stored.id] = body
            self.submit(stored.id, prompt=self._routes is not None and self._routes.is_prompt(body))
        else:
            log.info("acknowledged a redelivery of %s without doing it again", describe(body))
        return None

    def _nothing_saved(self, body: dict[str, Any]) -> BoltResponse:
        """The ack of a request that could not be stored. A slash command's ack shows its
        text to the person alone; an event gets a 503, so Slack delivers it again later; a
        click's ack shows nothing, so the person is told through its response_url (or by
        DM) off the ack's thread."""
        text = render_database_unavailable().text
        if body.get("command"):
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": text}),
                headers={"content-type": "application/json"},
            )
        if body.get("type") == "event_callback":
            return BoltResponse(status=503, body="")
        user = user_of(body) or ""
        if user:
            self._executor.submit(self._tell_nothing_saved, body, user)
        return BoltResponse(status=200, body="")

    def _tell_nothing_saved(self, body: dict[str, Any], user: str) -> None:
        message = render_database_unavailable()
        try:
            url = body.get("response_url")
            tell_privately(self.runtime, user, message, Respond(response_url=url) if url else None)
        except Exception as exc:  # noqa: BLE001 - the last resort: logged, nothing else to do
            log.warning("could not tell %s that nothing was saved: %s", user, exc)

    # -- the work --------------------------------------------------------------------------

    def submit(self, item_id: int, *, prompt: bool = False) -> None:
        """Have a worker do stored request `item_id` (unless this process already is);
        `prompt`: one of the workers kept for what a person watches."""
        with self._lock:
            if item_id in self._in_flight:
                return
            self._in_flight.add(item_id)
        (self._prompt_executor if prompt else self._executor).submit(self._do, item_id)

    def _do(self, item_id: int) -> None:
        claimed: inbox.Claimed | None = None
        try:
            with self._lock:
                body = self._bodies.pop(item_id, None)
            if body is not None:  # stored here a moment ago: claimed without reading it back
                claimed = inbox.claim_stored(
                    self.db, item_id, body, worker=self.worker_id, now=self.runtime.now()
                )
            else:
                claimed = inbox.claim(
                    self.db,
                    item_id,
                    worker=self.worker_id,
                    now=self.runtime.now(),
                    taking_over=self.may_take_over,
                )
            if claimed is None:
                return
            assert self._app is not None, "Inbox.attach(app) first"
            with self._lock:
                received = self._received.get(item_id)
            context: dict[str, Any] = {
                ITEM_KEY: claimed.id,
                ATTEMPT_KEY: claimed.attempt,
                FOLLOW_UP_KEY: self.follow_up,
            }
            if received is not None:  # else taken in by another process: long ago
                context[RECEIVED_KEY] = received
            request = BoltRequest(
                body=claimed.body,
                mode="socket_mode",  # verified when it arrived; its signature is not kept
                context=context,
            )
            try:
                self._app.dispatch(request)
            finally:
                # Done, whatever the listener made of it: it answered the person (or its
                # error handler apologised); doing it again would not go better.
                inbox.finish(self.db, claimed.id, now=self.runtime.now())
        except Exception as exc:  # noqa: BLE001 - the database gone meanwhile
            if claimed is not None:
                # Done, and the person answered (a "not saved" too is an answer: nothing
                # was recorded, and they were told to try again); only the mark is missing.
                # Marked by the next sweep; never done again by this process.
                with self._lock:
                    self._to_mark_done.add(item_id)
            log.warning("could not mark stored request %s done: %s", item_id, type(exc).__name__)
        finally:
            with self._lock:
                self._in_flight.discard(item_id)
                self._received.pop(item_id, None)
                self._bodies.pop(item_id, None)
                self._idle.notify_all()

    def follow_up(self, key: str | None, work: Callable[[], None]) -> None:
        """Run `work` on a follow-up thread; one with a `key` after `follow_up_delay`, and
        dropped when one with its key is still waiting to start (a Home redrawn once for
        several updates in a burst)."""
        with self._lock:
            if key is not None:
                if key in self._follow_ups_waiting:
                    return
                self._follow_ups_waiting.add(key)
            self._follow_ups += 1

        def run() -> None:
            try:
                if key is not None:
                    with self._lock:
                        self._follow_ups_waiting.discard(key)
                work()
            except Exception:
                log.exception("a follow-up failed")
            finally:
                with self._lock:
                    self._follow_ups -= 1
                    self._idle.notify_all()

        if key is None or self.follow_up_delay <= 0:
            self._follow_up_executor.submit(run)
            return
        timer = threading.Timer(self.follow_up_delay, self._start_follow_up, (run,))
        timer.daemon = True
        timer.start()

    def _start_follow_up(self, run: Callable[[], None]) -> None:
        if self._stopping.is_set():  # stopped meanwhile: run here, the pool is gone
            run()
            return
        self._follow_up_executor.submit(run)

    def may_take_over(self, item: m.InboxItem) -> bool:
        """Whether a claimed request's worker is gone: this process, when not at it now; a
        process of this host that is no longer running; another host's, once its lease ran
        out."""
        host, _, rest = item.claimed_by.partition(":")
        pid_text = rest.partition(":")[0]
        if item.claimed_by == self.worker_id:
            with self._lock:
                return item.id not in self._in_flight and item.id not in self._to_mark_done
        if host == socket.gethostname() and pid_text.isdigit():
            pid = int(pid_text)
            return pid == os.getpid() or not _running(pid)
        claimed_at = item.claimed_at or item.received_at
        return claimed_at < self.runtime.now() - inbox.LEASE

    def sweep(self, *, starting: bool = False) -> int:
        """Do what was acknowledged and not finished; give up what is too old to answer.
        `starting`: every waiting request is taken (this process has queued none yet).
        Returns how many were queued."""
        now = self.runtime.now()
        with self._lock:
            unmarked = sorted(self._to_mark_done)
        for item_id in unmarked:
            inbox.finish(self.db, item_id, now=now)
            with self._lock:
                self._to_mark_done.discard(item_id)
        inbox.give_up(self.db, now=now)
        ids = inbox.to_redo(
            self.db, now=now, taking_over=self.may_take_over, everything_waiting=starting
        )
        if ids:
            log.warning("finishing %d request(s) acknowledged but not finished", len(ids))
        for item_id in ids:
            self.submit(item_id)
        return len(ids)

    def start(self) -> None:
        """Sweep now, then every `SWEEP_SECONDS` until `stop()`."""
        self._sweep_logged(starting=True)

        def loop() -> None:
            while not self._stopping.wait(SWEEP_SECONDS):
                self._sweep_logged()

        self._sweeper = threading.Thread(target=loop, name="planbot-inbox-sweep", daemon=True)
        self._sweeper.start()

    def _sweep_logged(self, *, starting: bool = False) -> None:
        try:
            self.sweep(starting=starting)
        except Exception as exc:  # noqa: BLE001 - the next sweep tries again
            log.warning("inbox sweep failed: %s", type(exc).__name__)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no request is being done here (tests, and a graceful stop)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            return self._idle.wait_for(
                lambda: not self._in_flight and not self._follow_ups,
                timeout=max(0.0, deadline - time.monotonic()),
            )

    def stop(self, *, wait: bool = True) -> None:
        """Stop sweeping and let the workers finish what they hold."""
        self._stopping.set()
        self._executor.shutdown(wait=wait)
        self._prompt_executor.shutdown(wait=wait)
        self._follow_up_executor.shutdown(wait=wait)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: running
    return True
