"""Slash commands: `/update`, `/actions` and `/planbot`.

Each listener acknowledges first (an empty ack, so Slack shows nothing and the 3-second
clock stops), then reads the command, calls one service and answers privately through
the command's response_url. Refusals (`PlanbotError`) are turned into private replies by
`answering`. `/update` opens its form within the command's trigger window (`open_modal`).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from bot.domain.grammar import UpdateRequest, parse_actions, parse_planbot, parse_update
from bot.ids import Command
from bot.model.updates import IncompleteUpdate, Source
from bot.render.action_lists import (
    render_action_history,
    render_actions_by_plan,
    render_actions_help,
)
from bot.render.blockkit import Message
from bot.render.indicator_replies import render_measure_recorded
from bot.render.replies import (
    render_absence,
    render_help,
    render_trigger_expired,
    render_update_recorded,
)
from bot.render.update_form import render_picker_modal, render_update_modal
from bot.runtime import Runtime
from bot.services import absence as absence_service
from bot.services import actions as action_service
from bot.services.context import RequestContext
from bot.services.indicators import record_measure
from bot.services.plan_choice import update_vocabulary
from bot.services.updates import record_update
from handlers.common import (
    after_update,
    answering,
    incomplete_reply,
    open_modal,
    open_modal_in_time,
    refresh_homes,
    runtime_from,
    tell_privately,
    update_form_view,
)
from handlers.routes import Routes

# -- listeners ---------------------------------------------------------------------------------


def handle_update_command(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """`/update`: record at once, or open the form (prefilled, or with a picker).

    The form must open within 3 s of the command (its trigger_id): `open_modal` opens a
    loading form first when the inbox's workers came to it late.
    """
    ack()
    runtime = runtime_from(context)
    with answering(runtime, command, respond):
        user = command["user_id"]
        ctx = runtime.request(user)
        # The caller's plans' status words, and every plan's key and name, to read it with.
        vocabulary = update_vocabulary(ctx)
        request = parse_update(
            command.get("text") or "",
            today=ctx.local_today,
            scheme=vocabulary.words,
            plans=vocabulary.plan_words,
        )
        if request.plan:  # `/update strategy SP-1 …`: that plan, whichever others have SP-1
            ctx = ctx.for_plan(vocabulary.plan_key(request.plan))
        if request.kind in {"pick", "open"}:
            _open_form(runtime, context, command, request, respond, ctx)
            return
        if request.kind == "help":
            message = render_help("update", plans=vocabulary.named(request.plan))
            tell_privately(runtime, user, message, respond)
        else:
            _record_from_command(runtime, context, command, request, respond, ctx)


def _open_form(
    runtime: Runtime,
    context: BoltContext,
    command: dict[str, Any],
    request: UpdateRequest,
    respond: Respond,
    ctx: RequestContext,
) -> None:
    """`/update` alone (the form with a picker of the caller's actions in all their plans, or
    in the plan named) or `/update REF` (the form prefilled)."""

    def build() -> dict[str, Any]:
        if request.kind == "pick":
            picker = action_service.updatable_actions(ctx)
            return render_picker_modal(
                picker.choices, picker.period, picker.scheme, plan_periods=picker.plan_periods
            )
        return update_form_view(runtime, ctx.actor, request.ref, plan=ctx.plan_key)

    expired = render_trigger_expired(request.ref or None, pressed=False)
    open_modal(runtime, context, command, build, expired=expired, respond=respond)


def _record_from_command(
    runtime: Runtime,
    context: BoltContext,
    command: dict[str, Any],
    request: UpdateRequest,
    respond: Respond,
    ctx: RequestContext,
) -> None:
    """Record `/update REF STATUS NOTE`; when something is missing, open the form instead
    (or, when the command's trigger has run out meanwhile, say what is missing)."""
    user = ctx.actor
    trigger = command.get("trigger_id") or ""
    # One command invocation, one update or measure, however often it is delivered.
    key = f"command:{trigger}" if trigger else None
    if request.value:  # an indicator's actual: recorded at once, never a form
        measure = record_measure(
            ctx,
            ref=request.ref,
            value=request.value,
            note=request.note,
            source=Source.COMMAND,
            idempotency_key=key,
        )
        tell_privately(runtime, user, render_measure_recorded(measure), respond)
        return
    try:
        recorded = record_update(
            ctx,
            ref=request.ref,
            status=request.status,
            note=request.note,
            revised_target_date=request.revised,
            source=Source.COMMAND,
            idempotency_key=key,
        )
    except IncompleteUpdate as missing:
        view = render_update_modal(missing.draft, problems=missing.errors)
        too_late = incomplete_reply(missing)
        open_modal_in_time(runtime, context, command, view, too_late=too_late, respond=respond)
        return
    # The inbox does each command once; recorded already means a worker before this one
    # was stopped after recording it: the person is answered now.
    tell_privately(runtime, user, render_update_recorded(recorded), respond)
    after_update(runtime, context, recorded)


def handle_actions_command(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """`/actions [plan]`: a list of actions (one for each of the caller's plans), or one
    action's history."""
    ack()
    runtime = runtime_from(context)
    with answering(runtime, command, respond):
        user = command["user_id"]
        ctx, text = action_service.plan_named_first(
            runtime.request(user), command.get("text") or ""
        )
        request = parse_actions(text)
        message: Message
        if request.kind == "help":
            message = render_actions_help()
        elif request.kind == "history":
            history = action_service.action_history(ctx, ref=request.value)
            message = render_action_history(history)
        else:
            listing = action_service.list_actions(
                ctx,
                person=request.value if request.kind == "person" else None,
                directorate=request.value if request.kind == "directorate" else None,
                everything=request.kind == "all",
            )
            message = render_actions_by_plan(listing)
        tell_privately(runtime, user, message, respond)


def handle_planbot_command(
    ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    """`/planbot`: help, away and back."""
    ack()
    runtime = runtime_from(context)
    with answering(runtime, command, respond):
        user = command["user_id"]
        ctx = runtime.request(user)
        request = parse_planbot(command.get("text") or "", today=ctx.local_today)
        message: Message
        if request.kind == "help":
            message = render_help("planbot")
        elif request.kind == "back":
            absence = absence_service.back(ctx)
            message = render_absence(absence)
        else:
            assert request.start is not None and request.end is not None
            absence = absence_service.set_away(
                ctx, start=request.start, end=request.end, delegate_slack_id=request.delegate
            )
            message = render_absence(absence)
        tell_privately(runtime, user, message, respond)
        if request.kind != "help":
            refresh_homes(runtime, user, context=context)  # the Home says who is away


def register(routes: Routes) -> None:
    routes.command(Command.UPDATE, handle_update_command, prompt=True)
    routes.command(Command.ACTIONS, handle_actions_command)
    routes.command(Command.PLANBOT, handle_planbot_command)
