"""The reminder's "No change since last quarter" button: last quarter's update, recorded again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.periods import Period
from bot.domain.refs import resolve_ref
from bot.domain.status import StatusScheme
from bot.errors import InvalidInput, PlanbotError
from bot.model.updates import RecordedUpdate, Source
from bot.services import people as ppl
from bot.services.context import RequestContext
from bot.services.plan_choice import choose_plan
from bot.services.plans import open_period
from bot.services.reminders import updates_by_period
from bot.services.updates import record_update
from storage import models as m


class AlreadyUpdated(PlanbotError):
    """The action already has an update for the open period."""


def record_no_change(ctx: RequestContext, *, ref: str, idempotency_key: str) -> RecordedUpdate:
    """Record last quarter's status and note again for the open period (the reminder button),
    in the plan of the caller's that has `ref` (or the one `ctx` names).

    Refused, with the reason, when there is nothing to repeat, when last quarter's status
    needs a fresh reason (by the plan's scheme: amber, red by default) or when the action was
    already updated this period.
    """
    try:
        with ctx.db.session() as session:
            first = _first_delivery(session, idempotency_key)
            if first is not None:
                # The same click delivered twice: record_update answers with the first result.
                status, note, plan_key = first
            else:
                chosen = choose_plan(session, ctx, ref)
                plan, person = chosen.plan, chosen.person
                plan_key = plan.key
                period = open_period(session, plan, ctx.cycle(plan), ctx.today(plan))
                scheme = ctx.rules(plan).scheme
                status, note = _last_quarter(session, plan, person, period, ref, scheme)
    except AlreadyUpdated:
        # The first delivery of this click may have recorded it since we looked.
        with ctx.db.session() as session:
            first = _first_delivery(session, idempotency_key)
        if first is None:
            raise
        status, note, plan_key = first
    return record_update(
        ctx.for_plan(plan_key),  # the plan found here, however many of theirs have the ref
        ref=ref,
        status=status,
        note=note,
        source=Source.BUTTON,
        idempotency_key=idempotency_key,
    )


def _first_delivery(session: Session, idempotency_key: str) -> tuple[str, str, str] | None:
    """The status, note and plan key recorded by an earlier delivery of the same click."""
    first = session.scalar(select(m.Update).where(m.Update.idempotency_key == idempotency_key))
    return None if first is None else (first.status, first.note, first.action.plan.key)


def _last_quarter(
    session: Session,
    plan: m.Plan,
    person: m.Person,
    period: Period,
    ref: str,
    scheme: StatusScheme,
) -> tuple[str, str]:
    refs = session.scalars(select(m.Action.ref).where(m.Action.plan_id == plan.id)).all()
    ref = resolve_ref(ref, refs)
    action = session.scalar(
        select(m.Action).where(m.Action.plan_id == plan.id, m.Action.ref == ref)
    )
    assert action is not None
    ppl.require_may_update(session, plan, person, action)
    history = updates_by_period(session, plan, period).get(action.id, {})
    if period.key in history:
        current = history[period.key]
        raise AlreadyUpdated(
            f"{ref} already has an update for {period.label}: "
            f"{scheme.label(current.status)}. Nothing was changed.",
            hint="Use Update to change it.",
        )
    if not history:
        raise InvalidInput(
            f"{ref} has no update from an earlier quarter to repeat; nothing was recorded.",
            hint="Use Update to report its status.",
        )
    last = history[max(history)]
    if scheme.needs_note(last.status):
        raise InvalidInput(
            f"{ref} was {scheme.label(last.status)} last quarter, which needs a fresh reason; "
            "nothing was recorded.",
            hint="Use Update to say what has changed and how it will be recovered.",
        )
    return last.status, last.note
