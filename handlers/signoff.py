"""Sign-off buttons and the Return form: *Approve*, *Approve all*, *Return…* (in the daily
sign-off DM and the App Home). Each answers privately with what it did; a return goes to
the update's owner by DM, with the comment and a button to update again."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.errors import PlanbotError
from bot.ids import ActionId, BlockId, CallbackId
from bot.model.signoff import APPROVED, RETURNED, Decision
from bot.notifier import NotifierError
from bot.render.replies import render_trigger_expired
from bot.render.signoff import (
    render_decision,
    render_decisions,
    render_return_modal,
    render_returned_to_owner,
)
from bot.runtime import Runtime
from bot.services import signoff as signoff_service
from handlers.common import (
    answering,
    follow_up,
    open_modal,
    redone,
    refresh_homes,
    runtime_from,
    storing,
    tell_privately,
)
from handlers.routes import Routes

log = logging.getLogger(__name__)


def _update_id(text: object) -> int:
    try:
        return int(str(text))
    except ValueError:
        raise PlanbotError(
            "That button no longer points at an update.", hint="Open planbot's App Home."
        ) from None


def _reply(body: dict[str, Any], respond: Respond) -> Respond | None:
    return respond if body.get("response_url") else None


def handle_approve(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """*Approve*: approve one update (a second press approves nothing more, and says so)."""
    ack()
    runtime = runtime_from(context)
    user = body["user"]["id"]
    reply = _reply(body, respond)
    with answering(runtime, body, reply):
        decision = signoff_service.decide(
            runtime.request(user), update_id=_update_id(action.get("value")), decision=APPROVED
        )
        tell_privately(runtime, user, render_decision(decision), reply)
        refresh_homes(runtime, user, decision.owner_slack_id, context=context)


def handle_approve_all(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """*Approve all*: approve each update listed; one that cannot be is named with why."""
    ack()
    runtime = runtime_from(context)
    user = body["user"]["id"]
    reply = _reply(body, respond)
    with answering(runtime, body, reply):
        done: list[Decision] = []
        refused: list[str] = []
        ctx = runtime.request(user)
        for part in str(action.get("value") or "").split(","):
            try:
                done.append(
                    signoff_service.decide(ctx, update_id=_update_id(part), decision=APPROVED)
                )
            except PlanbotError as exc:
                refused.append(exc.message)
        tell_privately(runtime, user, render_decisions(done, refused), reply)
        refresh_homes(runtime, user, *(d.owner_slack_id for d in done), context=context)


def handle_return(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """*Return…*: open the Return form, once the person may return the update."""
    ack()
    runtime = runtime_from(context)
    user = body["user"]["id"]
    reply = _reply(body, respond)
    update_id = _update_id(action.get("value"))
    with answering(runtime, body, reply):

        def build() -> dict[str, Any]:
            ref, title = signoff_service.returnable(runtime.request(user), update_id=update_id)
            return render_return_modal(ref, title, update_id)

        expired = render_trigger_expired(None, pressed=True)
        open_modal(runtime, context, body, build, expired=expired, respond=reply)


def _comment(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    field = (values.get(BlockId.SIGNOFF_COMMENT) or {}).get(ActionId.SIGNOFF_COMMENT) or {}
    return str(field.get("value") or "").strip()


def handle_return_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """The Return form: a comment is needed (said on the form); then stored, acknowledged,
    and done by the inbox's worker (this listener again)."""
    comment = _comment(view)
    if not comment:
        ack(
            response_action="errors",
            errors={BlockId.SIGNOFF_COMMENT: "Say what needs changing: the owner gets this."},
        )
        return
    store = storing(context)
    if store is not None:
        problem = store(body)
        if problem is None:
            ack()
        else:
            ack(response_action="errors", errors={BlockId.SIGNOFF_COMMENT: problem})
        return
    ack()
    runtime = runtime_from(context)
    user = body["user"]["id"]
    with answering(runtime, body):
        meta = json.loads(view.get("private_metadata") or "{}")
        decision = signoff_service.decide(
            runtime.request(user),
            update_id=_update_id(meta.get("update_id")),
            decision=RETURNED,
            comment=comment,
        )
        if decision.already and not redone(context):
            return  # the form submitted twice: the first submission was answered
        tell_privately(runtime, user, render_decision(decision))
        _tell_owner(runtime, context, decision)
        refresh_homes(runtime, user, decision.owner_slack_id, context=context)


def _tell_owner(runtime: Runtime, context: BoltContext, decision: Decision) -> None:
    """DM the owner their returned update (a follow-up, off the worker)."""
    message = render_returned_to_owner(decision)

    def tell() -> None:
        try:
            runtime.notifier.dm(decision.owner_slack_id, message.text, message.blocks)
        except NotifierError as exc:
            log.warning("could not tell %s their update came back: %s", decision.owner_name, exc)

    follow_up(context, None, tell)


def register(routes: Routes) -> None:
    routes.action(ActionId.SIGNOFF_APPROVE, handle_approve)
    routes.action(ActionId.SIGNOFF_APPROVE_ALL, handle_approve_all)
    routes.action(ActionId.SIGNOFF_RETURN, handle_return, prompt=True)
    routes.view(CallbackId.SIGNOFF_RETURN_MODAL, handle_return_submission)
