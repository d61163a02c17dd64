"""What every listener shares: the runtime from the context, its work turn, private answers,
modals opened within their trigger, and errors turned into words.

Listeners are thin: parse, call one service, render, respond. They reach the runtime
(settings, database, calendar, notifier, clock) through Bolt's context, where the app
factory's middleware puts it, never through a global; and their turn to work after the
ack (`Turn`), which a listener opening a modal takes itself (`open_modal`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt import BoltContext, Respond

from bot.domain.status import DEFAULT_SCHEME
from bot.errors import PlanbotError
from bot.model.updates import RecordedUpdate
from bot.notifier import NotifierError, OpenedView, TriggerSpent, ViewGone
from bot.render.blockkit import Message
from bot.render.home import render_home, render_stranger_home
from bot.render.replies import (
    render_apology,
    render_database_unavailable,
    render_refusal,
    render_update_recorded,
)
from bot.render.update_form import render_loading_modal, render_notice_modal, render_update_modal
from bot.services.actions import home_for, update_form
from storage.db import is_unavailable

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

RUNTIME_KEY = "planbot_runtime"
TURN_KEY = "planbot_turn"

# A trigger_id opens one view within this many seconds of the payload that carried it.
TRIGGER_SECONDS = 3.0


def runtime_from(context: BoltContext) -> Runtime:
    """The runtime the app factory put into this request's context."""
    runtime: Runtime = context[RUNTIME_KEY]
    return runtime


class Turn(Protocol):
    """A listener's turn to work after its ack: the app runs only a few at once, and a
    listener's `ack()` returns when it has one, unless it deferred that before acking."""

    def defer(self) -> None:
        """Let `ack()` return without waiting for a turn (then `take` it)."""

    def take(self, *, wait: bool = True) -> bool:
        """Take the turn; False if none is free and not `wait`."""

    def release(self) -> None:
        """Give the turn back: what is left is follow-up that may wait on Slack."""

    def seconds_since_received(self) -> float:
        """Seconds since the request reached the app."""


class _Unpooled:
    """The turn of a listener run without the app's pool: always free."""

    def __init__(self) -> None:
        self._received = time.monotonic()

    def defer(self) -> None:
        pass

    def take(self, *, wait: bool = True) -> bool:
        return True

    def release(self) -> None:
        pass

    def seconds_since_received(self) -> float:
        return time.monotonic() - self._received


def turn_of(context: BoltContext) -> Turn:
    """This request's turn to work (see `Turn`)."""
    turn: Turn | None = context.get(TURN_KEY)
    if turn is None:
        turn = context[TURN_KEY] = _Unpooled()
    return turn


def tell_privately(
    runtime: Runtime, user_id: str, message: Message, respond: Respond | None = None
) -> None:
    """Answer only the person who asked: through the request's response_url (ephemeral),
    else, or when that link fails even after retries, by DM."""
    url = respond.response_url if respond is not None else None
    if url:
        reply: dict[str, Any] = {
            "text": message.text,
            "response_type": "ephemeral",
            "replace_original": False,
        }
        if message.blocks:
            reply["blocks"] = message.blocks
        try:
            runtime.notifier.respond(url, reply)
            return
        except NotifierError as exc:
            log.warning("could not answer %s by the response_url (%s); sending a DM", user_id, exc)
    runtime.notifier.dm(user_id, message.text, message.blocks)


def _open_or_tell(
    runtime: Runtime,
    body: dict[str, Any],
    view: dict[str, Any],
    expired: Message,
    respond: Respond | None,
) -> OpenedView | None:
    """Open `view` with the request's trigger; None, and `expired` said privately, when the
    trigger no longer works."""
    try:
        return runtime.notifier.open_view(str(body.get("trigger_id") or ""), view)
    except TriggerSpent as exc:
        log.info("%s: the trigger was spent before the modal opened (%s)", _describe(body), exc)
        _tell_spent(runtime, body, expired, respond)
        return None


def _tell_spent(
    runtime: Runtime, body: dict[str, Any], expired: Message, respond: Respond | None
) -> None:
    reply = respond if body.get("response_url") else None
    tell_privately(runtime, _user_of(body) or "", expired, reply)


