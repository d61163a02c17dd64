# Over 400 lines: loading a plan file and writing it back out share the plan's row helpers
# (refs, themes, people, periods), which are kept beside both.
"""Plans: finding one, loading one from a plan file, and writing it back out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.calendar import Cycle
from bot.domain.periods import Period
from bot.domain.plan_rules import scheme_for
from bot.domain.planfile import (
    ActionRow,
    HistoryRow,
    IndicatorRow,
    IndicatorValueRow,
    MeetingRow,
    PersonRow,
    PlanFile,
    SignOffRow,
)
from bot.domain.refs import ref_number
from bot.domain.status import StatusScheme
from bot.errors import InvalidInput, NotFound
from bot.services.plan_rules import settings_json, statuses_json, stored_settings, stored_statuses
from storage import models as m
from storage.db import Database

Named = TypeVar("Named", m.Theme, m.Directorate)
Owned = TypeVar("Owned", m.Action, m.Indicator)  # what has a ref, a title and an owner


def resolve_plan(session: Session, key: str | None) -> m.Plan:
    """The plan named `key`; with no key, the only plan there is."""
    if key:
        plan = session.scalar(select(m.Plan).where(m.Plan.key == key))
        if plan is None:
            keys = session.scalars(select(m.Plan.key).order_by(m.Plan.key)).all()
            hint = f"Plans here: {', '.join(keys)}." if keys else "Load one with `planbot import`."
            raise NotFound(f"There is no plan '{key}'.", hint=hint)
        return plan
    plans = session.scalars(select(m.Plan).order_by(m.Plan.key)).all()
    if not plans:
        raise NotFound("No plan has been loaded yet.", hint="Load one with `planbot import PATH`.")
    if len(plans) > 1:
        raise NotFound(
            "There are several plans here; say which one.",
            hint=f"Use --plan with one of: {', '.join(p.key for p in plans)}.",
        )
    return plans[0]


def period_row(session: Session, plan: m.Plan, period: Period) -> m.Period:
    """The row for `period`, created when the plan has none yet (every quarter is a period)."""
    row = session.scalar(
        select(m.Period).where(m.Period.plan_id == plan.id, m.Period.key == period.key)
    )
    if row is None:
        try:
            with session.begin_nested():
                row = m.Period(plan_id=plan.id, key=period.key, meeting_date=None, committee="")
                session.add(row)
        except IntegrityError:
            # Another transaction created it meanwhile (the first updates of a quarter, sent
            # at once): use theirs.
            row = session.scalar(
                select(m.Period).where(m.Period.plan_id == plan.id, m.Period.key == period.key)
            )
            assert row is not None
    return row


def meetings(session: Session, plan: m.Plan) -> dict[str, dt.date | None]:
    """Meeting date by period key."""
    rows = session.execute(
        select(m.Period.key, m.Period.meeting_date).where(m.Period.plan_id == plan.id)
    ).all()
    return {row.key: row.meeting_date for row in rows}


def locked_periods(session: Session, plan: m.Plan) -> set[str]:
    return set(
        session.scalars(
            select(m.Period.key).where(m.Period.plan_id == plan.id, m.Period.locked_at.is_not(None))
        )
    )


def open_period(session: Session, plan: m.Plan, cycle: Cycle, today: dt.date) -> Period:
    """The period an update made on `today` counts for (DESIGN, 'Open period')."""
    # `meetings` and `locked_periods` in one query: this is asked for every request.
    rows = session.execute(
        select(m.Period.key, m.Period.meeting_date, m.Period.locked_at).where(
            m.Period.plan_id == plan.id
        )
    ).all()
    known = {row.key: row.meeting_date for row in rows}
    locked = {row.key for row in rows if row.locked_at is not None}
    return cycle.open_period(today, lambda p: known.get(p.key), locked=locked)


def latest_updates(
    session: Session,
    plan: m.Plan,
    period_keys: list[str] | None = None,
    *,
    action_ids: Collection[int] | None = None,
) -> dict[tuple[int, str], m.Update]:
    """The update that counts for each (action id, period key): the latest recorded (of the
    actions `action_ids` only, when given)."""
    latest_ids = (
        select(func.max(m.Update.id))
        .join(m.Action, m.Update.action_id == m.Action.id)
        .join(m.Period, m.Update.period_id == m.Period.id)
        .where(m.Action.plan_id == plan.id)
        .group_by(m.Update.action_id, m.Update.period_id)
    )
    if period_keys is not None:
        latest_ids = latest_ids.where(m.Period.key.in_(period_keys))
    if action_ids is not None:
        latest_ids = latest_ids.where(m.Update.action_id.in_(action_ids))
    rows = session.execute(
        select(m.Update, m.Period.key)
        .join(m.Period, m.Update.period_id == m.Period.id)
        .where(m.Update.id.in_(latest_ids))
    ).all()
    return {(update.action_id, key): update for update, key in rows}


@dataclass(frozen=True)
class ImportSummary:
    plan_key: str
    created: bool
    people: int
    actions: int
    meetings: int
    updates_added: int
    updates_unchanged: int
    dry_run: bool
    indicators: int = 0
    measures_added: int = 0
    measures_unchanged: int = 0


def load_plan(
    *, db: Database, plan_file: PlanFile, now: dt.datetime, dry_run: bool = False
) -> ImportSummary:
    """Create or update a plan in place from a validated plan file; never duplicates updates."""
    with db.session() as session:
        plan = session.scalar(select(m.Plan).where(m.Plan.key == plan_file.key))
        created = plan is None
        if plan is None:
            plan = m.Plan(key=plan_file.key, name=plan_file.name, created_at=now)
            session.add(plan)
            session.flush()
        scheme = scheme_for(plan_file.statuses)
        _refuse_statuses_in_use(session, plan, scheme)
        if "name" in plan_file.settings:  # else the name it was first imported with stays
            plan.name = plan_file.name
        plan.settings_json = settings_json(plan_file.settings)
        plan.statuses_json = statuses_json(plan_file.statuses)
        directorates = _named(session, m.Directorate, plan)
        themes = _named(session, m.Theme, plan)

        def directorate(name: str) -> m.Directorate:
            if name not in directorates:
                directorates[name] = m.Directorate(plan_id=plan.id, name=name)
                session.add(directorates[name])
            return directorates[name]

        people = {
            p.slack_id: p
            for p in session.scalars(select(m.Person).where(m.Person.plan_id == plan.id))
        }
        for row in plan_file.people:
            person = people.get(row.slack_id)
            if person is None:
                person = m.Person(plan_id=plan.id, slack_id=row.slack_id)
                session.add(person)
                people[row.slack_id] = person
            person.name, person.email, person.role = row.name, row.email, row.role
            person.directorate = directorate(row.directorate) if row.directorate else None
            person.away_from, person.away_to, person.active = row.away_from, row.away_to, row.active
        session.flush()
        for row in plan_file.people:
            people[row.slack_id].delegate = people[row.delegate] if row.delegate else None

        _refuse_ref_clashes(session, plan, plan_file)
        theme_names = [a.theme for a in plan_file.actions] + [i.theme for i in plan_file.indicators]
        for position, name in enumerate(dict.fromkeys(theme_names)):
            if name not in themes:
                themes[name] = m.Theme(plan_id=plan.id, name=name)
                session.add(themes[name])
            themes[name].position = position

        actions = _by_ref(session, m.Action, plan)
        # An action whose latest reported status closes it (complete) is closed.
        last_status = {h.ref: h.status for h in sorted(plan_file.history, key=lambda h: h.period)}
        for arow in plan_file.actions:
            action = _placed(session, actions, m.Action, plan, arow, themes, directorate, people)
            action.target_date = arow.target_date
            action.revised_target_date = arow.revised_target_date
            action.closed = arow.closed or scheme.closes(last_status.get(arow.ref, ""))
        session.flush()

        periods = {
            p.key: p for p in session.scalars(select(m.Period).where(m.Period.plan_id == plan.id))
        }
        for mrow in plan_file.meetings:
            period = periods.get(mrow.period) or period_row(
                session, plan, Period.from_key(mrow.period)
            )
            periods[mrow.period] = period
            period.meeting_date, period.committee = mrow.meeting_date, mrow.committee
        period_keys = {h.period for h in plan_file.history} | {
            v.period for v in plan_file.indicator_values
        }
        for key in period_keys - periods.keys():
            periods[key] = period_row(session, plan, Period.from_key(key))
        session.flush()

        latest = latest_updates(session, plan)
        added = unchanged = 0
        for hrow in plan_file.history:
            action = actions[hrow.ref]
            current = latest.get((action.id, hrow.period))
            if current is not None and (current.status, current.note) == (hrow.status, hrow.note):
                unchanged += 1
                continue
            session.add(
                m.Update(
                    action_id=action.id,
                    period_id=periods[hrow.period].id,
                    status=hrow.status,
                    note=hrow.note,
                    revised_target_date=None,
                    source="import",
                    created_at=now,
                )
            )
            added += 1
        _load_signoffs(session, plan, plan_file, actions, people)
        indicators = _load_indicators(session, plan, plan_file, themes, directorate, people)
        measures_added, measures_unchanged = _load_indicator_values(
            session, plan_file, indicators, periods, now
        )
        summary = ImportSummary(
            plan_key=plan.key,
            created=created,
            people=len(plan_file.people),
            actions=len(plan_file.actions),
            meetings=len(plan_file.meetings),
            updates_added=added,
            updates_unchanged=unchanged,
            dry_run=dry_run,
            indicators=len(plan_file.indicators),
            measures_added=measures_added,
            measures_unchanged=measures_unchanged,
        )
        if dry_run:
            session.rollback()
        return summary


def _load_signoffs(
    session: Session,
    plan: m.Plan,
    plan_file: PlanFile,
    actions: dict[str, m.Action],
    people: dict[str, m.Person],
) -> None:
    """The file's sign-off record, on the update that counts for each action and period (a
    decision already there stays: decisions are never changed)."""
    if not plan_file.signoffs:
        return
    session.flush()
    latest = latest_updates(session, plan)
    decided = set(
        session.scalars(
            select(m.SignOff.update_id).where(
                m.SignOff.update_id.in_([u.id for u in latest.values()])
            )
        )
    )
    for row in plan_file.signoffs:
        update = latest[(actions[row.ref].id, row.period)]
        if update.id in decided:
            continue
        session.add(
            m.SignOff(
                update_id=update.id,
                decision=row.decision,
                comment=row.comment,
                by_id=people[row.by].id,
                created_at=dt.datetime.combine(row.on, dt.time(12), tzinfo=dt.UTC),
            )
        )
        decided.add(update.id)


def _refuse_statuses_in_use(session: Session, plan: m.Plan, scheme: StatusScheme) -> None:
    """A plan's new scheme must still know every status its updates were recorded with."""
    keys = set(scheme.keys)
    used = session.scalars(
        select(m.Update.status)
        .join(m.Action, m.Update.action_id == m.Action.id)
        .where(m.Action.plan_id == plan.id)
        .distinct()
    ).all()
    unknown = sorted(set(used) - keys)
    if unknown:
        raise InvalidInput(
            f"Updates of plan {plan.key} were recorded as {', '.join(unknown)}, which the "
            "statuses sheet does not have; nothing was imported.",
            hint="Keep those statuses in the statuses sheet (a synonym can map an old word).",
        )


