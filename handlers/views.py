"""The update modal's submission.

A submission is checked inside its ack, from what the form itself carries
(the action, its plan and that plan's statuses, the period, the last status and the target
date travel in `private_metadata`) and the clock, so missing fields are shown on the form
with `response_action: errors` without waiting on the database. A submission that passes is
stored in the inbox and acknowledged, and recorded by the inbox's worker (this listener
again); the database checks every rule again, and anything it still finds missing is
sent to the person privately with a button to reopen the form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.domain.periods import Period
from bot.domain.refs import split_plan_ref
from bot.domain.status import StatusScheme
from bot.errors import PlanbotError
from bot.ids import ActionId, BlockId, CallbackId
from bot.model.updates import IncompleteUpdate, Source
from bot.render.replies import render_update_recorded
from bot.render.update_form import base_block_id
from bot.render.update_form_meta import UpdateFormMeta
from bot.runtime import Runtime
from bot.services.updates import missing_fields, record_update
from handlers.common import (
    after_update,
    answering,
    incomplete_reply,
    redone,
    runtime_from,
    storing,
    tell_privately,
)
from handlers.routes import Routes

# The service's field names, and the form blocks that hold them.
FIELD_BLOCKS = {
    "note": BlockId.NOTE,
    "revised_target_date": BlockId.REVISED_DATE,
    "amendment_reason": BlockId.AMENDMENT_REASON,
}


@dataclass(frozen=True)
class Submission:
    """The values of a submitted update form. `ref`: the action picked in the form's menu
    (`strategy:SP-1` when it names its plan), None when none was."""

    ref: str | None
    status: str | None
    note: str
    revised: dt.date | None
    period: str | None
    amendment_reason: str | None
    block_ids: dict[str, str] = field(default_factory=dict)  # BlockId value -> rendered id

    def errors_for_slack(self, errors: dict[str, str]) -> dict[str, str]:
        """`errors` keyed by BlockId, re-keyed by the block ids this rendering used."""
        return {self.block_ids.get(base, base): message for base, message in errors.items()}

    def action(self, meta: UpdateFormMeta) -> tuple[str | None, str | None]:
        """The plan key and ref the submission is for: the action picked, else the form's."""
        if not self.ref:
            return meta.plan, meta.ref
        plan, ref = split_plan_ref(self.ref)
        # A ref picked without its plan is the form's own action when it is that one.
        return plan or (meta.plan if ref == meta.ref else None), ref


def read_submission(view: dict[str, Any]) -> Submission:
    """The form's values from `view.state.values`, tolerant of missing or odd entries."""
    values: dict[str, Any] = (view.get("state") or {}).get("values") or {}
    block_ids = {
        base_block_id(str(block.get("block_id"))): str(block.get("block_id"))
        for block in view.get("blocks") or []
        if block.get("block_id")
    }
    for rendered in values:
        block_ids.setdefault(base_block_id(rendered), rendered)

    def element(base: BlockId, action: ActionId) -> dict[str, Any]:
        for rendered, elements in values.items():
            if base_block_id(rendered) == base and isinstance(elements, dict):
                found = elements.get(action)
                if isinstance(found, dict):
                    return found
        return {}

    # Slack sends strings (or null) here; anything else is read as left empty.
    def selected(base: BlockId, action: ActionId) -> str | None:
        chosen = element(base, action).get("selected_option")
        value = chosen.get("value") if isinstance(chosen, dict) else None
        return value if isinstance(value, str) and value else None

    def text(base: BlockId, action: ActionId) -> str:
        value = element(base, action).get("value")
        return value if isinstance(value, str) else ""

    revised = None
    day = element(BlockId.REVISED_DATE, ActionId.REVISED_DATE).get("selected_date")
    if isinstance(day, str) and day:
        try:
            revised = dt.date.fromisoformat(day)
        except ValueError:
            revised = None
    picked = selected(BlockId.PICK_ACTION, ActionId.PICK_ACTION)
    return Submission(
        ref=picked if picked and picked != "-" else None,
        status=selected(BlockId.STATUS, ActionId.STATUS),
        note=text(BlockId.NOTE, ActionId.NOTE),
        revised=revised,
        period=selected(BlockId.PERIOD, ActionId.PERIOD),
        amendment_reason=text(BlockId.AMENDMENT_REASON, ActionId.AMENDMENT_REASON) or None,
        block_ids=block_ids,
    )


