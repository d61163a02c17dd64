"""A plan laid out as the rows of its sheets, in a stable order, ready to write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from decimal import Decimal
from typing import TypeVar

from bot.domain.indicators import NOT_AVAILABLE
from bot.domain.periods import Period
from bot.domain.plan_rules import SETTING_KEYS, STATUS_COLUMNS, status_texts
from bot.domain.planfile import HistoryRow, IndicatorValueRow, PlanFile
from bot.domain.refs import ref_number
from bot.errors import InvalidInput
from bot.planio.apostrophe_guard import neutralise
from bot.planio.columns import (
    ACTION_COLUMNS,
    INDICATOR_COLUMNS,
    INDICATOR_PERIOD_COLUMNS,
    MEETING_COLUMNS,
    NOTE_SUFFIX,
    PEOPLE_COLUMNS,
    SETTINGS_COLUMNS,
    SIGNOFF_COLUMNS,
)

Cell = str | dt.date | None
ByPeriod = TypeVar("ByPeriod", HistoryRow, IndicatorValueRow)  # a ref's row for one period


def _ref_order(ref: str) -> tuple[str, int, str]:
    return (ref.rsplit("-", 1)[0], ref_number(ref), ref)


def _period_order(key: str) -> tuple[int, int, str]:
    try:
        period = Period.from_key(key)
    except InvalidInput:
        return (0, 0, key)
    return (period.start_year, period.quarter, key)


def _latest_by_period(
    rows: Iterable[ByPeriod], refs: Collection[str], *, unknown: str
) -> tuple[dict[tuple[str, str], ByPeriod], list[str]]:
    """The row that counts for each (ref, period), the latest, and the periods in order;
    a row for a ref not in `refs` is a ValueError (`unknown` with the ref)."""
    latest: dict[tuple[str, str], ByPeriod] = {}
    for row in rows:
        if row.ref not in refs:
            raise ValueError(unknown.format(row.ref))
        latest[(row.ref, row.period)] = row
    return latest, sorted({period for _, period in latest}, key=_period_order)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def plan_tables(plan: PlanFile) -> dict[str, list[list[Cell]]]:
    """The sheets of `plan` as rows of cells, header first, in a stable order (the settings,
    statuses and indicators sheets only when the plan has them)."""
    latest, periods = _latest_by_period(
        plan.history,
        {action.ref for action in plan.actions},
        unknown="history row for {}, which is not an action of the plan",
    )

    actions: list[list[Cell]] = [
        [*ACTION_COLUMNS, *(c for p in periods for c in (p, p + NOTE_SUFFIX))]
    ]
    for action in sorted(plan.actions, key=lambda a: _ref_order(a.ref)):
        cells: list[Cell] = [
            action.ref,
            action.title,
            action.theme,
            action.directorate,
            action.owner,
            action.target_date,
            action.revised_target_date,
            _yes_no(action.closed),
        ]
        for period in periods:
            update = latest.get((action.ref, period))
            cells += [update.status, update.note] if update else [None, None]
        actions.append(cells)

    people: list[list[Cell]] = [list(PEOPLE_COLUMNS)]
    for person in plan.people:
        people.append(
            [
                person.slack_id,
                person.name,
                person.email,
                person.role,
                person.directorate,
                person.delegate,
                person.away_from,
                person.away_to,
                _yes_no(person.active),
            ]
        )

    meetings: list[list[Cell]] = [list(MEETING_COLUMNS)]
    for meeting in sorted(plan.meetings, key=lambda m: _period_order(m.period)):
        meetings.append([meeting.period, meeting.meeting_date, meeting.committee])
    tables = {"actions": actions, "people": people, "meetings": meetings}
    if plan.settings:
        settings: list[list[Cell]] = [list(SETTINGS_COLUMNS)]
        settings += [[key, plan.settings[key]] for key in SETTING_KEYS if key in plan.settings]
        tables["settings"] = settings
    if plan.statuses:
        statuses: list[list[Cell]] = [list(STATUS_COLUMNS)]
        for status in plan.statuses:
            texts = status_texts(status)
            statuses.append([texts[column] or None for column in STATUS_COLUMNS])
        tables["statuses"] = statuses
    if plan.indicators:
        tables["indicators"] = _indicator_rows(plan)
    if plan.signoffs:
        signoffs: list[list[Cell]] = [list(SIGNOFF_COLUMNS)]
        for row in sorted(
            plan.signoffs, key=lambda r: (_ref_order(r.ref), _period_order(r.period))
        ):
            signoffs.append(
                [row.ref, row.period, row.decision, row.by, row.on, row.comment or None]
            )
        tables["signoff"] = signoffs
    return tables


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _indicator_rows(plan: PlanFile) -> list[list[Cell]]:
    latest, periods = _latest_by_period(
        plan.indicator_values,
        {indicator.ref for indicator in plan.indicators},
        unknown="values for {}, which is not an indicator of the plan",
    )
    rows: list[list[Cell]] = [
        [*INDICATOR_COLUMNS, *(f"{p} {kind}" for p in periods for kind in INDICATOR_PERIOD_COLUMNS)]
    ]
    for indicator in sorted(plan.indicators, key=lambda i: _ref_order(i.ref)):
        cells: list[Cell] = [
            indicator.ref,
            indicator.title,
            indicator.theme,
            indicator.directorate,
            indicator.owner,
            indicator.unit,
            indicator.polarity,
            str(indicator.tolerance),
        ]
        for period in periods:
            value = latest.get((indicator.ref, period))
            if value is None:
                cells += [None, None, None]
                continue
            actual = NOT_AVAILABLE if value.not_available else _number(value.actual)
            cells += [_number(value.target), actual, value.note or None]
        rows.append(cells)
    return rows


def text_to_write(cell: Cell) -> str:
    """The text a cell is written as: dates in ISO form, formula-looking text guarded."""
    if cell is None:
        return ""
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return neutralise(cell)
