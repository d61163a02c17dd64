"""The composition root of the Slack side: builds the Bolt app from a runtime.

`create_app(runtime)` returns a fresh `slack_bolt.App` whose Web API client is the
runtime's (`SLACK_API_URL`, retry handlers for 429/5xx/dropped connections), whose
listeners are those of `handlers/`, and whose middleware hands the runtime to every
listener through Bolt's context. There is no module-level app.

Listeners run on a `ListenerPool`, which acknowledges every request at once however busy
the bot is (see its docstring).

Modals and their trigger. A `trigger_id` opens one view, within 3 seconds of the payload
that carried it; a listener's work waits for one of a few work turns, which webhook retries,
digest rendering or a sleep on `Retry-After` can hold far longer than that. So a listener
that opens a modal asks for its turn without waiting (`Turn.defer`, then `Turn.take`): with
a turn free at once it builds the form and opens it in one call, as before; with none, it
opens a light "loading" modal straight away, on its own thread, before waiting, and fills it
with `views.update` (by the view id and hash `views.open` answered) once it has its turn
(`handlers.common.open_modal`). We chose opening first over giving trigger work slots of its own:
the form needs the database, which can be slow for reasons no slot count fixes, while
`views.open` with a fixed view needs nothing but Slack; and it keeps the pool's one limit on
work after acks. Both use only Bolt's public API (`Ack`, the context, `listener_executor`)
and the notifier's `open_view`/`update_view` (which name a spent trigger `TriggerSpent`).
Acks are not slowed: nothing of this runs before `ack()` returns to Slack.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond

from bot.runtime import Runtime
from bot.settings import SettingsError
from handlers import register_listeners
from handlers.common import RUNTIME_KEY, TURN_KEY, report_error

# Listeners doing their work (after their ack) at the same time; the others wait their turn,
# already acknowledged. A few overlap one another's waits on Slack and the database; more
# would only take the interpreter lock from the requests being acknowledged.
LISTENER_WORKERS = 4
# Listeners started and not finished (working, or acknowledged and waiting for a turn). Past
# this a new request's ack waits for a thread: back-pressure, never reached in normal use.
LISTENER_THREADS = 256
ACK_TIMEOUT_SECONDS = 3.0  # Bolt's own: a listener that has not acked by then gets no ack


class _Ack(Ack):
    """Bolt's `ack()` for one request: also wakes the request thread waiting for it, and,
    called on its listener's own thread, waits there for the listener's turn to work.

    It is also the request's `handlers.Turn`: a listener that must call Slack within a few
    seconds of the request (to open a modal) calls `defer()` before acking, so that `ack()`
    returns at once, and then takes its turn itself (`take`)."""

    def __init__(self, pool: ListenerPool) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.given = threading.Event()
        self.thread: threading.Thread | None = None  # the listener's, once it runs
        self.has_turn = False
        self.waits_for_turn = True  # in ack(); False once the listener has deferred it
        self.received = time.monotonic()  # when the middleware saw the request
        self._pool = pool

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.given.set()
            if self.waits_for_turn:
                self.take()

    def defer(self) -> None:
        """Let `ack()` return without waiting for a turn: the listener will `take` it."""
        self.waits_for_turn = False

    def take(self, *, wait: bool = True) -> bool:
        """Take the listener's turn to work: True once it has one (at once if it has one
        already, or runs off its listener thread); False if none is free and not `wait`."""
        if self.has_turn or self.thread is not threading.current_thread():
            return True
        if not self._pool.take_turn(wait=wait):
            return False
        self.has_turn = True
        return True

    def release(self) -> None:
        """Give the turn back before the listener ends (its remaining work may wait on Slack,
        on no one else's turn)."""
        if self.has_turn and self.thread is threading.current_thread():
            self.has_turn = False
            self._pool.release_turn()

    def seconds_since_received(self) -> float:
        return time.monotonic() - self.received


class ListenerPool(Executor):
    """Where Bolt runs listeners: every request is acknowledged at once, however busy the bot.

    Bolt (with `process_before_response=False`) hands each listener to its executor from the
    request's thread, then polls every 10 ms until the listener has called `ack()`. In a
    plain thread pool a listener queued behind others' work cannot ack until a thread frees
    up, so under load acks wait for work (seconds, then Slack's 3-second limit), and the
    poll adds up to 10 ms to each. Here:

    - a listener starts at once on a thread of its own (up to `max_threads`), so it reaches
      its `ack()` straight away;
    - `submit` returns as soon as the listener has acked (or ended), so Bolt's poll finds the
      ack there and the response goes out without a sleep;
    - only `workers` listeners do their work after the ack at the same time: `ack()` returns
      to the listener when it has a turn, and the rest wait, already acknowledged (a
      listener that deferred its turn gets `ack()` back at once and takes the turn itself).

    Listeners that Bolt acknowledges itself (events) just wait for a turn. `threads`: run on
    that executor instead of a pool of our own (tests pass theirs, to wait for listeners).
    """

    def __init__(
        self,
        *,
        workers: int = LISTENER_WORKERS,
        max_threads: int = LISTENER_THREADS,
        threads: Executor | None = None,
        ack_timeout: float = ACK_TIMEOUT_SECONDS,
    ) -> None:
        # A thread of its own for each listener, started at once (a ThreadPoolExecutor may
        # queue a new item behind busy threads while it believes one is idle).
        self._executor = threads
        self._slots = threading.BoundedSemaphore(max_threads)
        self._running: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._turns = threading.BoundedSemaphore(workers)
        self._expected = threading.local()
        self.ack_timeout = ack_timeout

    def new_ack(self) -> Ack:
        """The `ack()` of the request this thread is dispatching: the next listener submitted
        from this thread is the one expected to call it."""
        ack = _Ack(self)
        self._expected.ack = ack
        return ack

    def take_turn(self, *, wait: bool = True) -> bool:
        return self._turns.acquire(blocking=wait)

    def release_turn(self) -> None:
        self._turns.release()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        ack: _Ack | None = self._expected.__dict__.pop("ack", None)
        if self._executor is not None:
            future = self._executor.submit(self._run, ack, fn, args, kwargs)
        else:
            future = self._start(ack, fn, args, kwargs)
        if ack is not None and ack.response is None:
            waiting = ack
            future.add_done_callback(lambda _: waiting.given.set())
            waiting.given.wait(self.ack_timeout)
        return future

    def _start(
        self, ack: _Ack | None, fn: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> Future[Any]:
        future: Future[Any] = Future()
        self._slots.acquire()

        def run() -> None:
            try:
                if future.set_running_or_notify_cancel():
                    future.set_result(self._run(ack, fn, args, kwargs))
            except BaseException as error:  # noqa: BLE001 - handed to the Future, as executors do
                future.set_exception(error)
            finally:
                with self._lock:
                    self._running.discard(thread)
                self._slots.release()

        thread = threading.Thread(target=run, name="planbot-listener", daemon=True)
        with self._lock:
            self._running.add(thread)
        thread.start()
        return future

    def _run(
        self, ack: _Ack | None, fn: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> Any:
        if ack is None:  # not a listener of a request seen by the middleware: run it as it is
            return fn(*args, **kwargs)
        if ack.response is not None:  # acknowledged already (Bolt acks events itself)
            with self._turns:
                return fn(*args, **kwargs)
        ack.thread = threading.current_thread()
        try:
            return fn(*args, **kwargs)
        finally:
            if ack.has_turn:
                ack.has_turn = False
                self._turns.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Wait for the listeners running on threads of the pool's own."""
        if not wait:
            return
        with self._lock:
            running = list(self._running)
        for thread in running:
            thread.join()


class _ClientGivenOnPurpose(logging.Filter):
    """Drop Bolt's warning that `token` is unused: it reads SLACK_BOT_TOKEN itself, and we
    hand it the runtime's client (with its base URL and retry handlers) on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("planbot.bolt")
    if not any(isinstance(f, _ClientGivenOnPurpose) for f in logger.filters):
        logger.addFilter(_ClientGivenOnPurpose())
    return logger


def create_app(
    runtime: Runtime,
    *,
    signing_secret: str | None = None,
    token_verification: bool = True,
    listener_executor: Executor | None = None,
) -> App:
    """A Bolt app for `runtime`.

    `signing_secret`: verifies HTTP requests (default: `SLACK_SIGNING_SECRET`; Socket Mode
    needs none). `token_verification`: call `auth.test` now, so a bad token fails at start-up
    and no request waits for that call before its ack. `listener_executor`: where listeners
    run (default: a new `ListenerPool`; another executor is wrapped in one, which runs on it).
    """
    client = runtime.notifier.client
    if not client.token:
        raise SettingsError("SLACK_BOT_TOKEN is not set; see .env.example.")
    if isinstance(listener_executor, ListenerPool):
        pool = listener_executor
    else:
        pool = ListenerPool(threads=listener_executor)
    if signing_secret is None:
        secret = runtime.settings.slack_signing_secret
        signing_secret = secret.get_secret_value() if secret is not None else ""
    app = App(
        name="planbot",
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=token_verification,
        # Listeners ack first and carry on in the listener pool: Slack gets its answer in
        # milliseconds whatever the database, the Web API or other listeners are doing.
        process_before_response=False,
        logger=_bolt_logger(),
        listener_executor=pool,
    )

    def put_runtime_in_context(context: BoltContext, next: Callable[[], BoltResponse]) -> Any:
        context[RUNTIME_KEY] = runtime
        # Bolt made a plain Ack for this middleware's own arguments; nobody has called it.
        existing = context.get("ack")
        if existing is None or existing.response is None:
            context["ack"] = context[TURN_KEY] = pool.new_ack()
        return next()

    app.middleware(put_runtime_in_context)
    register_listeners(app)
    app.error(_error_handler(runtime))
    return app


def _error_handler(runtime: Runtime) -> Callable[..., None]:
    def handle_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
        """Refusals go privately to the person; anything else is logged once, with an apology."""
        report_error(runtime, error, body, respond)

    return handle_error