def check_submission(
    submission: Submission, meta: UpdateFormMeta, scheme: StatusScheme | None, today: dt.date
) -> dict[str, str]:
    """What is missing, keyed by BlockId; checked from the form alone, before the ack.

    `scheme`: the statuses the form offered (its plan's); None when it did not carry them
    (the form then shows no status until an action is chosen, or its metadata is unreadable):
    only what needs no scheme is checked here, and the rest when it is recorded."""
    errors: dict[str, str] = {}
    plan, ref = submission.action(meta)
    if not ref:
        errors[BlockId.PICK_ACTION] = "Choose an action."
    if scheme is None or (plan is not None and meta.plan is not None and plan != meta.plan):
        # No statuses to check against here (or another plan's): the worker checks them.
        if ref and not submission.status:
            errors[BlockId.STATUS] = "Choose a status."
        return errors
    status = scheme.lookup(submission.status or "")
    if status is None:
        errors[BlockId.STATUS] = "Choose a status."
        return errors
    # What the form says about the last status and target holds for the action and period
    # it was rendered for; for anything else only the rules that need no history are checked.
    same_form = (
        ref == meta.ref and plan == meta.plan and (submission.period or meta.period) == meta.period
    )
    try:
        period_label = Period.from_key(meta.period).label if meta.period else "The period"
    except PlanbotError:
        period_label = "The period"
    missing = missing_fields(
        scheme=scheme,
        status=status,
        note=submission.note,
        revised_target_date=submission.revised,
        # The form carried it back from Slack: trust only a status the scheme knows.
        previous_status=scheme.lookup(meta.last_status or "") if same_form else None,
        effective_target=(meta.target_date or dt.date.max) if same_form else dt.date.max,
        today=today,
        locked=meta.locked and same_form,
        amendment_reason=submission.amendment_reason,
        period_label=period_label,
    )
    errors.update({FIELD_BLOCKS[name]: message for name, message in missing.items()})
    return errors


def handle_update_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
) -> None:
    """The update form was submitted: show what is missing on the form, or record it."""
    runtime = runtime_from(context)
    user = body["user"]["id"]
    meta = UpdateFormMeta.from_json(view.get("private_metadata"))
    submission = read_submission(view)
    today = runtime.cycle.local_date(runtime.now())
    errors = check_submission(submission, meta, meta.scheme, today)
    if errors:
        ack(response_action="errors", errors=submission.errors_for_slack(errors))
        return
    store = storing(context)
    if store is not None:  # Slack's delivery: stored, acknowledged, recorded by a worker
        problem = store(body)
        if problem is None:
            ack()
        else:  # nothing saved: said on the form, which stays open with what was typed
            ack(
                response_action="errors",
                errors=submission.errors_for_slack({BlockId.NOTE: problem}),
            )
        return
    ack()
    with answering(runtime, body):
        _record_submission(runtime, context, user, view, meta, submission)


def _record_submission(
    runtime: Runtime,
    context: BoltContext,
    user: str,
    view: dict[str, Any],
    meta: UpdateFormMeta,
    submission: Submission,
) -> None:
    plan, ref = submission.action(meta)
    assert ref is not None and submission.status is not None
    try:
        recorded = record_update(
            # The plan the form was for (or the picked action's): however many have the ref.
            runtime.request(user, plan_key=plan),
            ref=ref,
            status=submission.status,
            note=submission.note,
            revised_target_date=submission.revised,
            # The period the form said the update counts for: if it was locked meanwhile,
            # the person is told so, rather than the update landing in the next period.
            period=(submission.period if meta.admin else None) or meta.period,
            source=Source.MODAL,
            # Slack keeps a view's id across a double click or a retried delivery.
            idempotency_key=f"view:{view['id']}",
            amendment_reason=submission.amendment_reason,
        )
    except IncompleteUpdate as missing:
        tell_privately(runtime, user, incomplete_reply(missing))
        return
    if recorded.duplicate and not redone(context):
        return  # the form submitted twice: the first submission was answered
    tell_privately(runtime, user, render_update_recorded(recorded))
    after_update(runtime, context, recorded)


def register(routes: Routes) -> None:
    routes.view(CallbackId.UPDATE_MODAL, handle_update_submission)
