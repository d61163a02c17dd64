"""The reminder DM's buttons: *No change since last quarter* and *Open planbot*.

(*Update* opens the update modal; its listener lives with the other actions.)
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.domain.refs import split_plan_ref
from bot.ids import ActionId
from bot.model.updates import IncompleteUpdate
from bot.render.reminders import render_home_link, render_no_change_recorded
from bot.render.update_form import render_update_modal
from bot.services.no_change import record_no_change
from handlers.common import (
    after_update,
    answering,
    incomplete_reply,
    open_modal_in_time,
    pressed_ref,
    runtime_from,
    tell_privately,
)
from handlers.routes import Routes


def no_change_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """One update per button of one reminder message, however often it is pressed or resent.

    In a message the key is the message and the ref (the message belongs to one period); on
    a view (the App Home), which outlives periods, it is the press itself (`action_ts`).
    """
    user = body["user"]["id"]
    container = body.get("container") or {}
    where = container.get("message_ts") or f"view:{action.get('action_ts', '')}"
    return f"no_change:{user}:{action['value']}:{where}"


def handle_no_change(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    """Record last quarter's status and note again, then say privately what was recorded.

    The button's value is the ref, or `plan:ref` for a person in several plans."""
    ack()
    runtime = runtime_from(context)
    user = body["user"]["id"]
    reply = respond if body.get("response_url") else None
    with answering(runtime, body, reply):
        plan, ref = split_plan_ref(pressed_ref(action))
        try:
            recorded = record_no_change(
                runtime.request(user, plan_key=plan),
                ref=ref,
                idempotency_key=no_change_key(body, action),
            )
        except IncompleteUpdate as missing:
            # e.g. the target date has passed since the reminder: ask for it in the form, or,
            # if the press waited too long for its turn to open one, say what is missing.
            # Other refusals reach the person privately through `answering`.
            view = render_update_modal(missing.draft, problems=missing.errors)
            too_late = incomplete_reply(missing)
            open_modal_in_time(runtime, context, body, view, too_late=too_late, respond=reply)
            return
        tell_privately(runtime, user, render_no_change_recorded(recorded), reply)
        if not recorded.duplicate:
            after_update(runtime, context, recorded)


def handle_open_home(
    ack: Ack, body: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """Answer *Open planbot* with a link to the app's Home tab."""
    ack()
    runtime = runtime_from(context)
    team = (body.get("team") or {}).get("id", "")
    message = render_home_link(team, body.get("api_app_id", ""))
    reply = respond if body.get("response_url") else None
    tell_privately(runtime, body["user"]["id"], message, reply)


def register(routes: Routes) -> None:
    routes.action(ActionId.NO_CHANGE, handle_no_change, prompt=True)
    routes.action(ActionId.OPEN_HOME, handle_open_home)
