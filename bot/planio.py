"""Reading and writing plan files: an `.xlsx` workbook or a folder of three CSV files.

A plan file has three tables, `actions`, `people` and `meetings` (see the sample plan).
`read_plan` validates the whole file and reports every problem at once in a
`PlanFileError`; `write_plan` writes the same format back, in a stable order, so that
read → write → read → write gives identical files.

Formula injection: every text cell written is passed through `neutralise` and every text
cell read through `unneutralise`, so a spreadsheet never runs a value as a formula and
every value still round-trips exactly (see `neutralise`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from bot.domain.periods import Period, parse_period
from bot.domain.planfile import ActionRow, CellError, HistoryRow, MeetingRow, PersonRow, PlanFile
from bot.domain.refs import normalise_ref, ref_number
from bot.domain.status import DEFAULT_SCHEME, StatusScheme
from bot.errors import InvalidInput, PlanbotError

SAMPLE_PLAN = Path(__file__).parent / "sample_plan"  # the sample plan shipped with planbot

__all__ = [
    "ACTION_COLUMNS",
    "MEETING_COLUMNS",
    "PEOPLE_COLUMNS",
    "ROLES",
    "SHEETS",
    "PlanFileError",
    "neutralise",
    "plan_key_for",
    "read_plan",
    "unneutralise",
    "write_plan",
]

SHEETS = ("actions", "people", "meetings")
ROLES = ("owner", "director", "admin")

ACTION_COLUMNS = (
    "ref",
    "action",
    "theme",
    "directorate",
    "owner",
    "target_date",
    "revised_target_date",
    "closed",
)
ACTION_REQUIRED = ACTION_COLUMNS[:6]
PEOPLE_COLUMNS = (
    "slack_id",
    "name",
    "email",
    "role",
    "directorate",
    "delegate",
    "away_from",
    "away_to",
    "active",
)
PEOPLE_REQUIRED = PEOPLE_COLUMNS[:5]
MEETING_COLUMNS = ("period", "meeting_date", "committee")
MEETING_REQUIRED = MEETING_COLUMNS[:2]

NOTE_SUFFIX = " note"

# Fixed workbook properties and zip timestamps make the .xlsx byte-stable.
_FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - openpyxl writes naive times
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

# A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection).
_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r]")
_GUARDED = re.compile(r"'+[=+\-@\t\r]")
# Characters XML 1.0 cannot hold; openpyxl refuses them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0"})


class PlanFileError(PlanbotError):
    """A plan file with problems; `errors` holds every one, located by sheet, row and column."""

    def __init__(self, errors: Sequence[CellError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


def neutralise(value: str) -> str:
    """The text to store in a cell so that no spreadsheet runs it as a formula.

    Rule: prefix one apostrophe when the value starts with a formula trigger
    (`=`, `+`, `-`, `@`, tab, carriage return) *or* with one or more apostrophes followed by
    a trigger. `unneutralise` removes exactly one leading apostrophe from a value of that
    second shape. So `=SUM(A1)` is stored as `'=SUM(A1)`, `'=already` as `''=already`,
    `'plain` and `it's` unchanged, and `unneutralise(neutralise(v)) == v` for every `v`.
    A person who types `'=SUM(A1)` in a plan file gets the text `=SUM(A1)`.
    """
    return "'" + value if _NEEDS_GUARD.match(value) else value


def unneutralise(value: str) -> str:
    """The value of a cell written by `neutralise`: one guarding apostrophe removed."""
    return value[1:] if _GUARDED.match(value) else value


# -- reading ---------------------------------------------------------------------------------


@dataclass
class _Table:
    """One sheet as read: header texts (trimmed) and the data rows with their row numbers."""

    sheet: str
    headers: list[str]
    rows: list[tuple[int, list[object]]]
    columns: dict[str, int] = field(default_factory=dict)  # lower-case header → index


class _Formula:
    """Marks a workbook cell that holds a formula with no saved value."""


def _cell_text(value: object) -> str:
    """The text of a cell value, trimmed, with a formula guard removed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unneutralise(value.strip())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Row:
    """One data row, recording its problems as it is read."""

    def __init__(
        self, table: _Table, number: int, values: list[object], errors: list[CellError]
    ) -> None:
        self.table = table
        self.number = number
        self.values = values
        self._errors = errors
        self.ok = True

    def error(self, index: int | None, message: str) -> None:
        column = self.table.headers[index] if index is not None else None
        self._errors.append(CellError(self.table.sheet, self.number, column, message))
        self.ok = False

    def index(self, name: str) -> int | None:
        return self.table.columns.get(name)

    def raw(self, index: int) -> object:
        return self.values[index] if index < len(self.values) else None

    def text(self, name: str) -> str:
        """The trimmed text of an optional column ("" when blank or absent)."""
        index = self.index(name)
        return "" if index is None else self.text_at(index)

    def text_at(self, index: int) -> str:
        value = self.raw(index)
        if isinstance(value, _Formula):
            self.error(index, "holds a formula with no saved value; type the value instead")
            return ""
        return _cell_text(value)

    def required(self, name: str) -> str | None:
        """The text of a required column; None (and an error) when blank."""
        index = self.index(name)
        if index is None:  # the missing column is reported once, on row 1
            return None
        text = self.text_at(index)
        if not text:
            if not isinstance(self.raw(index), _Formula):
                self.error(index, f"{name} is blank")
            return None
        return text

    def date(self, name: str, *, required: bool) -> dt.date | None:
        index = self.index(name)
        if index is None:
            return None
        value = self.raw(index)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = self.text_at(index)
        if not text:
            if required and not isinstance(value, _Formula):
                self.error(index, f"{name} is blank")
            return None
        try:
            return _parse_date(text)
        except ValueError as exc:
            self.error(index, str(exc))
            return None

    def flag(self, name: str, *, default: bool) -> bool:
        index = self.index(name)
        if index is None:
            return default
        text = self.text_at(index).lower()
        if not text:
            return default
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.error(index, f"'{text}' is not yes or no")
        return default


