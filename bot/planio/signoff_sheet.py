"""The `signoff` sheet: directors' decisions on the updates of the actions sheet (the sign-off
record an export writes), read back with every problem named by sheet, row and column."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.planfile import CellError, HistoryRow, SignOffRow
from bot.domain.refs import normalise_ref
from bot.planio.cells import Table, data_rows, read_period
from bot.planio.columns import SIGNOFF_COLUMNS
from bot.planio.headers import check_unknown_columns, index_headers
from bot.planio.people_sheet import People

DECISIONS = ("approved", "returned")


def read_signoffs(
    table: Table,
    people: People | None,
    history: Collection[HistoryRow],
    errors: list[CellError],
) -> list[SignOffRow]:
    """The decisions, each on an update the actions sheet gives (its ref and period)."""
    usable = index_headers(table, SIGNOFF_COLUMNS[:5], errors)
    check_unknown_columns(table, SIGNOFF_COLUMNS, errors)
    updated = {(row.ref, row.period) for row in history}
    found: list[SignOffRow] = []
    seen: dict[tuple[str, str], int] = {}
    for row in data_rows(table, errors):
        ref_text, period_text = row.required("ref"), row.required("period")
        ref = normalise_ref(ref_text) if ref_text else None
        period = read_period(period_text) if period_text else None
        if ref_text and ref is None:
            row.error(row.index("ref"), f"'{ref_text}' is not an action ref (like ACT-12)")
        if period_text and period is None:
            row.error(row.index("period"), f"'{period_text}' is not a period like 2019-20-Q3")
        if ref and period:
            key = (ref, period.key)
            if key not in updated:
                row.error(
                    row.index("ref"),
                    f"the actions sheet has no {period.key} status for {ref} to sign off",
                )
            else:
                row.first_in_sheet("ref", key, seen, f"a second decision on {ref} {period.key}")
        decision = (row.required("decision") or "").lower()
        if decision and decision not in DECISIONS:
            row.error(row.index("decision"), f"'{decision}' is not approved or returned")
        by_text = row.required("by") or ""
        by = people.resolve(by_text) if people is not None and by_text else None
        if by_text and people is not None and by is None:
            row.error(row.index("by"), f"'{by_text}' is not in the people sheet")
        on = row.date("on", required=True)
        comment = row.text("comment")
        if decision == "returned" and not comment:
            row.error(row.index("comment"), "a returned update needs the comment it came with")
        if row.ok and usable and ref and period and by and on:
            found.append(SignOffRow(ref, period.key, decision, by, on, comment))
    return found
