# Over 400 lines: the reminder ladder's routing (owners, stand-ins, escalations, summaries, the
# unreachable) is one set of rules.
"""Reminders and escalation: who is owed which message for the open period, and sending each once.

The database, not the scheduler, decides what is due. A tick works out the one ladder step
due now (`Cycle.due_step`), lists the outstanding actions (open, not updated this period) and
turns them into messages: one DM per recipient per step. Each message is claimed in the
`deliveries` table (a unique row per plan, period, kind and recipient, inserted with
`ON CONFLICT DO NOTHING`) before it is sent, marked sent afterwards, and released when Slack
could not take it, so replicas, restarts and repeated ticks never send it twice.

Slack accepts a DM to a deactivated account as if it had been read, so before a message goes
out its recipient is looked up (users.info, once per person per tick). A deactivated or
unknown recipient is sent nothing: the claim is marked failed, and the admins are told their
name once a period, the same way as someone Slack refused to message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.domain.calendar import Cycle, PeriodSchedule, Step
from bot.domain.dates import weekday_date
from bot.domain.indicators import Unit
from bot.domain.periods import Period
from bot.domain.status import StatusScheme
from bot.model.reminders import (
    OutstandingAction,
    OutstandingIndicator,
    Recipient,
    Reminder,
    ReminderAudience,
    Unreachable,
)
from bot.services import people as ppl
from bot.services.claims import (
    FAILED,
)
from bot.services.context import RequestContext
from bot.services.plans import (
    indicator_targets,
    latest_measures,
    latest_updates,
    meetings,
    open_period,
)
from storage import models as m

log = logging.getLogger(__name__)

OWNER_STEPS = (Step.INVITATION, Step.REMINDER, Step.FINAL_REMINDER, Step.DEADLINE, Step.OVERDUE)
UNREACHABLE_PREFIX = "unreachable:"
OWNER_ESCALATION = "escalation_owner"  # the owner's DM at the escalation step


# -- what is due ---------------------------------------------------------------------------------


@dataclass
class _Item:
    action: m.Action
    shown: OutstandingAction


@dataclass
class _IndicatorItem:
    indicator: m.Indicator
    shown: OutstandingIndicator


@dataclass
class _PeriodState:
    plan: m.Plan
    status_word: str  # the plan's on-track status, for the "/update ACT-n green" hint
    period: Period
    schedule: PeriodSchedule
    locked: bool
    outstanding: list[_Item]
    open_actions: int
    indicators: list[_IndicatorItem] = field(default_factory=list)  # with no actual yet


def updates_by_period(
    session: Session, plan: m.Plan, period: Period
) -> dict[int, dict[str, m.Update]]:
    """The update that counts, by action id and period key, up to and including `period`."""
    by_action: dict[int, dict[str, m.Update]] = defaultdict(dict)
    for (action_id, key), found in latest_updates(session, plan).items():
        if key <= period.key:
            by_action[action_id][key] = found
    return by_action


def _outstanding(
    session: Session,
    plan: m.Plan,
    period: Period,
    today: dt.date,
    scheme: StatusScheme,
) -> tuple[list[_Item], int]:
    """Open actions with no update for `period`, and how many open actions there are."""
    actions = session.scalars(
        select(m.Action)
        .where(m.Action.plan_id == plan.id, m.Action.closed.is_(False))
        .order_by(m.Action.number, m.Action.ref)
        # Read with their owners and directorates: one query, not one per action.
        .options(
            joinedload(m.Action.owner, innerjoin=True).joinedload(m.Person.delegate),
            joinedload(m.Action.directorate, innerjoin=True),
        )
    ).all()
    by_action = updates_by_period(session, plan, period)
    items = []
    for action in actions:
        history = by_action.get(action.id, {})
        if period.key in history:
            continue
        earlier = max(history) if history else None
        last = history[earlier] if earlier else None
        label, emoji = _words(scheme, last.status) if last else ("", "")
        target = action.effective_target
        no_change_ok = (
            last is not None
            and not scheme.needs_note(last.status)
            and not scheme.closes(last.status)
            and target >= today
        )
        items.append(
            _Item(
                action,
                OutstandingAction(
                    ref=action.ref,
                    title=action.title,
                    directorate=action.directorate.name,
                    owner_name=action.owner.name,
                    owner_slack_id=action.owner.slack_id,
                    target_date=target,
                    last_status=last.status if last else None,
                    last_note=last.note if last else "",
                    last_period_key=earlier,
                    no_change_ok=no_change_ok,
                    last_label=label,
                    last_emoji=emoji,
                ),
            )
        )
    return items, len(actions)


def _words(scheme: StatusScheme, status: str) -> tuple[str, str]:
    """A status's label and emoji in the plan's scheme (a key it no longer has: the key)."""
    try:
        found = scheme.get(status)
    except KeyError:
        return status, ""
    return found.label, found.emoji


def period_state(
    session: Session,
    plan: m.Plan,
    cycle: Cycle,
    today: dt.date,
    period: Period | None = None,
    *,
    scheme: StatusScheme,
) -> _PeriodState:
    """The period (the open one by default) as the ladder sees it: its dates in the plan's
    calendar (`cycle`), and what is outstanding, in the plan's status `scheme`."""
    chosen = period or open_period(session, plan, cycle, today)
    row = session.scalar(
        select(m.Period).where(m.Period.plan_id == plan.id, m.Period.key == chosen.key)
    )
    schedule = cycle.schedule(chosen, meetings(session, plan).get(chosen.key))
    outstanding, open_actions = _outstanding(session, plan, chosen, today, scheme)
    return _PeriodState(
        plan=plan,
        status_word=scheme.on_track or scheme.keys[0],
        period=chosen,
        schedule=schedule,
        locked=row is not None and row.locked_at is not None,
        outstanding=outstanding,
        open_actions=open_actions,
        indicators=_indicators_due(session, plan, chosen),
    )