def _refuse_ref_clashes(session: Session, plan: m.Plan, plan_file: PlanFile) -> None:
    """A ref names one action or indicator in a plan: the file's indicators may not take the
    ref of an action already in the database, nor its actions an indicator's."""
    action_refs = set(session.scalars(select(m.Action.ref).where(m.Action.plan_id == plan.id)))
    indicator_refs = set(
        session.scalars(select(m.Indicator.ref).where(m.Indicator.plan_id == plan.id))
    )
    clashes = sorted(
        {i.ref for i in plan_file.indicators} & action_refs
        | {a.ref for a in plan_file.actions} & indicator_refs
    )
    if clashes:
        raise InvalidInput(
            f"{', '.join(clashes)} would name both an action and an indicator in the plan "
            f"'{plan.key}'; nothing was imported.",
            hint="Give each indicator a ref of its own (like PI-7).",
        )


def _by_ref(session: Session, model: type[Owned], plan: m.Plan) -> dict[str, Owned]:
    """The plan's actions or indicators, by ref."""
    return {row.ref: row for row in session.scalars(select(model).where(model.plan_id == plan.id))}


def _placed(
    session: Session,
    existing: dict[str, Owned],
    model: type[Owned],
    plan: m.Plan,
    row: ActionRow | IndicatorRow,
    themes: dict[str, m.Theme],
    directorate: Callable[[str], m.Directorate],
    people: dict[str, m.Person],
) -> Owned:
    """The action or indicator `row` defines (added to `existing` when new), with what both
    kinds hold set from it: number, title, theme, directorate and owner."""
    item = existing.get(row.ref)
    if item is None:
        item = model(plan_id=plan.id, ref=row.ref)
        session.add(item)
        existing[row.ref] = item
    item.number = ref_number(row.ref)
    item.title = row.title
    item.theme = themes[row.theme]
    item.directorate = directorate(row.directorate)
    item.owner = people[row.owner]
    return item


