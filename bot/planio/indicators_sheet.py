"""Validating the indicators sheet: each indicator, and its target, actual and note by period."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain.indicators import (
    DEFAULT_TOLERANCE,
    INDICATOR_PREFIX,
    NOT_AVAILABLE,
    Unit,
    looks_like_value,
    parse_number,
    parse_polarity,
    parse_unit,
    places,
    read_value,
    shorten_text,
)
from bot.domain.periods import Period
from bot.domain.planfile import CellError, IndicatorRow, IndicatorValueRow
from bot.domain.refs import normalise_ref
from bot.errors import InvalidInput
from bot.planio.cells import Row, Table, data_rows, read_period
from bot.planio.columns import INDICATOR_COLUMNS, INDICATOR_PERIOD_COLUMNS, INDICATOR_REQUIRED
from bot.planio.headers import index_headers
from bot.planio.item_columns import read_item_columns
from bot.planio.people_sheet import People

_PERIOD_COLUMN = re.compile(r"(.*?)[\s_-]*(target|actual|note)", re.IGNORECASE)
_EXAMPLE = "'2019-20-Q1 target', '2019-20-Q1 actual', '2019-20-Q1 note'"


@dataclass
class IndicatorColumns:
    """The column of each (period, kind) after the fixed ones; kind is target, actual or note."""

    at: dict[tuple[Period, str], int] = field(default_factory=dict)

    @property
    def periods(self) -> list[Period]:
        return sorted({period for period, _ in self.at})


def _read_period_columns(table: Table, errors: list[CellError]) -> IndicatorColumns:
    found = IndicatorColumns()
    for name, index in table.columns.items():
        if name in INDICATOR_COLUMNS:
            continue
        header = table.headers[index]
        match = _PERIOD_COLUMN.fullmatch(header)
        period = read_period(match[1]) if match else None
        if match is None or period is None:
            errors.append(
                CellError(
                    table.sheet,
                    1,
                    header,
                    f"unknown column; the columns of indicators are "
                    f"{', '.join(INDICATOR_COLUMNS)} and then, per period, a target, an actual "
                    f"and a note column ({_EXAMPLE})",
                )
            )
            continue
        kind = match[2].lower()
        if (period, kind) in found.at:
            other = table.headers[found.at[(period, kind)]]
            errors.append(
                CellError(
                    table.sheet,
                    1,
                    header,
                    f"a second {kind} column for {period.key} (also column '{other}')",
                )
            )
            continue
        found.at[(period, kind)] = index
    return found


def _value(row: Row, index: int, unit: Unit | None) -> Decimal | None:
    """The number in a target or actual cell (None when blank); an error when it is not one."""
    text = row.text_at(index)
    if not text:
        return None
    if unit is None:  # the unit is wrong (reported already): check only that it is a number
        if not looks_like_value(text):
            row.error(index, f"'{shorten_text(text)}' is not a number")
        return None
    try:
        return read_value(text, unit)
    except InvalidInput as refused:
        row.error(index, f"{refused.message} {refused.hint or ''}".strip())
        return None


def read_indicators(
    table: Table,
    people: People | None,
    action_refs: dict[str, int],
    errors: list[CellError],
    *,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> tuple[list[IndicatorRow], list[IndicatorValueRow]]:
    """The valid indicators and their values by period; every problem recorded in `errors`.

    `action_refs`: the row of each action ref in the actions sheet (a ref is unique in the
    plan, across actions and indicators). `tolerance`: the plan's default (`pi_tolerance`)."""
    usable = index_headers(table, INDICATOR_REQUIRED, errors)
    columns = _read_period_columns(table, errors)
    indicators: list[IndicatorRow] = []
    values: list[IndicatorValueRow] = []
    ref_rows: dict[str, int] = {}
    for row in data_rows(table, errors):
        ref_text = row.required("ref")
        ref: str | None = None
        if ref_text is not None:
            ref = normalise_ref(ref_text, prefix=INDICATOR_PREFIX)
            if ref is None:
                row.error(row.index("ref"), f"'{ref_text}' is not an indicator ref (like PI-7)")
            elif ref in action_refs:
                row.error(
                    row.index("ref"),
                    f"{ref} is also an action (actions, row {action_refs[ref]}); a ref names "
                    "one action or indicator in a plan",
                )
            else:
                row.first_in_sheet("ref", ref, ref_rows, f"duplicate ref {ref}")
        title, theme, directorate, owner = read_item_columns(row, people, title_column="indicator")
        unit: Unit | None = None
        if (unit_text := row.required("unit")) is not None:
            try:
                unit = parse_unit(unit_text)
            except InvalidInput:
                row.error(
                    row.index("unit"),
                    f"unknown unit '{unit_text}'; use one of: {', '.join(u.value for u in Unit)}",
                )
        polarity: str | None = None
        if (polarity_text := row.required("polarity")) is not None:
            try:
                polarity = parse_polarity(polarity_text).value
            except InvalidInput:
                row.error(
                    row.index("polarity"),
                    f"unknown polarity '{polarity_text}'; use higher or lower (which way is "
                    "better)",
                )
        row_tolerance = tolerance
        if tolerance_text := row.text("tolerance").removesuffix("%").strip():
            try:
                row_tolerance = parse_number(tolerance_text)
                if row_tolerance < 0:
                    raise ValueError(f"'{tolerance_text}' is below zero")
            except ValueError as exc:
                row.error(row.index("tolerance"), f"{exc}; give a per cent of the target, like 10")
        found: list[IndicatorValueRow] = []
        for period in columns.periods:
            cells = {kind: columns.at.get((period, kind)) for kind in INDICATOR_PERIOD_COLUMNS}
            target = actual = None
            not_available = False
            if (index := cells["target"]) is not None:
                target = _value(row, index, unit)
            if (index := cells["actual"]) is not None:
                if row.text_at(index).lower() == NOT_AVAILABLE:
                    not_available = True
                else:
                    actual = _value(row, index, unit)
            note = ""
            if (index := cells["note"]) is not None and (note := row.text_at(index)):
                actual_index = cells["actual"]
                if (
                    actual is None
                    and not not_available
                    and (actual_index is None or not row.text_at(actual_index))
                ):
                    row.error(
                        index,
                        f"a note with no actual for {period.key}; give the actual, or n/a if "
                        "there will be none",
                    )
            if target is not None or actual is not None or not_available:
                found.append(
                    IndicatorValueRow(ref or "", period.key, target, actual, not_available, note)
                )
        complete = ref and title and theme and directorate and owner and unit and polarity
        if row.ok and usable and complete:
            assert ref and title and theme and directorate and owner and unit and polarity
            decimals = max(
                (places(v) for f in found for v in (f.target, f.actual) if v is not None),
                default=0,
            )
            indicators.append(
                IndicatorRow(
                    ref,
                    title,
                    theme,
                    directorate,
                    owner,
                    unit.value,
                    polarity,
                    row_tolerance,
                    decimals,
                )
            )
            values.extend(found)
    return indicators, values
