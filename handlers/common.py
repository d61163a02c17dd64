"""What every listener shares: the runtime from the context, private answers, modals opened
within their trigger, and errors turned into words.

Listeners are thin: parse, call one service, render, respond. They reach the runtime
(settings, database, calendar, notifier, clock) through Bolt's context, where the app
factory's middleware puts it, never through a global. They run on a worker of the inbox,
after the request was stored and acknowledged (bot/entrypoints/inbox.py); the two that
answer inside the ack (a menu's options, a form's check) also run in the ack's dispatch.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltContext, Respond

from bot.domain.refs import plan_ref, split_plan_ref
from bot.errors import PlanbotError
from bot.model.updates import IncompleteUpdate, RecordedUpdate
from bot.notifier import NotifierError, OpenedView, TriggerSpent
from bot.render.blockkit import Message
from bot.render.home import render_home, render_stranger_home
from bot.render.reminders import plan_of_button_block
from bot.render.replies import (
    render_apology,
    render_database_unavailable,
    render_incomplete,
    render_refusal,
    render_update_recorded,
)
from bot.render.update_form import render_update_modal
from bot.services.actions import home_for, update_form
from storage.db import is_unavailable

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

RUNTIME_KEY = "planbot_runtime"
# Put in the context by the inbox (bot.entrypoints.inbox): the stored request a worker is
# doing; when the request reached this process (time.monotonic()); and, in the ack of a
# request a listener answers itself, how to store it for later (see `storing`).
ITEM_KEY = "planbot_inbox_item"
RECEIVED_KEY = "planbot_received"
STORE_KEY = "planbot_store_for_later"
ATTEMPT_KEY = "planbot_attempt"  # 2 and more: an earlier worker was stopped while at it
FOLLOW_UP_KEY = "planbot_follow_up"  # how to run work after the listener (`follow_up`)

# A trigger_id opens one view within this many seconds of the payload that carried it.
TRIGGER_SECONDS = 3.0


def runtime_from(context: BoltContext) -> Runtime:
    """The runtime the app factory put into this request's context."""
    runtime: Runtime = context[RUNTIME_KEY]
    return runtime


def seconds_since_received(context: BoltContext) -> float:
    """Seconds since the request reached planbot (infinite when another process took it in:
    its trigger is long spent)."""
    received: float | None = context.get(RECEIVED_KEY)
    return math.inf if received is None else time.monotonic() - received


def redone(context: BoltContext) -> bool:
    """Whether a worker before this one was stopped while doing this request: what it
    recorded stands, and the person may not have heard; they are answered again."""
    attempt: int = context.get(ATTEMPT_KEY) or 1
    return attempt > 1


def storing(context: BoltContext) -> Callable[[dict[str, Any]], str | None] | None:
    """For a listener that answers inside its ack (a form's check): how to store this request
    to be done after the ack, when this is Slack's own delivery of it; None when a worker of
    the inbox is doing it now. The callable returns None once stored, else what to tell the
    person (nothing was saved)."""
    store: Callable[[dict[str, Any]], str | None] | None = context.get(STORE_KEY)
    return store


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
        log.info("%s: the trigger was spent before the modal opened (%s)", describe(body), exc)
        _tell_spent(runtime, body, expired, respond)
        return None


def _tell_spent(
    runtime: Runtime, body: dict[str, Any], expired: Message, respond: Respond | None
) -> None:
    reply = respond if body.get("response_url") else None
    tell_privately(runtime, user_of(body) or "", expired, reply)


def open_modal(
    runtime: Runtime,
    context: BoltContext,
    body: dict[str, Any],
    build: Callable[[], dict[str, Any]],
    *,
    expired: Message,
    respond: Respond | None = None,
) -> None:
    """Build the modal and open it while the request's trigger_id still works (3 s): the
    inbox starts such requests on workers of their own (`Routes.prompt`), so it is built
    within milliseconds of the ack. A trigger too old by then, or one Slack says is spent,
    gets `expired`, privately."""
    view = build()
    if seconds_since_received(context) >= TRIGGER_SECONDS:
        log.info("%s: too late to open the modal; told privately", describe(body))
        _tell_spent(runtime, body, expired, respond)
        return
    _open_or_tell(runtime, body, view, expired, respond)


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
    if seconds_since_received(context) < TRIGGER_SECONDS:
        _open_or_tell(runtime, body, view, too_late, respond)
        return
    log.info("%s: too late to open the form; told privately", describe(body))
    _tell_spent(runtime, body, too_late, respond)


