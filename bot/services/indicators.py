"""Indicators: recording an actual for the open period, and each indicator's line for a period
(target, actual, RAG, trends) for the report."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.domain.indicators import (
    NOT_AVAILABLE,
    Polarity,
    Unit,
    rag,
    read_value,
    trend,
    value_example,
)
from bot.domain.periods import Period
from bot.domain.refs import normalise_ref
from bot.domain.status import StatusScheme
from bot.errors import InvalidInput, NotFound
from bot.model.indicators import IndicatorLine, RecordedMeasure
from bot.model.updates import Source
from bot.services import people as ppl
from bot.services.context import RequestContext
from bot.services.plan_choice import choose_plan, find_indicator, indicator_refs
from bot.services.plans import indicator_targets, latest_measures, open_period, period_row
from bot.services.recording import checked_note, record_once
from storage import models as m


def refuse_status_for_indicator(indicator: m.Indicator, status: str) -> InvalidInput:
    """The refusal of a status given for an indicator: it takes a number."""
    example = value_example(Unit(indicator.unit)).split(",")[0].split(" or ")[0]
    given = f", not '{status.strip()[:40]}'" if status.strip() else ", given in one line"
    return InvalidInput(
        f"{indicator.ref} is an indicator ({indicator.title}): it takes a number{given}. "
        "Nothing was recorded.",
        hint=f"Report its value for this quarter, for example `/update {indicator.ref} "
        f"{example} <note>` (write the value like {value_example(Unit(indicator.unit))}; "
        "`n/a` and a reason when there is no figure).",
    )


def _indicator(
    session: Session, plan: m.Plan, scheme: StatusScheme, ref_text: str, value: str
) -> m.Indicator:
    indicator = find_indicator(session, plan, ref_text)
    if indicator is not None:
        return indicator
    ref = normalise_ref(ref_text)
    if ref is not None and session.scalar(
        select(m.Action.id).where(m.Action.plan_id == plan.id, m.Action.ref == ref)
    ):
        statuses = ", ".join(scheme.keys)
        example = scheme.on_track or scheme.keys[0]
        raise InvalidInput(
            f"{ref} is an action: it takes a status, not a number like '{value[:40]}'. "
            "Nothing was recorded.",
            hint=f"For example `/update {ref} {example} <note>`; the statuses are {statuses}.",
        )
    known = list(session.scalars(select(m.Indicator.ref).where(m.Indicator.plan_id == plan.id)))
    wanted = (indicator_refs(ref_text) or [ref_text.strip().upper()])[0]
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    raise NotFound(
        f"There is no indicator '{ref_text.strip()[:40]}' in this plan.",
        hint=f"Did you mean {', '.join(close)}?" if close else "Check the ref (like PI-7).",
    )


def record_measure(
    ctx: RequestContext,
    *,
    ref: str,
    value: str,
    note: str = "",
    source: Source,
    idempotency_key: str | None = None,
) -> RecordedMeasure:
    """Record an indicator's actual for the open period (a new measure supersedes the last);
    refuses with a reason, recording nothing, when the value does not fit or the caller may
    not report it."""
    note = checked_note(note)

    def record(session: Session) -> RecordedMeasure:
        return _record(
            session,
            ctx,
            ref=ref,
            value=value,
            note=note,
            source=source,
            idempotency_key=idempotency_key,
        )

    return record_once(ctx, idempotency_key, already_recorded=_already_recorded, record=record)


def _record(
    session: Session,
    ctx: RequestContext,
    *,
    ref: str,
    value: str,
    note: str,
    source: Source,
    idempotency_key: str | None,
) -> RecordedMeasure:
    chosen = choose_plan(session, ctx, ref)
    plan, person = chosen.plan, chosen.person
    indicator = _indicator(session, plan, ctx.rules(plan).scheme, ref, value)
    ppl.require_may_update(session, plan, person, indicator)
    unit = Unit(indicator.unit)
    number: Decimal | None = None
    if value.strip().lower() == NOT_AVAILABLE:
        if not note:
            raise InvalidInput(
                f"Say why there is no figure for {indicator.ref}. Nothing was recorded.",
                hint=f"For example `/update {indicator.ref} n/a The system was down all "
                "quarter; figures due in January`.",
            )
    else:
        try:
            number = read_value(value, unit)
        except InvalidInput as refused:
            raise InvalidInput(
                f"{refused.message} Nothing was recorded for {indicator.ref}.",
                hint=f"{refused.hint} For example `/update {indicator.ref} "
                f"{value_example(unit).split(',')[0].split(' or ')[0]} <note>`.",
            ) from None
    period = open_period(session, plan, ctx.cycle(plan), ctx.today(plan))
    row = period_row(session, plan, period)
    measure = m.Measure(
        indicator_id=indicator.id,
        period_id=row.id,
        value=number,
        note=note,
        author_id=person.id,
        on_behalf_of_id=indicator.owner_id if person.id != indicator.owner_id else None,
        source=str(source),
        created_at=ctx.now,
        idempotency_key=idempotency_key,
    )
    session.add(measure)
    session.flush()
    return _recorded(session, measure)


def _already_recorded(session: Session, key: str) -> RecordedMeasure | None:
    measure = session.scalar(select(m.Measure).where(m.Measure.idempotency_key == key))
    return _recorded(session, measure, duplicate=True) if measure is not None else None


def _recorded(session: Session, measure: m.Measure, *, duplicate: bool = False) -> RecordedMeasure:
    indicator, period = measure.indicator, Period.from_key(measure.period.key)
    line = _lines(session, [indicator], period, counting={period.key: measure})[0]
    previous, year_ago = period.previous(), Period(period.start_year - 1, period.quarter)
    actuals = _actuals(session, [indicator.id], [previous, year_ago])
    author = measure.author
    return RecordedMeasure(
        ref=indicator.ref,
        title=indicator.title,
        period_key=period.key,
        period_label=period.label,
        unit=line.unit,
        polarity=line.polarity,
        decimals=indicator.decimals,
        value=measure.value,
        target=line.target,
        tolerance=indicator.tolerance,
        status=line.status,
        short_trend=line.short_trend,
        long_trend=line.long_trend,
        previous_value=actuals.get((indicator.id, previous.key)),
        previous_label=previous.short_label,
        year_ago_value=actuals.get((indicator.id, year_ago.key)),
        year_ago_label=year_ago.short_label,
        note=measure.note,
        author_name=author.name if author else "import",
        owner_name=indicator.owner.name,
        on_behalf=measure.on_behalf_of_id is not None,
        duplicate=duplicate,
        owner_slack_id=indicator.owner.slack_id,
        author_slack_id=author.slack_id if author else "",
    )


def _actuals(
    session: Session, ids: Collection[int], periods: Sequence[Period]
) -> dict[tuple[int, str], Decimal | None]:
    """The actual that counts for each (indicator id, period key) of `periods`, where one was
    recorded (None for n/a)."""
    keys = {p.key for p in periods}
    return {
        key: measure.value
        for key, measure in latest_measures(session, ids).items()
        if key[1] in keys
    }


def _lines(
    session: Session,
    indicators: Sequence[m.Indicator],
    period: Period,
    *,
    counting: dict[str, m.Measure] | None = None,
) -> list[IndicatorLine]:
    """Each indicator's line for `period`: its target, the actual that counts (`counting`
    overrides it for a measure being recorded), RAG and trends."""
    ids = [i.id for i in indicators]
    previous, year_ago = period.previous(), Period(period.start_year - 1, period.quarter)
    measures = latest_measures(session, ids)
    targets = indicator_targets(session, ids)
    lines = []
    for indicator in indicators:
        unit, polarity = Unit(indicator.unit), Polarity(indicator.polarity)
        measure = measures.get((indicator.id, period.key))
        if counting is not None and period.key in counting:
            measure = counting[period.key]
        actual = measure.value if measure else None
        target = targets.get((indicator.id, period.key))
        before = measures.get((indicator.id, previous.key))
        a_year_ago = measures.get((indicator.id, year_ago.key))
        lines.append(
            IndicatorLine(
                ref=indicator.ref,
                title=indicator.title,
                theme=indicator.theme.name,
                directorate=indicator.directorate.name,
                owner=indicator.owner.name,
                unit=unit,
                polarity=polarity,
                decimals=indicator.decimals,
                target=target,
                actual=actual,
                not_available=measure is not None and measure.value is None,
                status=rag(actual, target, polarity, indicator.tolerance),
                short_trend=trend(actual, before.value if before else None, polarity),
                long_trend=trend(actual, a_year_ago.value if a_year_ago else None, polarity),
                note=measure.note if measure else "",
            )
        )
    return lines


def indicator_lines(
    session: Session,
    plan: m.Plan,
    period: Period,
    *,
    theme_id: int | None = None,
    directorate_id: int | None = None,
) -> tuple[IndicatorLine, ...]:
    """The plan's indicators (of one theme or directorate, when given) for `period`, in ref
    order, for the report."""
    query = select(m.Indicator).where(m.Indicator.plan_id == plan.id)
    if theme_id is not None:
        query = query.where(m.Indicator.theme_id == theme_id)
    if directorate_id is not None:
        query = query.where(m.Indicator.directorate_id == directorate_id)
    indicators = list(
        session.scalars(
            query.order_by(m.Indicator.number, m.Indicator.ref).options(
                joinedload(m.Indicator.theme, innerjoin=True),
                joinedload(m.Indicator.directorate, innerjoin=True),
                joinedload(m.Indicator.owner, innerjoin=True),
            )
        )
    )
    return tuple(_lines(session, indicators, period)) if indicators else ()
