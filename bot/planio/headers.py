"""Checking a sheet's header row: required, repeated and unknown columns, and period columns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from bot.domain.periods import Period
from bot.domain.planfile import CellError
from bot.planio.cells import Table, is_blank, read_period
from bot.planio.columns import ACTION_COLUMNS


def index_headers(table: Table, required: Sequence[str], errors: list[CellError]) -> bool:
    """Map header names to columns; report duplicates and missing required columns."""
    ok = True
    for index, header in enumerate(table.headers):
        if not header:
            if any(not is_blank(row[index]) for _, row in table.rows if index < len(row)):
                errors.append(
                    CellError(
                        table.sheet,
                        1,
                        None,
                        f"column {get_column_letter(index + 1)} has values but no header",
                    )
                )
            continue
        name = header.lower()
        if name in table.columns:
            errors.append(CellError(table.sheet, 1, header, "this column appears twice"))
            ok = False
            continue
        table.columns[name] = index
    missing = [name for name in required if name not in table.columns]
    for name in missing:
        errors.append(CellError(table.sheet, 1, name, f"missing required column '{name}'"))
    if missing and len(table.headers) == 1 and ";" in table.headers[0]:
        errors.append(
            CellError(
                table.sheet,
                1,
                None,
                "the columns are separated by semicolons; save the file as CSV UTF-8 "
                "(comma delimited)",
            )
        )
    return ok and not missing


def check_unknown_columns(table: Table, known: Sequence[str], errors: list[CellError]) -> None:
    """Report each column of `table` that is not one of `known`."""
    for name, index in table.columns.items():
        if name not in known:
            errors.append(
                CellError(
                    table.sheet,
                    1,
                    table.headers[index],
                    f"unknown column; the columns of {table.sheet} are: {', '.join(known)}",
                )
            )


@dataclass
class PeriodColumns:
    """The status and note column of each period in the actions sheet."""

    status: dict[Period, int] = field(default_factory=dict)
    note: dict[Period, int] = field(default_factory=dict)


def read_period_columns(table: Table, errors: list[CellError]) -> PeriodColumns:
    """Find the per-period status and note columns after the fixed ones; report bad headers."""
    found = PeriodColumns()
    example = "periods look like 2019-20-Q1, notes like '2019-20-Q1 note'"
    for name, index in table.columns.items():
        if name in ACTION_COLUMNS:
            continue
        header = table.headers[index]
        note = re.fullmatch(r"(.*?)[\s_-]*note", header, re.IGNORECASE)
        target = found.note if note else found.status
        period_text = note[1] if note else header
        if not period_text:
            errors.append(
                CellError(table.sheet, 1, header, f"a note column needs a period; {example}")
            )
            continue
        period = read_period(period_text)
        if period is None:
            what = f"'{period_text}' is not a period" if note else "unknown column"
            errors.append(
                CellError(
                    table.sheet,
                    1,
                    header,
                    f"{what}; the columns of actions are {', '.join(ACTION_COLUMNS)} "
                    f"and then one status and one note column per period ({example})",
                )
            )
            continue
        if period in target:
            errors.append(
                CellError(
                    table.sheet,
                    1,
                    header,
                    f"a second column for {period.key} (also column "
                    f"'{table.headers[target[period]]}')",
                )
            )
            continue
        target[period] = index
    for period, index in found.note.items():
        if period not in found.status:
            errors.append(
                CellError(
                    table.sheet,
                    1,
                    table.headers[index],
                    f"note column without a status column '{period.key}'",
                )
            )
    return found