def open_modal(
    runtime: Runtime,
    context: BoltContext,
    body: dict[str, Any],
    build: Callable[[], dict[str, Any]],
    *,
    expired: Message,
    respond: Respond | None = None,
) -> None:
    """Open the modal `build()` returns while the request's trigger_id still works (3 s),
    however long the listener would wait for a turn to work.

    For a listener that deferred its turn before acking. A turn free at once: the form is
    built and opened in one call. None free: a loading modal is opened now, before waiting,
    then filled with `views.update` (by its id and hash) once the form is built. A trigger
    Slack says is spent gets `expired`, privately. Whatever goes wrong once the loading
    modal is up is shown in it (a refusal, or the apology), never left loading.
    """
    turn = turn_of(context)
    if turn.take(wait=False):
        view = build()
        if turn.seconds_since_received() >= TRIGGER_SECONDS:
            log.info("%s: too late to open the modal; told privately", _describe(body))
            _tell_spent(runtime, body, expired, respond)
            return
        _open_or_tell(runtime, body, view, expired, respond)
        return
    loading = _open_or_tell(runtime, body, render_loading_modal(), expired, respond)
    if loading is None:
        return
    turn.take()
    try:
        view = build()
    except Exception as error:  # noqa: BLE001 - told in the modal; _message_for logs it
        view = render_notice_modal(_message_for(error, body))
    try:
        runtime.notifier.update_view(loading.id, view, hash=loading.hash)
    except ViewGone:
        # Closed by the person meanwhile: they gave up on it, and nothing was recorded.
        log.info("%s: the loading modal was gone before it was filled", _describe(body))
    except NotifierError:
        # Not left loading: the apology in the modal if Slack takes that, then the error
        # reaches `answering`, which logs it and apologises privately too.
        with contextlib.suppress(NotifierError):
            runtime.notifier.update_view(loading.id, render_notice_modal(render_apology()))
        raise


def open_modal_in_time(
    runtime: Runtime,
    context: BoltContext,
    body: dict[str, Any],
    view: dict[str, Any],
    *,
    too_late: Message,
    respond: Respond | None = None,
) -> None:
    """Open `view` if the request's trigger_id may still work; else, or when Slack says it
    is spent, tell the person `too_late` privately. For a modal found needed only after the
    work (an update that lacks something), so not opened before it."""
    if turn_of(context).seconds_since_received() < TRIGGER_SECONDS:
        _open_or_tell(runtime, body, view, too_late, respond)
        return
    log.info("%s: too late to open the form; told privately", _describe(body))
    _tell_spent(runtime, body, too_late, respond)


