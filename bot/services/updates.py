"""Recording updates: the rules an update must meet, who may make it, and what it changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.domain.calendar import Cycle
from bot.domain.periods import Period, parse_period
from bot.domain.refs import normalise_ref, resolve_ref
from bot.domain.status import StatusScheme
from bot.errors import InvalidInput, NotAllowed, PeriodLocked
from bot.model.updates import (
    MAX_NOTE_CHARS,
    IncompleteUpdate,
    RecordedUpdate,
    Source,
    UpdateDraft,
)
from bot.services import people as ppl
from bot.services.context import RequestContext
from bot.services.indicators import refuse_status_for_indicator
from bot.services.plan_choice import ChosenPlan, choose_plan, find_indicator, in_several_plans
from bot.services.plans import locked_periods, open_period, period_row
from bot.services.recording import checked_note, record_once
from storage import models as m


def _action(session: Session, plan: m.Plan, ref_text: str, status: str = "") -> m.Action:
    ref = normalise_ref(ref_text)
    if ref is None or (action := _action_by_ref(session, plan, ref)) is None:
        if (indicator := find_indicator(session, plan, ref_text)) is not None:
            raise refuse_status_for_indicator(indicator, status)
        # Not a ref as written: the plan's refs, to say which were meant.
        refs = session.scalars(select(m.Action.ref).where(m.Action.plan_id == plan.id)).all()
        ref = resolve_ref(ref_text, refs)
        action = _action_by_ref(session, plan, ref)
    assert action is not None
    return action


def _action_by_ref(session: Session, plan: m.Plan, ref: str) -> m.Action | None:
    """The action, with its owner and directorate (the update needs both) in the same query."""
    return session.scalar(
        select(m.Action)
        .where(m.Action.plan_id == plan.id, m.Action.ref == ref)
        .options(
            joinedload(m.Action.owner, innerjoin=True),
            joinedload(m.Action.directorate, innerjoin=True),
        )
    )


def _last_update(
    session: Session, action: m.Action, *, before: Period | None = None
) -> m.Update | None:
    """The latest update on `action`, in `before` or an earlier period when given."""
    query = (
        select(m.Update)
        .join(m.Period, m.Update.period_id == m.Period.id)
        .where(m.Update.action_id == action.id)
        .order_by(m.Period.key.desc(), m.Update.id.desc())
        .limit(1)
    )
    if before is not None:
        query = query.where(m.Period.key <= before.key)
    return session.scalar(query)


def _period_for(
    session: Session,
    plan: m.Plan,
    cycle: Cycle,
    person: m.Person,
    period_text: str | None,
    today: dt.date,
) -> Period:
    current = open_period(session, plan, cycle, today)
    if not period_text:
        return current
    chosen = parse_period(period_text, today=today)
    if chosen == current:
        return chosen
    if person.role != ppl.ADMIN and chosen.key in locked_periods(session, plan):
        raise PeriodLocked(
            f"{chosen.label} has been published and is locked; nothing was recorded.",
            hint=f"Ask {ppl.programme_office(session, plan)} to amend it if it must change.",
        )
    if person.role != ppl.ADMIN:
        raise NotAllowed(
            f"Updates now count for {current.label}; only the programme office can report "
            f"for {chosen.label}.",
            hint="Leave the period out to update the current one.",
        )
    if chosen > current:
        raise InvalidInput(
            f"{chosen.label} is not open for updates yet; the current period is {current.label}."
        )
    return chosen


def _draft(
    session: Session,
    chosen: ChosenPlan,
    cycle: Cycle,
    action: m.Action,
    period: Period,
    scheme: StatusScheme,
    *,
    row: m.Period | None = None,
    last: m.Update | None = None,
    looked_up: bool = False,
) -> UpdateDraft:
    """`row` and `last`, when the caller has them (`looked_up`), save reading them again."""
    plan, person = chosen.plan, chosen.person
    if row is None:
        row = period_row(session, plan, period)
    if not looked_up:
        last = _last_update(session, action, before=period)
    schedule = cycle.schedule(period, row.meeting_date)
    return UpdateDraft(
        plan_key=plan.key,
        ref=action.ref,
        title=action.title,
        owner_name=action.owner.name,
        directorate=action.directorate.name,
        target_date=action.target_date,
        revised_target_date=action.revised_target_date,
        period_key=period.key,
        period_label=period.label,
        due_date=schedule.update_deadline,
        locked=row.locked_at is not None,
        status=last.status if last else None,
        note=last.note if last else "",
        last_status=last.status if last else None,
        last_period_key=last.period.key if last else None,
        caller_is_admin=person.role == ppl.ADMIN,
        on_behalf=person.id != action.owner_id,
        current_target=action.effective_target,
        scheme=scheme,
        plan_name=plan.name,
        several_plans=chosen.several,
    )


def missing_fields(
    *,
    scheme: StatusScheme,
    status: str,
    note: str,
    revised_target_date: dt.date | None,
    previous_status: str | None,
    effective_target: dt.date,
    today: dt.date,
    locked: bool,
    amendment_reason: str | None,
    period_label: str,
) -> dict[str, str]:
    """What a person must still add before an update can be recorded, by field; pure.

    The Slack modal checks this before acknowledging a submission (so the errors show on
    the fields) from what the form carried; `record_update` checks it again in the database.
    """
    errors: dict[str, str] = {}
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        errors["note"] = (
            f"The note is {len(note):,} characters long; the limit is {MAX_NOTE_CHARS:,}."
        )
    elif scheme.needs_note(status) and not note:
        errors["note"] = (
            f"{scheme.label(status)} needs a note: say what the problem is and how it will be "
            "recovered."
        )
    if revised_target_date is not None and revised_target_date < today:
        errors["revised_target_date"] = "The revised target date must be today or later."
    elif revised_target_date is None and not scheme.closes(status):
        if scheme.is_worse(previous_status, status):
            errors["revised_target_date"] = (
                f"The status is worse than {scheme.label(previous_status or '')}: "
                "give a revised target date."
            )
        elif effective_target < today:
            errors["revised_target_date"] = (
                f"The target date {effective_target:%-d %b %Y} has passed: "
                "give a revised target date."
            )
    if locked and not (amendment_reason or "").strip():
        errors["amendment_reason"] = f"{period_label} is locked: give a reason for the amendment."
    return errors


def prepare_update(ctx: RequestContext, *, ref: str, period: str | None = None) -> UpdateDraft:
    """The update form for `ref`, prefilled with the last update; checks the caller may update."""
    with ctx.db.session() as session:
        chosen = choose_plan(session, ctx, ref)
        plan, person = chosen.plan, chosen.person
        action = _action(session, plan, ref)
        ppl.require_may_update(session, plan, person, action)
        cycle = ctx.cycle(plan)
        counts_for = _period_for(session, plan, cycle, person, period, ctx.today(plan))
        return _draft(session, chosen, cycle, action, counts_for, ctx.rules(plan).scheme)


def record_update(
    ctx: RequestContext,
    *,
    ref: str,
    status: str,
    note: str = "",
    revised_target_date: dt.date | None = None,
    period: str | None = None,
    source: Source,
    idempotency_key: str | None = None,
    amendment_reason: str | None = None,
) -> RecordedUpdate:
    """Record one update, in the plan of the caller's that has `ref` (or the one `ctx` names),
    its status read by that plan's scheme, after checking every rule; raises with a reason
    and changes nothing."""
    note = checked_note(note)

    def record(session: Session) -> RecordedUpdate:
        return _record(
            session,
            ctx,
            ref=ref,
            status=status,
            note=note,
            revised_target_date=revised_target_date,
            period_text=period,
            source=source,
            idempotency_key=idempotency_key,
            amendment_reason=(amendment_reason or "").strip() or None,
        )

    def already_recorded(session: Session, key: str) -> RecordedUpdate | None:
        return _already_recorded(session, ctx, key)

    return record_once(ctx, idempotency_key, already_recorded=already_recorded, record=record)


def _status_key(
    session: Session, chosen: ChosenPlan, scheme: StatusScheme, ref: str, status: str
) -> str:
    """The status `status` means in the plan's scheme; refused listing that plan's statuses
    (or, for an indicator, saying it takes a number)."""
    try:
        return scheme.parse(status)
    except InvalidInput as refused:
        indicator = find_indicator(session, chosen.plan, ref)
        if indicator is not None:
            raise refuse_status_for_indicator(indicator, status) from None
        if not chosen.several:
            raise
        raise InvalidInput(
            f"'{status.strip()}' is not a status in {chosen.plan.name}.",
            hint=f"Use one of: {', '.join(scheme.keys)}.",
        ) from refused


def _already_recorded(session: Session, ctx: RequestContext, key: str) -> RecordedUpdate | None:
    update = session.scalar(select(m.Update).where(m.Update.idempotency_key == key))
    if update is None:
        return None
    previous = session.scalar(
        select(m.Update)
        .where(m.Update.action_id == update.action_id, m.Update.id < update.id)
        .order_by(m.Update.id.desc())
        .limit(1)
    )
    plan = update.action.plan
    return _recorded(
        update,
        previous.status if previous else None,
        ctx.rules(plan).scheme,
        several=in_several_plans(session, ctx),
        duplicate=True,
    )


def _recorded(
    update: m.Update,
    previous: str | None,
    scheme: StatusScheme,
    *,
    several: bool,
    duplicate: bool = False,
) -> RecordedUpdate:
    action = update.action
    author = update.author
    return RecordedUpdate(
        ref=action.ref,
        title=action.title,
        period_key=update.period.key,
        period_label=Period.from_key(update.period.key).label,
        status=update.status,
        previous_status=previous,
        note=update.note,
        revised_target_date=update.revised_target_date,
        author_name=author.name if author else "import",
        owner_name=action.owner.name,
        on_behalf=update.on_behalf_of_id is not None,
        amendment_reason=update.amendment_reason,
        closed_action=action.closed,
        scheme=scheme,
        plan_key=action.plan.key,
        plan_name=action.plan.name,
        several_plans=several,
        duplicate=duplicate,
        owner_slack_id=action.owner.slack_id,
        author_slack_id=author.slack_id if author else "",
    )


def _record(
    session: Session,
    ctx: RequestContext,
    *,
    ref: str,
    status: str,
    note: str,
    revised_target_date: dt.date | None,
    period_text: str | None,
    source: Source,
    idempotency_key: str | None,
    amendment_reason: str | None,
) -> RecordedUpdate:
    chosen = choose_plan(session, ctx, ref)
    plan, person = chosen.plan, chosen.person
    scheme = ctx.rules(plan).scheme
    status_key = _status_key(session, chosen, scheme, ref, status)
    action = _action(session, plan, ref, status_key)
    ppl.require_may_update(session, plan, person, action)
    cycle, today = ctx.cycle(plan), ctx.today(plan)
    period = _period_for(session, plan, cycle, person, period_text, today)
    row = period_row(session, plan, period)
    last = _last_update(session, action, before=period)
    draft = replace(
        _draft(session, chosen, cycle, action, period, scheme, row=row, last=last, looked_up=True),
        status=status_key,
        note=note,
        revised_target_date=revised_target_date or action.revised_target_date,
    )
    is_admin = person.role == ppl.ADMIN

    if row.locked_at is not None and not is_admin:
        raise PeriodLocked(
            f"{period.label} has been published and is locked; nothing was recorded.",
            hint=f"Ask {ppl.programme_office(session, plan)} to amend it if it must change.",
        )
    if action.closed and not scheme.closes(status_key) and not is_admin:
        raise NotAllowed(
            f"{action.ref} was closed as complete; nothing was recorded.",
            hint=f"Ask {ppl.programme_office(session, plan)} to reopen it.",
        )

    previous_status = last.status if last else None
    errors = missing_fields(
        scheme=scheme,
        status=status_key,
        note=note,
        revised_target_date=revised_target_date,
        previous_status=previous_status,
        effective_target=action.effective_target,
        today=today,
        locked=row.locked_at is not None,
        amendment_reason=amendment_reason,
        period_label=period.label,
    )
    if errors:
        raise IncompleteUpdate(errors, draft)

    update = m.Update(
        action_id=action.id,
        period_id=row.id,
        status=status_key,
        note=note,
        revised_target_date=revised_target_date,
        author_id=person.id,
        on_behalf_of_id=action.owner_id if person.id != action.owner_id else None,
        source=str(source),
        created_at=ctx.now,
        amendment_reason=amendment_reason if row.locked_at is not None else None,
        idempotency_key=idempotency_key,
    )
    session.add(update)
    if revised_target_date is not None:
        action.revised_target_date = revised_target_date
    action.closed = scheme.closes(status_key)
    session.flush()
    return _recorded(update, previous_status, scheme, several=chosen.several)
