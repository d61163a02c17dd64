"""Each indicator's recent quarters (target and actual), for the report's chart."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.periods import Period
from bot.model.indicators import IndicatorLine, IndicatorPoint
from bot.services.plans import indicator_targets, latest_measures
from storage import models as m

CHART_QUARTERS = 5  # the chart shows an exception's last five quarters against target


def with_history(
    session: Session,
    plan: m.Plan,
    period: Period,
    lines: Sequence[IndicatorLine],
    *,
    quarters: int = CHART_QUARTERS,
) -> tuple[IndicatorLine, ...]:
    """`lines` with each one's last `quarters` quarters up to `period` (oldest first)."""
    if not lines:
        return ()
    refs = [line.ref for line in lines]
    query = select(m.Indicator.ref, m.Indicator.id).where(
        m.Indicator.plan_id == plan.id, m.Indicator.ref.in_(refs)
    )
    ids = dict(session.execute(query).tuples().all())
    measures = latest_measures(session, list(ids.values()))
    targets = indicator_targets(session, list(ids.values()))
    periods = [period]
    while len(periods) < quarters:
        periods.insert(0, periods[0].previous())
    filled = []
    for line in lines:
        number = ids.get(line.ref)
        points = []
        for p in periods:
            measure = measures.get((number, p.key)) if number is not None else None
            target = targets.get((number, p.key)) if number is not None else None
            points.append(
                IndicatorPoint(p.key, p.short_label, target, measure.value if measure else None)
            )
        filled.append(dataclasses.replace(line, history=tuple(points)))
    return tuple(filled)