def _in_ref_order(session: Session, model: type[Owned], plan: m.Plan) -> list[Owned]:
    """The plan's actions or indicators, ACT-2 before ACT-10."""
    query = select(model).where(model.plan_id == plan.id).order_by(model.number, model.ref)
    return list(session.scalars(query))


def _load_indicators(
    session: Session,
    plan: m.Plan,
    plan_file: PlanFile,
    themes: dict[str, m.Theme],
    directorate: Callable[[str], m.Directorate],
    people: dict[str, m.Person],
) -> dict[str, m.Indicator]:
    indicators = _by_ref(session, m.Indicator, plan)
    for row in plan_file.indicators:
        indicator = _placed(
            session, indicators, m.Indicator, plan, row, themes, directorate, people
        )
        indicator.unit, indicator.polarity = row.unit, row.polarity
        indicator.tolerance, indicator.decimals = row.tolerance, row.decimals
    session.flush()
    return indicators


def _load_indicator_values(
    session: Session,
    plan_file: PlanFile,
    indicators: dict[str, m.Indicator],
    periods: dict[str, m.Period],
    now: dt.datetime,
) -> tuple[int, int]:
    """Targets set in place; an actual recorded as a measure unless the one that counts for
    its period already says the same. Returns (measures added, unchanged)."""
    ids = [i.id for i in indicators.values()]
    targets = {
        (t.indicator_id, t.period_id): t
        for t in session.scalars(
            select(m.IndicatorTarget).where(m.IndicatorTarget.indicator_id.in_(ids))
        )
    }
    latest = latest_measures(session, ids)
    added = unchanged = 0
    for row in plan_file.indicator_values:
        indicator, period = indicators[row.ref], periods[row.period]
        if row.target is not None:
            target = targets.get((indicator.id, period.id))
            if target is None:
                target = m.IndicatorTarget(indicator_id=indicator.id, period_id=period.id)
                session.add(target)
                targets[(indicator.id, period.id)] = target
            target.value = row.target
        if row.actual is None and not row.not_available:
            continue
        current = latest.get((indicator.id, period.key))
        if current is not None and (current.value, current.note) == (row.actual, row.note):
            unchanged += 1
            continue
        session.add(
            m.Measure(
                indicator_id=indicator.id,
                period_id=period.id,
                value=row.actual,
                note=row.note,
                source="import",
                created_at=now,
            )
        )
        added += 1
    return added, unchanged