def _parse_date(text: str) -> dt.date:
    """A date written `2019-07-31` or `31/07/2019`; ValueError with a readable message."""
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
    else:
        raise ValueError(f"'{text}' is not a date; write it as 2019-07-31 or 31/07/2019")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text}' is not a real date") from None


def _read_period(text: str) -> Period | None:
    """A period named with its year (`2019-20-Q3`, `2019/20 Q3`, `Q3 2019/20`), or None."""
    try:
        return Period.from_key(text)
    except InvalidInput:
        pass
    if not re.search(r"\d{4}", text):
        return None  # a bare `Q3` depends on today's date: not in a file
    try:
        return parse_period(text, today=dt.date(2000, 1, 1))
    except InvalidInput:
        return None


def _index_headers(table: _Table, required: Sequence[str], errors: list[CellError]) -> bool:
    """Map header names to columns; report duplicates and missing required columns."""
    ok = True
    for index, header in enumerate(table.headers):
        if not header:
            if any(not _is_blank(row[index]) for _, row in table.rows if index < len(row)):
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


def _check_unknown_columns(table: _Table, known: Sequence[str], errors: list[CellError]) -> None:
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


def _rows(table: _Table, errors: list[CellError]) -> Iterable[_Row]:
    for number, values in table.rows:
        if all(_is_blank(value) for value in values):
            continue
        yield _Row(table, number, values, errors)


@dataclass
class _People:
    """Who is who, for resolving owners and delegates given by Slack ID or e-mail."""

    by_slack_id: dict[str, str] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)

    def resolve(self, text: str) -> str | None:
        if "@" in text:
            return self.by_email.get(text.casefold())
        return self.by_slack_id.get(text) or self.by_slack_id.get(text.upper())