def _indicators_due(session: Session, plan: m.Plan, period: Period) -> list[_IndicatorItem]:
    """The plan's indicators with no actual (nor `n/a`) recorded for `period`, in ref order."""
    indicators = session.scalars(
        select(m.Indicator)
        .where(m.Indicator.plan_id == plan.id)
        .order_by(m.Indicator.number, m.Indicator.ref)
        .options(
            joinedload(m.Indicator.owner, innerjoin=True).joinedload(m.Person.delegate),
            joinedload(m.Indicator.directorate, innerjoin=True),
        )
    ).all()
    if not indicators:
        return []
    ids = [i.id for i in indicators]
    measures, targets = latest_measures(session, ids), indicator_targets(session, ids)
    items = []
    for indicator in indicators:
        if (indicator.id, period.key) in measures:
            continue
        earlier = sorted(
            key for (number, key) in measures if number == indicator.id and key < period.key
        )
        last = measures[(indicator.id, earlier[-1])] if earlier else None
        items.append(
            _IndicatorItem(
                indicator,
                OutstandingIndicator(
                    ref=indicator.ref,
                    title=indicator.title,
                    directorate=indicator.directorate.name,
                    owner_name=indicator.owner.name,
                    owner_slack_id=indicator.owner.slack_id,
                    unit=Unit(indicator.unit),
                    decimals=indicator.decimals,
                    target=targets.get((indicator.id, period.key)),
                    last_actual=last.value if last else None,
                    last_period_key=earlier[-1] if earlier else None,
                ),
            )
        )
    return items


def _available(person: m.Person, day: dt.date) -> bool:
    return person.active and not person.is_away(day)


def _absence(person: m.Person) -> str:
    if not person.active:
        return f"{person.name} is no longer active in the plan"
    if person.away_to is not None:
        return f"{person.name} is away until {weekday_date(person.away_to)}"
    return f"{person.name} is away"


def _stand_in(person: m.Person, day: dt.date) -> tuple[m.Person, str] | None:
    """The person's delegate, when they are away and their delegate is not."""
    delegate = person.delegate
    if delegate is not None and delegate.id != person.id and _available(delegate, day):
        return delegate, f"{_absence(person)}; you are their delegate."
    return None


class _Routing:
    """Who receives what for one plan on one day: delegates, then directors, stand in."""

    def __init__(self, session: Session, plan: m.Plan, day: dt.date) -> None:
        self.session, self.plan, self.day = session, plan, day
        self._directors: dict[int, list[m.Person]] = {}

    def directors(self, directorate_id: int) -> list[m.Person]:
        if directorate_id not in self._directors:
            self._directors[directorate_id] = ppl.directors_of(
                self.session, self.plan, directorate_id
            )
        return self._directors[directorate_id]

    def for_owner(self, action: m.Action | m.Indicator) -> tuple[m.Person, str | None] | None:
        """The owner; when away, their delegate; with none, their director; else an admin."""
        owner = action.owner
        if _available(owner, self.day):
            return owner, None
        if (stand_in := _stand_in(owner, self.day)) is not None:
            return stand_in
        why = _absence(owner)
        for director in self.directors(action.directorate_id):
            if director.id != owner.id and _available(director, self.day):
                return director, f"{why} and has no delegate; you are their director."
        for admin in ppl.admins(self.session, self.plan):
            if admin.id != owner.id and _available(admin, self.day):
                return admin, f"{why}, with no delegate or director available."
        return (owner, None) if owner.active else None

    def for_reader(self, person: m.Person) -> tuple[m.Person, str | None] | None:
        """A director or admin, or their delegate while they are away; never someone inactive."""
        if _available(person, self.day):
            return person, None
        if (stand_in := _stand_in(person, self.day)) is not None:
            return stand_in
        return (person, None) if person.active else None