def latest_measures(
    session: Session, indicator_ids: Collection[int]
) -> dict[tuple[int, str], m.Measure]:
    """The measure that counts for each (indicator id, period key): the latest recorded."""
    latest_ids = (
        select(func.max(m.Measure.id))
        .where(m.Measure.indicator_id.in_(indicator_ids))
        .group_by(m.Measure.indicator_id, m.Measure.period_id)
    )
    rows = session.execute(
        select(m.Measure, m.Period.key)
        .join(m.Period, m.Measure.period_id == m.Period.id)
        .where(m.Measure.id.in_(latest_ids))
    ).all()
    return {(measure.indicator_id, key): measure for measure, key in rows}


def indicator_targets(
    session: Session, indicator_ids: Collection[int]
) -> dict[tuple[int, str], Decimal]:
    """The target of each (indicator id, period key)."""
    rows = session.execute(
        select(m.IndicatorTarget.indicator_id, m.Period.key, m.IndicatorTarget.value)
        .join(m.Period, m.IndicatorTarget.period_id == m.Period.id)
        .where(m.IndicatorTarget.indicator_id.in_(indicator_ids))
    ).all()
    return {(row[0], row[1]): row[2] for row in rows}


def _named(session: Session, model: type[Named], plan: m.Plan) -> dict[str, Named]:
    rows = session.scalars(select(model).where(model.plan_id == plan.id))
    return {row.name: row for row in rows}


