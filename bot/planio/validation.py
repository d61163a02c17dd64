"""Validating a plan file's rows into a PlanFile, collecting every problem before refusing."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.domain.indicators import DEFAULT_TOLERANCE
from bot.domain.periods import Period
from bot.domain.planfile import (
    ActionRow,
    CellError,
    HistoryRow,
    IndicatorRow,
    IndicatorValueRow,
    MeetingRow,
    PersonRow,
    PlanFile,
    SignOffRow,
)
from bot.domain.refs import normalise_ref
from bot.domain.status import StatusDef, StatusScheme
from bot.errors import InvalidInput, PlanbotError
from bot.planio.cells import Table, data_rows, read_period
from bot.planio.columns import ACTION_REQUIRED, ALL_SHEETS, MEETING_COLUMNS, MEETING_REQUIRED
from bot.planio.headers import check_unknown_columns, index_headers, read_period_columns
from bot.planio.indicators_sheet import read_indicators
from bot.planio.item_columns import read_item_columns
from bot.planio.people_sheet import People, read_people
from bot.planio.rules_sheets import read_settings, read_statuses
from bot.planio.signoff_sheet import read_signoffs


class PlanFileError(PlanbotError):
    """A plan file with problems; `errors` holds every one, located by sheet, row and column."""

    def __init__(self, errors: Sequence[CellError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


def _read_actions(
    table: Table,
    people: People | None,
    scheme: StatusScheme,
    errors: list[CellError],
    ref_rows: dict[str, int],
) -> tuple[list[ActionRow], list[HistoryRow]]:
    """The valid actions and their history; `ref_rows` gets the row of each ref read."""
    usable = index_headers(table, ACTION_REQUIRED, errors)
    periods = read_period_columns(table, errors)
    actions: list[ActionRow] = []
    history: list[HistoryRow] = []
    for row in data_rows(table, errors):
        ref_text = row.required("ref")
        ref: str | None = None
        if ref_text is not None:
            ref = normalise_ref(ref_text)
            if ref is None:
                row.error(row.index("ref"), f"'{ref_text}' is not an action ref (like ACT-12)")
            else:
                row.first_in_sheet("ref", ref, ref_rows, f"duplicate ref {ref}")
        title, theme, directorate, owner = read_item_columns(row, people, title_column="action")
        target_date = row.date("target_date", required=True)
        revised = row.date("revised_target_date", required=False)
        closed = row.flag("closed", default=False)
        updates: list[HistoryRow] = []
        for period in sorted(periods.status):
            status_index = periods.status[period]
            status_text = row.text_at(status_index)
            note_index = periods.note.get(period)
            note = row.text_at(note_index) if note_index is not None else ""
            if not status_text:
                if note:
                    row.error(note_index, f"a note with no status for {period.key}")
                continue
            try:
                status = scheme.parse(status_text)
            except InvalidInput:
                row.error(
                    status_index,
                    f"unknown status '{status_text}'; use one of: {', '.join(scheme.keys)}",
                )
                continue
            updates.append(HistoryRow(ref or "", period.key, status, note))
        if row.ok and usable and ref and title and theme and directorate and owner and target_date:
            actions.append(
                ActionRow(ref, title, theme, directorate, owner, target_date, revised, closed)
            )
            history.extend(updates)
    return actions, history


def _read_meetings(table: Table, errors: list[CellError]) -> list[MeetingRow]:
    usable = index_headers(table, MEETING_REQUIRED, errors)
    check_unknown_columns(table, MEETING_COLUMNS, errors)
    meetings: list[MeetingRow] = []
    period_rows: dict[Period, int] = {}
    for row in data_rows(table, errors):
        period_text = row.required("period")
        period: Period | None = None
        if period_text is not None:
            period = read_period(period_text)
            if period is None:
                row.error(
                    row.index("period"),
                    f"'{period_text}' is not a period; write it like 2019-20-Q3",
                )
            else:
                row.first_in_sheet(
                    "period", period, period_rows, f"a second meeting for {period.key}"
                )
        meeting_date = row.date("meeting_date", required=True)
        committee = row.text("committee")
        if row.ok and usable and period is not None and meeting_date is not None:
            meetings.append(MeetingRow(period.key, meeting_date, committee))
    return meetings


def plan_from_tables(
    tables: dict[str, Table],
    errors: list[CellError],
    *,
    key: str,
    name: str,
    scheme: StatusScheme,
) -> PlanFile:
    """The plan the sheets hold; raise `PlanFileError` with `errors` and every problem found.

    `scheme` reads the actions' statuses unless the plan has a statuses sheet of its own."""
    sheet_errors: dict[str, list[CellError]] = {sheet: [] for sheet in ALL_SHEETS}
    settings: dict[str, str] = {}
    if "settings" in tables:
        settings = read_settings(tables["settings"], sheet_errors["settings"])
    statuses: list[StatusDef] = []
    if "statuses" in tables:
        statuses = read_statuses(tables["statuses"], sheet_errors["statuses"])
        if statuses:
            scheme = StatusScheme(tuple(statuses))
    people: list[PersonRow] = []
    index: People | None = None
    if "people" in tables:
        people, index = read_people(tables["people"], sheet_errors["people"])
    actions: list[ActionRow] = []
    history: list[HistoryRow] = []
    action_refs: dict[str, int] = {}
    if "actions" in tables:
        actions, history = _read_actions(
            tables["actions"], index, scheme, sheet_errors["actions"], action_refs
        )
    indicators: list[IndicatorRow] = []
    values: list[IndicatorValueRow] = []
    if "indicators" in tables:
        indicators, values = read_indicators(
            tables["indicators"],
            index,
            action_refs,
            sheet_errors["indicators"],
            tolerance=Decimal(settings.get("pi_tolerance", DEFAULT_TOLERANCE)),
        )
    meetings: list[MeetingRow] = []
    if "meetings" in tables:
        meetings = _read_meetings(tables["meetings"], sheet_errors["meetings"])
    signoffs: list[SignOffRow] = []
    if "signoff" in tables:
        signoffs = read_signoffs(tables["signoff"], index, history, sheet_errors["signoff"])

    # Report file-level problems first, then sheet by sheet in the order of the file.
    errors.extend(error for sheet in ALL_SHEETS for error in sheet_errors[sheet])
    if errors:
        raise PlanFileError(errors)
    return PlanFile(
        key,
        settings.get("name", name),
        people,
        actions,
        meetings,
        history,
        indicators,
        values,
        settings=settings,
        statuses=statuses,
        signoffs=signoffs,
    )