def _read_people(table: _Table, errors: list[CellError]) -> tuple[list[PersonRow], _People | None]:
    usable = _index_headers(table, PEOPLE_REQUIRED, errors)
    _check_unknown_columns(table, PEOPLE_COLUMNS, errors)
    index = _People()
    slack_rows: dict[str, int] = {}
    email_rows: dict[str, int] = {}
    pending: list[tuple[_Row, dict[str, Any]]] = []
    for row in _rows(table, errors):
        slack_id = row.required("slack_id")
        if slack_id is not None:
            if not _SLACK_ID.fullmatch(slack_id):
                row.error(
                    row.index("slack_id"),
                    f"'{slack_id}' is not a Slack user ID (like U0123ABCD: in Slack, open "
                    "the person's profile, ⋮, Copy member ID)",
                )
            elif slack_id in slack_rows:
                row.error(
                    row.index("slack_id"),
                    f"duplicate Slack ID {slack_id} (also row {slack_rows[slack_id]})",
                )
            else:
                slack_rows[slack_id] = row.number
                index.by_slack_id[slack_id] = slack_id
        name = row.required("name")
        email = row.required("email")
        if email is not None:
            folded = email.casefold()
            if not _EMAIL.fullmatch(email):
                row.error(row.index("email"), f"'{email}' is not an e-mail address")
            elif folded in email_rows:
                row.error(
                    row.index("email"),
                    f"duplicate e-mail {email} (also row {email_rows[folded]})",
                )
            else:
                email_rows[folded] = row.number
                if slack_id is not None and _SLACK_ID.fullmatch(slack_id):
                    index.by_email[folded] = slack_id
        role = row.required("role")
        if role is not None:
            role = role.lower()
            if role not in ROLES:
                row.error(
                    row.index("role"), f"unknown role '{role}'; use one of: {', '.join(ROLES)}"
                )
        directorate = row.required("directorate")
        away_from = row.date("away_from", required=False)
        away_to = row.date("away_to", required=False)
        if away_from and away_to and away_to < away_from:
            row.error(row.index("away_to"), "away_to is before away_from")
        active = row.flag("active", default=True)
        pending.append(
            (
                row,
                {
                    "slack_id": slack_id,
                    "name": name,
                    "email": email,
                    "role": role,
                    "directorate": directorate,
                    "delegate": row.text("delegate"),
                    "away_from": away_from,
                    "away_to": away_to,
                    "active": active,
                },
            )
        )
    people: list[PersonRow] = []
    for row, fields in pending:
        delegate_text: str = fields["delegate"]
        delegate = ""
        if delegate_text and usable:
            resolved = index.resolve(delegate_text)
            if resolved is None:
                row.error(
                    row.index("delegate"),
                    f"unknown delegate '{delegate_text}': no one in people has this "
                    "Slack ID or e-mail",
                )
            elif resolved == fields["slack_id"]:
                row.error(row.index("delegate"), "a person cannot be their own delegate")
            else:
                delegate = resolved
        if row.ok and usable:
            people.append(PersonRow(**{**fields, "delegate": delegate}))
    return people, (index if usable else None)


@dataclass
class _PeriodColumns:
    status: dict[Period, int] = field(default_factory=dict)
    note: dict[Period, int] = field(default_factory=dict)


def _read_period_columns(table: _Table, errors: list[CellError]) -> _PeriodColumns:
    found = _PeriodColumns()
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
        period = _read_period(period_text)
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


def _read_actions(
    table: _Table,
    people: _People | None,
    scheme: StatusScheme,
    errors: list[CellError],
) -> tuple[list[ActionRow], list[HistoryRow]]:
    usable = _index_headers(table, ACTION_REQUIRED, errors)
    periods = _read_period_columns(table, errors)
    actions: list[ActionRow] = []
    history: list[HistoryRow] = []
    ref_rows: dict[str, int] = {}
    for row in _rows(table, errors):
        ref_text = row.required("ref")
        ref: str | None = None
        if ref_text is not None:
            ref = normalise_ref(ref_text)
            if ref is None:
                row.error(row.index("ref"), f"'{ref_text}' is not an action ref (like ACT-12)")
            elif ref in ref_rows:
                row.error(row.index("ref"), f"duplicate ref {ref} (also row {ref_rows[ref]})")
            else:
                ref_rows[ref] = row.number
        title = row.required("action")
        theme = row.required("theme")
        directorate = row.required("directorate")
        owner_text = row.required("owner")
        owner: str | None = None
        if owner_text is not None and people is not None:
            owner = people.resolve(owner_text)
            if owner is None:
                row.error(
                    row.index("owner"),
                    f"unknown owner '{owner_text}': no one in people has this Slack ID or e-mail",
                )
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


def _read_meetings(table: _Table, errors: list[CellError]) -> list[MeetingRow]:
    usable = _index_headers(table, MEETING_REQUIRED, errors)
    _check_unknown_columns(table, MEETING_COLUMNS, errors)
    meetings: list[MeetingRow] = []
    period_rows: dict[Period, int] = {}
    for row in _rows(table, errors):
        period_text = row.required("period")
        period: Period | None = None
        if period_text is not None:
            period = _read_period(period_text)
            if period is None:
                row.error(
                    row.index("period"),
                    f"'{period_text}' is not a period; write it like 2019-20-Q3",
                )
            elif period in period_rows:
                row.error(
                    row.index("period"),
                    f"a second meeting for {period.key} (also row {period_rows[period]})",
                )
            else:
                period_rows[period] = row.number
        meeting_date = row.date("meeting_date", required=True)
        committee = row.text("committee")
        if row.ok and usable and period is not None and meeting_date is not None:
            meetings.append(MeetingRow(period.key, meeting_date, committee))
    return meetings