def _owner_reminders(
    session: Session, state: _PeriodState, step: Step, day: dt.date
) -> list[Reminder]:
    routing = _Routing(session, state.plan, day)
    # One DM per person: their actions and their indicators (and those they stand in for).
    grouped: dict[
        int, tuple[m.Person, list[OutstandingAction], list[OutstandingIndicator], list[str]]
    ] = {}
    due: list[tuple[m.Action | m.Indicator, OutstandingAction | OutstandingIndicator]] = [
        *((item.action, item.shown) for item in state.outstanding),
        *((item.indicator, item.shown) for item in state.indicators),
    ]
    for owned, shown_item in due:
        routed = routing.for_owner(owned)
        if routed is None:
            continue
        person, why = routed
        _, shown, indicators, notes = grouped.setdefault(person.id, (person, [], [], []))
        if isinstance(shown_item, OutstandingAction):
            shown.append(shown_item)
        else:
            indicators.append(shown_item)
        if why and why not in notes:
            notes.append(why)
    kind = OWNER_ESCALATION if step is Step.ESCALATION else step.value
    return [
        _reminder(state, step, kind, ReminderAudience.OWNER, person, day, shown, notes, indicators)
        for person, shown, indicators, notes in grouped.values()
    ]


def _escalations(session: Session, state: _PeriodState, day: dt.date) -> list[Reminder]:
    routing = _Routing(session, state.plan, day)
    by_directorate: dict[int, list[OutstandingAction]] = defaultdict(list)
    for item in state.outstanding:
        by_directorate[item.action.directorate_id].append(item.shown)
    indicators_of: dict[int, list[OutstandingIndicator]] = defaultdict(list)
    for indicator in state.indicators:
        indicators_of[indicator.indicator.directorate_id].append(indicator.shown)
    grouped: dict[
        int, tuple[m.Person, list[OutstandingAction], list[OutstandingIndicator], list[str]]
    ] = {}
    for directorate_id in [*by_directorate, *(d for d in indicators_of if d not in by_directorate)]:
        for director in routing.directors(directorate_id):
            routed = routing.for_reader(director)
            if routed is None:
                continue
            person, why = routed
            _, listed, indicators, notes = grouped.setdefault(person.id, (person, [], [], []))
            listed.extend(by_directorate.get(directorate_id, []))
            indicators.extend(indicators_of.get(directorate_id, []))
            if why and why not in notes:
                notes.append(why)
    return [
        _reminder(
            state,
            Step.ESCALATION,
            Step.ESCALATION.value,
            ReminderAudience.DIRECTOR,
            person,
            day,
            sorted(shown, key=lambda a: (a.directorate, a.owner_name)),
            notes,
            indicators,
        )
        for person, shown, indicators, notes in grouped.values()
    ]


def _admin_summaries(
    session: Session, state: _PeriodState, cycle: Cycle, step: Step, day: dt.date
) -> list[Reminder]:
    """One summary of everything outstanding for each admin (or their delegate)."""
    kind = summary_kind(cycle, day)
    if not state.outstanding and not state.indicators:
        return []
    routing = _Routing(session, state.plan, day)
    shown = sorted(
        (item.shown for item in state.outstanding), key=lambda a: (a.directorate, a.owner_name)
    )
    escalated = step is Step.ESCALATION and (
        kind == summary_kind(cycle, state.schedule.step_date(Step.ESCALATION))
    )
    summaries: dict[int, Reminder] = {}
    for admin in ppl.admins(session, state.plan):
        routed = routing.for_reader(admin)
        if routed is None or routed[0].id in summaries:
            continue
        person, why = routed
        summary = _reminder(
            state,
            step,
            kind,
            ReminderAudience.ADMIN,
            person,
            day,
            shown,
            [why] if why else [],
            [item.shown for item in state.indicators],
        )
        summaries[person.id] = replace(summary, escalated=escalated)
    return list(summaries.values())