def update_form_view(
    runtime: Runtime,
    actor: str,
    ref: str,
    *,
    period: str | None = None,
    picker: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The update modal for `ref`, prefilled with its last update, as `actor` may use it
    (`period`: the programme office's choice; `picker`: the form's picker, kept)."""
    form = update_form(runtime.request(actor), ref=ref, period=period)
    return render_update_modal(form.draft, DEFAULT_SCHEME, periods=form.periods, picker=picker)


def refresh_home(runtime: Runtime, slack_id: str) -> None:
    """Publish a person's App Home as it stands now (for strangers: why there is nothing)."""
    try:
        home = home_for(runtime.request(slack_id))
        view = render_home(home, DEFAULT_SCHEME)
    except PlanbotError as exc:
        view = render_stranger_home(exc)
    runtime.notifier.publish_home(slack_id, view)


def after_update(runtime: Runtime, context: BoltContext, recorded: RecordedUpdate) -> None:
    """What follows a recorded update: the owner told when someone reported for them, and
    the App Homes of the author and the owner refreshed. Failures here are logged, not
    shown: the update itself is safe and the person already has their confirmation.

    The listener's work turn is given back first: these calls may wait on Slack's rate
    limits (one message a second to a person), and other people's updates must not."""
    turn_of(context).release()
    owner, author = recorded.owner_slack_id, recorded.author_slack_id
    if recorded.on_behalf and owner and owner != author:
        message = render_update_recorded(recorded, DEFAULT_SCHEME, for_owner=True)
        try:
            runtime.notifier.dm(owner, message.text, message.blocks)
        except NotifierError as exc:
            log.warning(
                "could not tell %s about %s's update of %s: %s", owner, author, recorded.ref, exc
            )
    refresh_homes(runtime, author, owner)


def refresh_homes(runtime: Runtime, *slack_ids: str) -> None:
    """Refresh these people's App Homes; a failure is logged (the Home is redrawn on open)."""
    for slack_id in dict.fromkeys(s for s in slack_ids if s):
        try:
            refresh_home(runtime, slack_id)
        except NotifierError as exc:
            log.warning("could not refresh the App Home of %s: %s", slack_id, exc)
        except Exception as exc:
            # Whatever went wrong (the database gone meanwhile...), what the person did is
            # done and confirmed: this must not turn into a "not saved" after the fact.
            if is_unavailable(exc):
                log.warning("could not refresh the App Home of %s: %s", slack_id, _first_line(exc))
            else:
                log.exception("could not refresh the App Home of %s", slack_id)


def _first_line(error: BaseException) -> str:
    """The driver's own first line of a database error: what failed, never the parameters."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}".strip()


def _describe(body: dict[str, Any]) -> str:
    """What the request was, for the log: never the text a person typed."""
    if body.get("command"):
        return f"command {body['command']}"
    kind = str(body.get("type") or "request")
    if kind == "block_actions":
        ids = ",".join(str(a.get("action_id")) for a in body.get("actions") or [])
        return f"block_actions {ids}"
    if kind in {"view_submission", "view_closed"}:
        return f"{kind} {(body.get('view') or {}).get('callback_id', '')}"
    if kind == "event_callback":
        return f"event {(body.get('event') or {}).get('type', '')}"
    return kind


def _user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user_id") or body.get("user") or (body.get("event") or {}).get("user")
    if isinstance(user, dict):
        user = user.get("id")
    return str(user) if user else None


def _message_for(error: Exception, body: dict[str, Any]) -> Message:
    """What to tell the person about `error`; logged here, once, with context."""
    what, user = _describe(body), _user_of(body)
    if isinstance(error, PlanbotError):
        log.info("refused %s for %s: %s", what, user, error)
        return render_refusal(error)
    if is_unavailable(error):
        # One line, no traceback: an outage repeats it on every request, and SQLAlchemy's
        # text of the error would carry the statement's parameters (what the person typed).
        log.error("database unavailable during %s for %s: %s", what, user, _first_line(error))
        return render_database_unavailable()
    log.error(
        "unexpected error in %s for user %s (team %s)",
        what,
        user,
        (body.get("team") or {}).get("id") or body.get("team_id"),
        exc_info=error,
    )
    return render_apology()


def report_error(
    runtime: Runtime, error: Exception, body: dict[str, Any], respond: Respond | None = None
) -> None:
    """A refusal goes privately to the person; anything else is logged once, with context,
    and the person gets a short apology. Used by the app's error handler and by `answering`."""
    what, user = _describe(body), _user_of(body)
    message = _message_for(error, body)
    if user is None:
        return
    reply = respond if body.get("response_url") else None
    try:
        tell_privately(runtime, user, message, reply)
    except Exception as exc:  # noqa: BLE001 - the last resort: logged, nothing else to tell
        log.warning("could not tell %s what happened to their %s: %s", user, what, exc)


@contextmanager
def answering(
    runtime: Runtime, body: dict[str, Any], respond: Respond | None = None
) -> Iterator[None]:
    """Around a listener's work after its ack: any error becomes a private answer here.

    Nothing is re-raised to Bolt: when a listener raises after `ack()`, Bolt's thread runner
    resets the ack it had, and if the request thread had not yet sent it, Slack gets a 404
    three seconds later instead of the ack (slack_bolt/listener/thread_runner.py).
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 - every error is told and logged by report_error
        report_error(runtime, error, body, respond)