def _csv_tables(folder: Path, errors: list[CellError]) -> dict[str, _Table]:
    tables: dict[str, _Table] = {}
    for sheet in SHEETS:
        path = folder / f"{sheet}.csv"
        if not path.is_file():
            errors.append(CellError(sheet, None, None, f"missing file {sheet}.csv in {folder}"))
            continue
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                records = list(csv.reader(handle))
        except UnicodeDecodeError:
            errors.append(
                CellError(sheet, None, None, "not UTF-8 text; save the file as CSV UTF-8")
            )
            continue
        except (OSError, csv.Error) as exc:
            errors.append(CellError(sheet, None, None, f"cannot read {path.name}: {exc}"))
            continue
        headers = [cell.strip() for cell in records[0]] if records else []
        rows: list[tuple[int, list[object]]] = [
            (number, list(record)) for number, record in enumerate(records[1:], start=2)
        ]
        tables[sheet] = _Table(sheet, headers, rows)
    return tables


def _workbook_tables(path: Path, errors: list[CellError]) -> dict[str, _Table]:
    try:
        workbook = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        reason = str(exc) or type(exc).__name__
        errors.append(
            CellError(
                path.name,
                None,
                None,
                f"cannot read this file as an Excel workbook (.xlsx): {reason}",
            )
        )
        return {}
    sheets: dict[str, Any] = {}
    for worksheet in workbook.worksheets:
        name = str(worksheet.title).strip().lower()
        if name in SHEETS and name in sheets:
            errors.append(
                CellError(name, None, None, f"the workbook has two sheets named '{name}'")
            )
        sheets.setdefault(name, worksheet)
    cached: Any = None  # a second copy with the values Excel saved for formulas, if needed
    tables: dict[str, _Table] = {}
    for sheet in SHEETS:
        worksheet = sheets.get(sheet)
        if worksheet is None:
            errors.append(CellError(sheet, None, None, f"missing sheet '{sheet}'"))
            continue
        grid: list[tuple[int, list[object]]] = []
        for cells in worksheet.iter_rows():
            values: list[object] = []
            for cell in cells:
                value: object = cell.value
                if cell.data_type == "f":
                    if cached is None:
                        cached = openpyxl.load_workbook(path, data_only=True)
                    value = cached[worksheet.title].cell(cell.row, cell.column).value
                    if value is None:
                        value = _Formula()
                values.append(value)
            if cells:
                grid.append((int(cells[0].row), values))
        headers = [_cell_text(value) for value in grid[0][1]] if grid else []
        tables[sheet] = _Table(sheet, headers, grid[1:])
    return tables


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "plan"


def _stem(path: Path) -> str:
    resolved = path if path.name else path.resolve()
    return resolved.stem if resolved.suffix.lower() == ".xlsx" else resolved.name


def plan_key_for(path: Path) -> str:
    """The plan key a file name gives: `Sample_Plan.xlsx` → `sample-plan`."""
    return _slug(_stem(path))


def _plan_name_for(path: Path) -> str:
    words = " ".join(re.sub(r"[_\-]+", " ", _stem(path)).split()) or "Plan"
    return words[0].upper() + words[1:] if words.islower() else words


def read_plan(
    path: Path, *, key: str | None = None, scheme: StatusScheme = DEFAULT_SCHEME
) -> PlanFile:
    """Read and validate a plan file; raise `PlanFileError` listing every problem in it."""
    errors: list[CellError] = []
    if path.is_dir():
        tables = _csv_tables(path, errors)
    elif path.suffix.lower() == ".xlsx" and path.is_file():
        tables = _workbook_tables(path, errors)
    else:
        if not path.exists():
            message = f"there is no file or folder {path}"
        elif path.suffix.lower() == ".xls":
            message = "this is an old .xls workbook; save it as .xlsx (Excel Workbook)"
        else:
            message = (
                "not a plan file: give an .xlsx workbook or a folder holding actions.csv, "
                "people.csv and meetings.csv"
            )
        raise PlanFileError([CellError(path.name or str(path), None, None, message)])

    sheet_errors: dict[str, list[CellError]] = {sheet: [] for sheet in SHEETS}
    people: list[PersonRow] = []
    index: _People | None = None
    if "people" in tables:
        people, index = _read_people(tables["people"], sheet_errors["people"])
    actions: list[ActionRow] = []
    history: list[HistoryRow] = []
    if "actions" in tables:
        actions, history = _read_actions(tables["actions"], index, scheme, sheet_errors["actions"])
    meetings: list[MeetingRow] = []
    if "meetings" in tables:
        meetings = _read_meetings(tables["meetings"], sheet_errors["meetings"])

    # Report file-level problems first, then sheet by sheet in the order of the file.
    errors.extend(error for sheet in SHEETS for error in sheet_errors[sheet])
    if errors:
        raise PlanFileError(errors)
    return PlanFile(
        key=key or plan_key_for(path),
        name=_plan_name_for(path),
        people=people,
        actions=actions,
        meetings=meetings,
        history=history,
    )