def _reminder(
    state: _PeriodState,
    step: Step,
    kind: str,
    audience: ReminderAudience,
    person: m.Person,
    day: dt.date,
    shown: Sequence[OutstandingAction],
    notes: Sequence[str],
    indicators: Sequence[OutstandingIndicator] = (),
) -> Reminder:
    return Reminder(
        plan_id=state.plan.id,
        plan_key=state.plan.key,
        plan_name=state.plan.name,
        period_key=state.period.key,
        period_label=state.period.label,
        kind=kind,
        step=step,
        audience=audience,
        recipient=Recipient(person.slack_id, person.name),
        day=day,
        update_deadline=state.schedule.update_deadline,
        actions=tuple(shown),
        status_word=state.status_word,
        notes=tuple(notes),
        open_actions=state.open_actions,
        indicators=tuple(indicators),
    )


def summary_kind(cycle: Cycle, day: dt.date) -> str:
    """The claim kind of the admins' summary: one a day, or the single escalation summary."""
    return f"summary:{day.isoformat()}" if cycle.rules.admin_daily_summary else "summary"


def plan_reminders(
    session: Session, state: _PeriodState, cycle: Cycle, step: Step, day: dt.date
) -> list[Reminder]:
    """Every message owed for `step` of the period on `day`: owners', directors', admins'."""
    messages: list[Reminder] = []
    if step in OWNER_STEPS:
        messages += _owner_reminders(session, state, step, day)
    else:
        escalations = _escalations(session, state, day)
        told = {
            message.recipient.slack_id: {*message.refs, *message.indicator_refs}
            for message in escalations
        }
        # Owners hear that their missing updates have gone to the director, unless they
        # are reading every one of them in a director's list themselves.
        messages += [
            message
            for message in _owner_reminders(session, state, step, day)
            if not {*message.refs, *message.indicator_refs}
            <= told.get(message.recipient.slack_id, set())
        ]
        messages += escalations
    summary_due = step is Step.ESCALATION or (
        cycle.rules.admin_daily_summary and step.rank >= Step.DEADLINE.rank
    )
    if summary_due:
        messages += _admin_summaries(session, state, cycle, step, day)
    return messages


def due_reminders(ctx: RequestContext) -> list[Reminder]:
    """The messages due now for the open period of the plan `ctx` names, or of every plan
    (claims decide which are still owed).

    Only the latest step due is offered, so a bot that was down never sends a stale
    "5 days to go"; nothing at all at weekends, on bank holidays or before the send time.
    """

    def due(session: Session, plan: m.Plan) -> list[Reminder]:
        cycle, today = ctx.cycle(plan), ctx.today(plan)
        state = period_state(session, plan, cycle, today, scheme=ctx.rules(plan).scheme)
        step = cycle.due_step(state.schedule, ctx.now)
        if step is None or state.locked:
            return []
        return plan_reminders(session, state, cycle, step, today)

    return ctx.due_in_each_plan(due)


def unreachable_to_report(ctx: RequestContext) -> list[Unreachable]:
    """People whose messages failed as undeliverable this period, once for each admin."""
    found: list[Unreachable] = []
    with ctx.db.read_session() as session:
        for plan in ctx.plans(session):
            period = open_period(session, plan, ctx.cycle(plan), ctx.today(plan))
            failed = session.scalars(
                select(m.Delivery)
                .where(
                    m.Delivery.plan_id == plan.id,
                    m.Delivery.period_key == period.key,
                    m.Delivery.state == FAILED,
                )
                .order_by(m.Delivery.id)
            ).all()
            by_person: dict[str, list[m.Delivery]] = defaultdict(list)
            for row in failed:
                by_person[row.recipient].append(row)
            for slack_id, rows in by_person.items():
                person = ppl.find_person(session, plan, slack_id)
                found += [
                    Unreachable(
                        plan.id,
                        plan.key,
                        plan.name,
                        period.key,
                        slack_id,
                        person.name if person else slack_id,
                        rows[-1].detail,
                        admin,
                    )
                    for admin in ppl.admins_to_tell(session, plan, about=slack_id)
                ]
            if by_person and not ppl.admins(session, plan):
                log.warning(
                    "plan %s: cannot reach %s and there is no admin to tell",
                    plan.key,
                    ", ".join(by_person),
                )
    return found