def export_plan(*, db: Database, plan_key: str | None) -> PlanFile:
    """The plan and the update that counts for each action and period, as a plan file."""
    with db.read_session() as session:
        plan = resolve_plan(session, plan_key)
        people = session.scalars(
            select(m.Person).where(m.Person.plan_id == plan.id).order_by(m.Person.id)
        ).all()
        actions = _in_ref_order(session, m.Action, plan)
        periods = session.scalars(
            select(m.Period).where(m.Period.plan_id == plan.id).order_by(m.Period.key)
        ).all()
        indicators = _in_ref_order(session, m.Indicator, plan)
        ids = [i.id for i in indicators]
        targets, measures = indicator_targets(session, ids), latest_measures(session, ids)
        indicator_values = [
            IndicatorValueRow(
                i.ref,
                p.key,
                target=targets.get((i.id, p.key)),
                actual=measure.value if measure else None,
                not_available=measure is not None and measure.value is None,
                note=measure.note if measure else "",
            )
            for i in indicators
            for p in periods
            if (measure := measures.get((i.id, p.key))) is not None or (i.id, p.key) in targets
        ]
        latest = latest_updates(session, plan)
        history = [
            HistoryRow(a.ref, p.key, u.status, u.note)
            for a in actions
            for p in periods
            if (u := latest.get((a.id, p.key))) is not None
        ]
        refs = {a.id: a.ref for a in actions}
        exported = {u.id: (refs[action_id], key) for (action_id, key), u in latest.items()}
        signoffs = [
            SignOffRow(
                *exported[s.update_id],
                decision=s.decision,
                by=s.by.slack_id if s.by else "",
                on=s.created_at.date(),
                comment=s.comment,
            )
            for s in session.scalars(
                select(m.SignOff).where(m.SignOff.update_id.in_(list(exported)))
            )
            if s.by is not None
        ]
        return PlanFile(
            key=plan.key,
            name=plan.name,
            settings=stored_settings(plan),
            statuses=stored_statuses(plan),
            signoffs=signoffs,
            people=[
                PersonRow(
                    slack_id=p.slack_id,
                    name=p.name,
                    email=p.email,
                    role=p.role,
                    directorate=p.directorate.name if p.directorate else "",
                    delegate=p.delegate.slack_id if p.delegate else "",
                    away_from=p.away_from,
                    away_to=p.away_to,
                    active=p.active,
                )
                for p in people
            ],
            actions=[
                ActionRow(
                    ref=a.ref,
                    title=a.title,
                    theme=a.theme.name,
                    directorate=a.directorate.name,
                    owner=a.owner.slack_id,
                    target_date=a.target_date,
                    revised_target_date=a.revised_target_date,
                    closed=a.closed,
                )
                for a in actions
            ],
            meetings=[
                MeetingRow(p.key, p.meeting_date, p.committee)
                for p in periods
                if p.meeting_date is not None
            ],
            history=history,
            indicators=[
                IndicatorRow(
                    ref=i.ref,
                    title=i.title,
                    theme=i.theme.name,
                    directorate=i.directorate.name,
                    owner=i.owner.slack_id,
                    unit=i.unit,
                    polarity=i.polarity,
                    tolerance=i.tolerance,
                    decimals=i.decimals,
                )
                for i in indicators
            ],
            indicator_values=indicator_values,
        )