# -- writing ---------------------------------------------------------------------------------

_Cell = str | dt.date | None


def _ref_order(ref: str) -> tuple[str, int, str]:
    return (ref.rsplit("-", 1)[0], ref_number(ref), ref)


def _period_order(key: str) -> tuple[int, int, str]:
    try:
        period = Period.from_key(key)
    except InvalidInput:
        return (0, 0, key)
    return (period.start_year, period.quarter, key)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _tables_for(plan: PlanFile) -> dict[str, list[list[_Cell]]]:
    """The three sheets of `plan` as rows of cells, header first, in a stable order."""
    known_refs = {action.ref for action in plan.actions}
    latest: dict[tuple[str, str], HistoryRow] = {}
    for row in plan.history:  # the latest row for a period counts
        if row.ref not in known_refs:
            raise ValueError(f"history row for {row.ref}, which is not an action of the plan")
        latest[(row.ref, row.period)] = row
    periods = sorted({period for _, period in latest}, key=_period_order)

    actions: list[list[_Cell]] = [
        [*ACTION_COLUMNS, *(c for p in periods for c in (p, p + NOTE_SUFFIX))]
    ]
    for action in sorted(plan.actions, key=lambda a: _ref_order(a.ref)):
        cells: list[_Cell] = [
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

    people: list[list[_Cell]] = [list(PEOPLE_COLUMNS)]
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

    meetings: list[list[_Cell]] = [list(MEETING_COLUMNS)]
    for meeting in sorted(plan.meetings, key=lambda m: _period_order(m.period)):
        meetings.append([meeting.period, meeting.meeting_date, meeting.committee])
    return {"actions": actions, "people": people, "meetings": meetings}


def _csv_text(cell: _Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return neutralise(cell)


def _write_csv_folder(tables: dict[str, list[list[_Cell]]], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in tables.items():
        buffer = io.StringIO(newline="")
        # The default CRLF terminator makes csv quote any value holding a CR, so it survives.
        writer = csv.writer(buffer)
        writer.writerows([_csv_text(cell) for cell in row] for row in rows)
        (folder / f"{sheet}.csv").write_bytes(buffer.getvalue().encode("utf-8"))


def _column_width(rows: list[list[_Cell]], index: int) -> float:
    longest = max(
        (len(_csv_text(row[index]).split("\n", 1)[0]) for row in rows if index < len(row)),
        default=8,
    )
    return float(min(max(longest, 8), 60) + 2)


def _workbook_bytes(tables: dict[str, list[list[_Cell]]]) -> bytes:
    workbook: Any = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for sheet, rows in tables.items():
        worksheet = workbook.create_sheet(sheet)
        for row_number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                cell = worksheet.cell(row_number, column)
                if isinstance(value, dt.date):
                    cell.value = value
                    cell.number_format = "yyyy-mm-dd"
                elif value:
                    cell.value = _XML_ILLEGAL.sub("", neutralise(value))
                    cell.data_type = "s"  # text, never a formula
                if row_number == 1:
                    cell.font = bold
        worksheet.freeze_panes = "A2"
        for column in range(len(rows[0])):
            letter = get_column_letter(column + 1)
            worksheet.column_dimensions[letter].width = _column_width(rows, column)
    workbook.properties.creator = "planbot"
    workbook.properties.created = _FIXED_TIMESTAMP
    workbook.properties.modified = _FIXED_TIMESTAMP
    raw = io.BytesIO()
    # ExcelWriter, not Workbook.save: save() stamps `modified` with the current time.
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    return _with_fixed_zip_times(raw.getvalue())


def _with_fixed_zip_times(data: bytes) -> bytes:
    """The same zip archive with every entry dated 1980-01-01, so equal content is equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_plan(plan: PlanFile, path: Path) -> None:
    """Write `plan` as an `.xlsx` workbook (path ends in .xlsx) or a folder of three CSVs.

    Text is written verbatim except that `neutralise` guards formula-looking values and, in
    a workbook only, characters XML cannot hold (control characters other than tab, LF and
    CR) are dropped.
    """
    tables = _tables_for(plan)
    if path.suffix.lower() == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_workbook_bytes(tables))
    else:
        _write_csv_folder(tables, path)
