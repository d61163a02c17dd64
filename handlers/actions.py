"""Buttons and menus: the Update button, the action picker and the admin's period menu.

The Update button (`ActionId.OPEN_UPDATE`, value = the action's ref) appears in reminder
DMs, in `/actions` lists and on the App Home; it opens the update modal. In the modal,
choosing an action (or, for the programme office, a period) redraws the form prefilled
for that choice. The picker becomes an `external_select` for people who may update more
than 100 actions; its options are answered here.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.domain.refs import plan_ref
from bot.errors import PlanbotError
from bot.ids import ActionId, BlockId
from bot.notifier import ViewGone
from bot.render.replies import render_trigger_expired
from bot.render.update_form import action_options
from bot.render.update_form_meta import UpdateFormMeta
from bot.services import actions as action_service
from handlers.common import answering, open_modal, pressed_ref, runtime_from, update_form_view
from handlers.routes import Routes

log = logging.getLogger(__name__)


def handle_open_update(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    context: BoltContext,
) -> None:
    """The Update button: open the update modal for its action, within the press's trigger
    window (a loading form first when the bot is too busy to build it in time)."""
    ack()
    runtime = runtime_from(context)
    ref = pressed_ref(action)
    with answering(runtime, body, respond):

        def build() -> dict[str, Any]:
            return update_form_view(runtime, body["user"]["id"], ref)

        expired = render_trigger_expired(ref or None, pressed=True)
        open_modal(runtime, context, body, build, expired=expired, respond=respond)


def _redraw(
    body: dict[str, Any],
    context: BoltContext,
    *,
    ref: str,
    period: str | None,
) -> None:
    """Replace the open form with one prefilled for `ref` (and `period`)."""
    runtime = runtime_from(context)
    view = body["view"]
    picker = next(
        (b for b in view.get("blocks") or [] if b.get("block_id") == BlockId.PICK_ACTION), None
    )
    redrawn = update_form_view(runtime, body["user"]["id"], ref, period=period, picker=picker)
    try:
        runtime.notifier.update_view(view["id"], redrawn, hash=view.get("hash"))
    except ViewGone:
        # The person changed the form again meanwhile; the later change redraws it.
        log.info("form %s changed while it was being redrawn; left as it is", view["id"])


def handle_pick_action(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
) -> None:
    """An action was chosen in the form's picker: prefill the form for it."""
    ack()
    chosen = (action.get("selected_option") or {}).get("value")
    if not chosen or chosen == "-":
        return
    with answering(runtime_from(context), body):
        _redraw(body, context, ref=str(chosen), period=None)


def handle_pick_period(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
) -> None:
    """The programme office chose another period: prefill the form for it."""
    ack()
    meta = UpdateFormMeta.from_json(body["view"].get("private_metadata"))
    chosen = (action.get("selected_option") or {}).get("value")
    if not chosen or not meta.ref:
        return
    with answering(runtime_from(context), body):
        # The form's own plan: another plan may have the same ref.
        _redraw(body, context, ref=plan_ref(meta.plan, meta.ref), period=str(chosen))


def handle_action_options(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Options for the external_select picker: the caller's open actions matching the query.

    The one listener that reads the database before its ack: Slack takes the options in it.
    """
    runtime = runtime_from(context)
    try:
        picker = action_service.updatable_actions(
            runtime.request(body["user"]["id"]), query=str(body.get("value") or "")
        )
    except PlanbotError:
        ack(options=[])
        return
    ack(options=action_options(picker.choices))


def register(routes: Routes) -> None:
    routes.action(ActionId.OPEN_UPDATE, handle_open_update, prompt=True)
    routes.action(ActionId.PICK_ACTION, handle_pick_action, prompt=True)
    routes.action(ActionId.PERIOD, handle_pick_period, prompt=True)
    routes.options(ActionId.PICK_ACTION, handle_action_options)