def pressed_ref(action: dict[str, Any]) -> str:
    """What an Update or No change press names: its value (a ref, which may name its plan),
    with the plan of a reminder DM's block added where the value has none (a person may have
    the ref in two plans)."""
    value = str(action.get("value") or "")
    plan, ref = split_plan_ref(value)
    if plan is None:
        plan = plan_of_button_block(str(action.get("block_id") or ""), ref)
    return plan_ref(plan, ref)


def update_form_view(
    runtime: Runtime,
    actor: str,
    ref: str,
    *,
    plan: str | None = None,
    period: str | None = None,
    picker: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The update modal for `ref`, prefilled with its last update, as `actor` may use it
    (`ref` may name its plan, `strategy:SP-1`, as buttons and menus do; `plan`: the plan
    named otherwise; `period`: the programme office's choice; `picker`: the form's picker,
    kept). The form offers the plan's own statuses."""
    named, ref = split_plan_ref(ref)
    form = update_form(runtime.request(actor, plan_key=named or plan), ref=ref, period=period)
    return render_update_modal(form.draft, periods=form.periods, picker=picker)


def incomplete_reply(missing: IncompleteUpdate) -> Message:
    """What is still missing from an update, with a button to open its form (which names
    the plan when the person has several)."""
    draft = missing.draft
    plan_key = draft.plan_key if draft.several_plans else None
    return render_incomplete(missing.errors, draft.ref, plan_key=plan_key)


def refresh_home(runtime: Runtime, slack_id: str) -> None:
    """Publish a person's App Home as it stands now (for strangers: why there is nothing)."""
    try:
        view = render_home(home_for(runtime.request(slack_id)))
    except PlanbotError as exc:
        view = render_stranger_home(exc)
    runtime.notifier.publish_home(slack_id, view)


def after_update(runtime: Runtime, context: BoltContext, recorded: RecordedUpdate) -> None:
    """What follows a recorded update: the owner told when someone reported for them, and
    the App Homes of the author and the owner refreshed. Failures here are logged, not
    shown: the update itself is safe and the person already has their confirmation.

    Done as follow-ups (`follow_up`), off the worker: these calls may wait on Slack's rate
    limits (one message a second to a person), and other people's updates must not."""
    owner, author = recorded.owner_slack_id, recorded.author_slack_id
    if recorded.on_behalf and owner and owner != author:
        message = render_update_recorded(recorded, for_owner=True)

        def tell_owner() -> None:
            try:
                runtime.notifier.dm(owner, message.text, message.blocks)
            except NotifierError as exc:
                log.warning(
                    "could not tell %s about %s's update of %s: %s",
                    owner,
                    author,
                    recorded.ref,
                    exc,
                )

        follow_up(context, None, tell_owner)
    refresh_homes(runtime, author, owner, context=context)


def follow_up(context: BoltContext, key: str | None, work: Callable[[], None]) -> None:
    """Run `work` after the listener, off its worker (the inbox's follow-ups); one with the
    `key` of another still waiting to start is dropped (it would do the same). Without an
    inbox (a listener called directly) it runs now."""
    later: Callable[[str | None, Callable[[], None]], None] | None = context.get(FOLLOW_UP_KEY)
    if later is None:
        work()
    else:
        later(key, work)


def refresh_homes(runtime: Runtime, *slack_ids: str, context: BoltContext | None = None) -> None:
    """Refresh these people's App Homes (as follow-ups of the request in `context`, one at
    a time for each person); a failure is logged (the Home is redrawn on open)."""
    for slack_id in dict.fromkeys(s for s in slack_ids if s):

        def refresh(slack_id: str = slack_id) -> None:
            _refresh_logged(runtime, slack_id)

        if context is None:
            refresh()
        else:
            follow_up(context, f"home:{slack_id}", refresh)


def _refresh_logged(runtime: Runtime, slack_id: str) -> None:
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


def describe(body: dict[str, Any]) -> str:
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


def user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user_id") or body.get("user") or (body.get("event") or {}).get("user")
    if isinstance(user, dict):
        user = user.get("id")
    return str(user) if user else None


def _message_for(error: Exception, body: dict[str, Any]) -> Message:
    """What to tell the person about `error`; logged here, once, with context."""
    what, user = describe(body), user_of(body)
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
    what, user = describe(body), user_of(body)
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

    Nothing is re-raised to Bolt: the person hears of it here, once, through the request's
    own response_url when it has one.
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 - every error is told and logged by report_error
        report_error(runtime, error, body, respond)
