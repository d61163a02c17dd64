# Over 400 lines: every rule of the plan file, one case each.
"""Reading and writing plan files (xlsx and CSV), with no database."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.context import ctx
from support.planfiles import located

from bot.domain.formulas import FORMULA_TRIGGERS
from bot.domain.periods import Period
from bot.domain.planfile import CellError, HistoryRow, PlanFile
from bot.planio import PlanFileError, neutralise, read_plan, unneutralise, write_plan
from bot.render.report_xlsx import render_xlsx
from bot.services.digest import compile_digest
from bot.services.plans import load_plan
from storage.db import Database

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "sample_plan"

Sheets = dict[str, list[list[object]]]
MakePlan = Callable[[Sheets], Path]

PEOPLE_HEADER: list[object] = ["slack_id", "name", "email", "role", "directorate"]
ACTIONS_HEADER: list[object] = ["ref", "action", "theme", "directorate", "owner", "target_date"]
MEETINGS_HEADER: list[object] = ["period", "meeting_date", "committee"]


def person(
    slack_id: str = "U0OWNER01",
    name: str = "Olu Owner",
    email: str = "olu.owner@council.example",
    role: str = "owner",
    directorate: str = "Finance",
) -> list[object]:
    return [slack_id, name, email, role, directorate]


def action(
    ref: object = "ACT-1",
    title: str = "Close the accounts on time",
    owner: str = "U0OWNER01",
    target_date: object = "2020-03-31",
    *periods: object,
) -> list[object]:
    return [ref, title, "Finance & savings", "Finance", owner, target_date, *periods]


def plan_sheets(
    *,
    actions: list[list[object]] | None = None,
    people: list[list[object]] | None = None,
    meetings: list[list[object]] | None = None,
    actions_header: list[object] | None = None,
    people_header: list[object] | None = None,
) -> Sheets:
    """A small valid plan, with any sheet's rows replaced."""
    return {
        "actions": [
            actions_header or ACTIONS_HEADER,
            *(actions if actions is not None else [action()]),
        ],
        "people": [
            people_header or PEOPLE_HEADER,
            *(
                people
                if people is not None
                else [person(), person("U0DIR0001", "Dee Director", "dee@council.example")]
            ),
        ],
        "meetings": [
            MEETINGS_HEADER,
            *(meetings if meetings is not None else [["2019-20-Q3", "2020-02-07", "Joint"]]),
        ],
    }


def write_csv_folder(folder: Path, sheets: Sheets) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(
                ["" if value is None else str(value) for value in row] for row in rows
            )
    return folder


def write_workbook(path: Path, sheets: Sheets) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        worksheet = workbook.create_sheet(name)
        for row in rows:
            worksheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture(params=["csv", "xlsx"])
def make_plan(request: pytest.FixtureRequest, tmp_path: Path) -> MakePlan:
    """Writes sheets as a CSV folder or as a workbook, so a test runs on both formats."""

    def make(sheets: Sheets) -> Path:
        if request.param == "csv":
            return write_csv_folder(tmp_path / "my_plan", sheets)
        return write_workbook(tmp_path / "my_plan.xlsx", sheets)

    return make


def problems(path: Path) -> list[CellError]:
    with pytest.raises(PlanFileError) as caught:
        read_plan(path)
    return caught.value.errors


def workbook_values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    workbook = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def csv_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


# -- the sample plan and round trips ---------------------------------------------------------


def test_sample_plan_reads_with_every_action_person_meeting_and_update() -> None:
    plan = read_plan(SAMPLE)

    assert (plan.key, plan.name) == ("sample-plan", "Sample plan")
    assert len(plan.actions) == 20
    assert len(plan.people) == 13
    assert len(plan.meetings) == 4
    assert [m.period for m in plan.meetings] == [f"2019-20-Q{q}" for q in (1, 2, 3, 4)]
    assert plan.meetings[2].meeting_date == dt.date(2020, 2, 7)
    assert len(plan.history) == 40  # Q1 and Q2 for every action; Q3 has no updates yet
    assert {row.period for row in plan.history} == {"2019-20-Q1", "2019-20-Q2"}
    history = {(row.ref, row.period): row for row in plan.history}
    assert history["ACT-13", "2019-20-Q2"] == HistoryRow(
        "ACT-13",
        "2019-20-Q2",
        "amber",
        "Forecast shortfall of £0.4m; mitigations being identified.",
    )
    assert history["ACT-4", "2019-20-Q1"] == HistoryRow("ACT-4", "2019-20-Q1", "not_started")
    assert history["ACT-20", "2019-20-Q2"].status == "on_hold"
    act9 = next(a for a in plan.actions if a.ref == "ACT-9")
    assert act9.theme == "People, leadership & culture"
    assert act9.owner == "U0HR00002"
    assert act9.target_date == dt.date(2019, 12, 31)
    sinead = next(p for p in plan.people if p.slack_id == "U0HR00002")
    assert (sinead.name, sinead.role, sinead.active) == ("Sinead O'Brien", "owner", True)


def test_csv_round_trip_gives_identical_files(tmp_path: Path) -> None:
    original = read_plan(SAMPLE)
    write_plan(original, tmp_path / "first")
    again = read_plan(tmp_path / "first")
    write_plan(again, tmp_path / "second")

    assert csv_files(tmp_path / "first") == csv_files(tmp_path / "second")
    assert set(csv_files(tmp_path / "first")) == {
        "actions.csv",
        "people.csv",
        "meetings.csv",
        "indicators.csv",
    }
    assert dataclasses.replace(again, key=original.key, name=original.name) == original


def test_xlsx_round_trip_gives_identical_cells_and_bytes(tmp_path: Path) -> None:
    original = read_plan(SAMPLE)
    write_plan(original, tmp_path / "first.xlsx")
    again = read_plan(tmp_path / "first.xlsx")
    write_plan(again, tmp_path / "second.xlsx")

    assert dataclasses.replace(again, key=original.key, name=original.name) == original
    first = workbook_values(tmp_path / "first.xlsx")
    assert list(first) == ["actions", "people", "meetings", "indicators"]
    assert first == workbook_values(tmp_path / "second.xlsx")
    assert (tmp_path / "first.xlsx").read_bytes() == (tmp_path / "second.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "first.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core
    assert str(dt.date.today().year) not in core  # noqa: DTZ011 - any clock will do here


def test_written_workbook_holds_real_dates_and_stable_order(tmp_path: Path) -> None:
    plan = read_plan(SAMPLE)
    shuffled = dataclasses.replace(
        plan,
        actions=list(reversed(plan.actions)),
        history=list(reversed(plan.history)),
        meetings=list(reversed(plan.meetings)),
    )
    write_plan(shuffled, tmp_path / "plan.xlsx")
    write_plan(plan, tmp_path / "plan")

    sheets = workbook_values(tmp_path / "plan.xlsx")
    assert [row[0] for row in sheets["actions"][1:4]] == ["ACT-1", "ACT-2", "ACT-3"]
    assert sheets["actions"][0][6:] == (
        "revised_target_date",
        "closed",
        "2019-20-Q1",
        "2019-20-Q1 note",
        "2019-20-Q2",
        "2019-20-Q2 note",
    )
    assert sheets["actions"][1][5] == dt.datetime(2019, 7, 31)  # noqa: DTZ001 - a date cell
    assert [row[0] for row in sheets["meetings"][1:]] == [f"2019-20-Q{q}" for q in (1, 2, 3, 4)]
    assert workbook_values(tmp_path / "plan.xlsx") == sheets
    reread = read_plan(tmp_path / "plan.xlsx")
    assert [a.ref for a in reread.actions][:12] == [f"ACT-{n}" for n in range(1, 13)]


# -- validation ------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_sheet_row_and_column(
    make_plan: MakePlan,
) -> None:
    header = [*ACTIONS_HEADER, "2019-20-Q1", "2019-20-Q1 note"]
    path = make_plan(
        plan_sheets(
            actions_header=header,
            actions=[
                action("ACT-1", "Fine", "U0OWNER01", "2020-03-31", "green", ""),
                action("ACT-2", "Nobody owns it", "U0NOBODY1", "2020-03-31", "", ""),
                action("act1", "Same ref again", "U0OWNER01", "2020-03-31", "", ""),
                action("ACT-3", "Leap day that isn't", "U0OWNER01", "2019-02-30", "", ""),
                action("ACT-4", "Odd status", "U0OWNER01", "2020-03-31", "purple", "hmm"),
            ],
        )
    )

    errors = problems(path)

    assert located(errors) == [
        ("actions", 3, "owner"),
        ("actions", 4, "ref"),
        ("actions", 5, "target_date"),
        ("actions", 6, "2019-20-Q1"),
    ]
    messages = [error.message for error in errors]
    assert "U0NOBODY1" in messages[0]
    assert "duplicate ref ACT-1 (also row 2)" in messages[1]
    assert "2019-02-30" in messages[2]
    assert "purple" in messages[3]
    assert "not_started, green, amber, red, complete, on_hold" in messages[3]
    text = str(PlanFileError(errors))
    assert text.splitlines() == [str(error) for error in errors]
    assert "actions, row 6, column '2019-20-Q1': unknown status 'purple'" in text


def test_missing_required_column_is_reported_on_row_one(make_plan: MakePlan) -> None:
    path = make_plan(
        plan_sheets(
            actions_header=ACTIONS_HEADER[:4] + ACTIONS_HEADER[5:],
            actions=[["ACT-1", "No owner column", "Finance & savings", "Finance", "2020-03-31"]],
        )
    )

    errors = problems(path)

    assert located(errors) == [("actions", 1, "owner")]
    assert errors[0].message == "missing required column 'owner'"


def test_missing_sheets_and_files_are_named(tmp_path: Path) -> None:
    sheets = plan_sheets()
    del sheets["meetings"]
    folder = write_csv_folder(tmp_path / "plan", sheets)
    workbook = write_workbook(tmp_path / "plan.xlsx", sheets)

    assert located(problems(folder)) == [("meetings", None, None)]
    assert "meetings.csv" in problems(folder)[0].message
    assert located(problems(workbook)) == [("meetings", None, None)]


def test_row_problems_across_all_sheets(make_plan: MakePlan) -> None:
    path = make_plan(
        plan_sheets(
            actions=[
                action("ACT-1", "", "U0OWNER01"),
                action("A-B-C", "Unreadable ref", "U0OWNER01"),
            ],
            people_header=[*PEOPLE_HEADER, "delegate"],
            people=[
                [*person(), "U0GHOST01"],
                [*person("U0OWNER01", "Twin", "twin@council.example"), ""],
                [*person("U0OTHER01", "Case", "OLU.OWNER@council.example"), ""],
                [*person("U0CHIEF01", "Chief", "chief@council.example", "boss"), ""],
            ],
            meetings=[["2019-Q5", "2020-02-07", ""], ["2019-20-Q4", "31/13/2019", ""]],
        )
    )

    errors = problems(path)

    assert located(errors) == [
        ("actions", 2, "action"),
        ("actions", 3, "ref"),
        ("people", 3, "slack_id"),
        ("people", 4, "email"),
        ("people", 5, "role"),
        ("people", 2, "delegate"),
        ("meetings", 2, "period"),
        ("meetings", 3, "meeting_date"),
    ]
    assert "owner, director, admin" in errors[4].message
    assert "31/13/2019" in errors[7].message


def test_malformed_period_columns_are_refused(make_plan: MakePlan) -> None:
    header = [*ACTIONS_HEADER, "2019-Q5", "Q3 note", "2019-20-Q4 note", "note"]
    path = make_plan(
        plan_sheets(
            actions_header=header,
            actions=[action("ACT-1", "Thing", "U0OWNER01", "2020-03-31", "", "", "", "")],
        )
    )

    errors = problems(path)

    assert located(errors) == [
        ("actions", 1, "2019-Q5"),
        ("actions", 1, "Q3 note"),
        ("actions", 1, "note"),
        ("actions", 1, "2019-20-Q4 note"),
    ]
    assert "not a period" in errors[1].message
    assert "without a status column '2019-20-Q4'" in errors[3].message


def test_note_without_status_is_refused(make_plan: MakePlan) -> None:
    header = [*ACTIONS_HEADER, "2019-20-Q1", "2019-20-Q1 note"]
    path = make_plan(
        plan_sheets(
            actions_header=header,
            actions=[action("ACT-1", "Thing", "U0OWNER01", "2020-03-31", "", "Said something")],
        )
    )

    assert located(problems(path)) == [("actions", 2, "2019-20-Q1 note")]


def test_owners_and_delegates_given_by_email_resolve_to_slack_ids(make_plan: MakePlan) -> None:
    path = make_plan(
        plan_sheets(
            actions=[action("ACT-1", "By e-mail", "Olu.Owner@Council.example")],
            people_header=[*PEOPLE_HEADER, "delegate", "away_from", "away_to", "active"],
            people=[
                [*person(), "DEE@council.example", "01/08/2019", "2019-08-31", "yes"],
                [*person("U0DIR0001", "Dee", "dee@council.example", "director"), "", "", "", ""],
            ],
        )
    )

    plan = read_plan(path)

    assert plan.actions[0].owner == "U0OWNER01"
    olu = plan.people[0]
    assert olu.delegate == "U0DIR0001"
    assert (olu.away_from, olu.away_to) == (dt.date(2019, 8, 1), dt.date(2019, 8, 31))


def test_uk_dates_and_excel_date_cells_are_read(tmp_path: Path) -> None:
    sheets = plan_sheets(
        actions_header=[*ACTIONS_HEADER, "revised_target_date", "closed"],
        actions=[
            [*action("ACT-1", "UK date", "U0OWNER01", "31/07/2019"), "30/09/2019", "Yes"],
            # Excel's date cells hold naive datetimes.
            [*action("ACT-2", "Date cell", "U0OWNER01", dt.datetime(2019, 7, 31)), None, False],  # noqa: DTZ001
            [*action("ACT-3", "Date value", "U0OWNER01", dt.date(2020, 3, 31)), "", "no"],
        ],
        meetings=[["2019-20-Q3", dt.datetime(2020, 2, 7), "Joint Committee"]],  # noqa: DTZ001
    )

    plan = read_plan(write_workbook(tmp_path / "dates.xlsx", sheets))

    assert [a.target_date for a in plan.actions] == [
        dt.date(2019, 7, 31),
        dt.date(2019, 7, 31),
        dt.date(2020, 3, 31),
    ]
    assert plan.actions[0].revised_target_date == dt.date(2019, 9, 30)
    assert [a.closed for a in plan.actions] == [True, False, False]
    assert plan.meetings[0].meeting_date == dt.date(2020, 2, 7)


def test_sheet_names_and_headers_in_capitals_and_refs_normalised(tmp_path: Path) -> None:
    sheets = plan_sheets(
        actions_header=[" REF ", "Action", "THEME", "Directorate", "Owner ", "Target_Date"],
        actions=[action("act12", "  Trimmed title  "), [None] * 6, action(7, "Number ref")],
    )
    workbook = write_workbook(
        tmp_path / "Council Plan.xlsx", {name.upper(): rows for name, rows in sheets.items()}
    )

    plan = read_plan(workbook, key="osip")

    assert (plan.key, plan.name) == ("osip", "Council Plan")
    assert [(a.ref, a.title) for a in plan.actions] == [
        ("ACT-12", "Trimmed title"),
        ("ACT-7", "Number ref"),
    ]
    assert read_plan(workbook).key == "council-plan"


def test_workbook_formula_without_saved_value_is_refused(tmp_path: Path) -> None:
    sheets = plan_sheets(actions=[action("ACT-1", '=CONCAT("a","b")')])
    errors = problems(write_workbook(tmp_path / "formula.xlsx", sheets))

    assert located(errors) == [("actions", 2, "action")]
    assert "formula" in errors[0].message


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("plan.xlsx", b"\x00\x01garbage, not a zip\xff" * 20, "Excel workbook"),
        ("plan.xlsx", b"", "Excel workbook"),
        ("plan.txt", b"hello", "not a plan file"),
        ("plan.xls", b"\xd0\xcf\x11\xe0", ".xls"),
    ],
)
def test_a_file_that_is_not_a_plan_gives_one_clear_error(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    errors = problems(path)

    assert len(errors) == 1
    assert errors[0].sheet == name
    assert expected in errors[0].message


def test_a_missing_path_and_a_non_utf8_csv_give_clear_errors(tmp_path: Path) -> None:
    assert "no file or folder" in problems(tmp_path / "nowhere")[0].message

    folder = write_csv_folder(tmp_path / "plan", plan_sheets())
    (folder / "people.csv").write_bytes("slack_id,name\nU1,Zoë\n".encode("cp1252"))
    errors = problems(folder)
    assert located(errors) == [("people", None, None)]
    assert "UTF-8" in errors[0].message


def test_excel_bom_is_accepted(tmp_path: Path) -> None:
    folder = write_csv_folder(tmp_path / "plan", plan_sheets())
    for path in folder.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())

    assert read_plan(folder).actions[0].ref == "ACT-1"


# -- hostile and special text ----------------------------------------------------------------

FORMULA_LIKE = ["=SUM(A1)", "+44 20 7946 0000", "-5%", "@mention", "'=already", "\tindented"]
SPECIAL = [
    "Fish & chips <b>bold</b> > less",
    "£0.4m saving, costs 'quoted' and \"double quoted\"",
    "Café, naïve façade — Zoë's plan",
    "line one\nline two\r\nline three",
    "'leading apostrophe and it's fine",
]


def plan_with_text(texts: list[str]) -> PlanFile:
    base = read_plan(SAMPLE)
    actions = [
        dataclasses.replace(a, title=texts[i % len(texts)]) for i, a in enumerate(base.actions)
    ]
    history = [
        dataclasses.replace(h, note=texts[(i + 1) % len(texts)]) for i, h in enumerate(base.history)
    ]
    return dataclasses.replace(base, actions=actions, history=history)


@pytest.mark.parametrize("target", ["plan", "plan.xlsx"])
@pytest.mark.parametrize("texts", [FORMULA_LIKE, SPECIAL], ids=["formula-like", "special"])
def test_titles_and_notes_round_trip_verbatim(
    tmp_path: Path, target: str, texts: list[str]
) -> None:
    plan = plan_with_text(texts)

    write_plan(plan, tmp_path / target)
    again = read_plan(tmp_path / target)

    assert again.actions == plan.actions
    assert again.history == plan.history


def test_formula_like_text_is_neutralised_in_csv(tmp_path: Path) -> None:
    write_plan(plan_with_text(FORMULA_LIKE), tmp_path / "plan")

    with (tmp_path / "plan" / "actions.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    titles = [row[1] for row in rows[1:7]]
    assert titles == [
        "'=SUM(A1)",
        "'+44 20 7946 0000",
        "'-5%",
        "'@mention",
        "''=already",
        "'\tindented",
    ]
    for row in rows:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row)


def test_formula_like_text_is_neutralised_in_xlsx(tmp_path: Path) -> None:
    write_plan(plan_with_text(FORMULA_LIKE), tmp_path / "plan.xlsx")

    workbook = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert workbook["actions"]["B2"].value == "'=SUM(A1)"
    assert workbook["actions"]["B6"].value == "''=already"


def test_apostrophe_typed_in_a_spreadsheet_guards_a_formula(make_plan: MakePlan) -> None:
    path = make_plan(plan_sheets(actions=[action("ACT-1", "'=SUM(A1)"), action("ACT-2", "'ok")]))

    assert [a.title for a in read_plan(path).actions] == ["=SUM(A1)", "'ok"]


@given(st.one_of(st.text(), st.text(alphabet="'=+-@\t\r x", max_size=6)))
def test_neutralise_round_trips_and_never_starts_with_a_trigger(value: str) -> None:
    stored = neutralise(value)

    assert unneutralise(stored) == value
    assert stored[:1] not in ("=", "+", "-", "@", "\t", "\r")


# Leading characters to try: ASCII (but NUL, which a CSV file cannot hold), the full-width
# forms of the formula characters, a minus sign and other apostrophes.
LEADING_CHARACTERS = [chr(code) for code in range(1, 128)] + list("＝＋－＠−‘’＇")
REPORTED_AT = dt.datetime(2020, 1, 30, 16, 0, tzinfo=dt.UTC)


def test_the_report_and_the_plan_export_treat_the_same_leading_characters_as_formulas(
    tmp_path: Path, sqlite_url: str
) -> None:
    base = read_plan(SAMPLE)
    leading = {f"ACT-{n}": c for n, c in enumerate(LEADING_CHARACTERS, start=1)}
    title = {ref: f"{c}1 and the rest" for ref, c in leading.items()}
    plan = dataclasses.replace(
        base,
        actions=[dataclasses.replace(base.actions[0], ref=r, title=t) for r, t in title.items()],
        history=[],
    )
    write_plan(plan, tmp_path / "plan")
    write_plan(plan, tmp_path / "plan.xlsx")
    with (tmp_path / "plan" / "actions.csv").open(encoding="utf-8", newline="") as handle:
        csv_rows = list(csv.reader(handle))[1:]
    workbook_rows = openpyxl.load_workbook(tmp_path / "plan.xlsx")["actions"].iter_rows(
        min_row=2, values_only=True
    )
    guarded_in_csv = {leading[ref] for ref, text, *_ in csv_rows if text == "'" + title[ref]}
    guarded_in_workbook = {
        leading[str(ref)] for ref, text, *_ in workbook_rows if text == "'" + title[str(ref)]
    }

    db = Database(sqlite_url)
    db.create_all()
    load_plan(db=db, plan_file=dataclasses.replace(plan, actions=plan.actions[:1]), now=REPORTED_AT)
    digest = compile_digest(ctx(db, REPORTED_AT), period=Period.from_key("2019-20-Q2"), scope="all")
    db.dispose()
    line = digest.actions[0]
    report = dataclasses.replace(
        digest,
        actions=tuple(dataclasses.replace(line, ref=r, title=t) for r, t in title.items()),
    )
    actions_sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(report)))["Actions"]
    quote_prefixed = {
        leading[str(row[0].value)]
        for row in actions_sheet.iter_rows(min_row=2)
        if row[1].value == title[str(row[0].value)] and row[1].quotePrefix
    }

    assert guarded_in_csv == guarded_in_workbook == quote_prefixed == set(FORMULA_TRIGGERS)


def test_write_plan_refuses_history_for_an_unknown_action(tmp_path: Path) -> None:
    plan = read_plan(SAMPLE)
    broken = dataclasses.replace(
        plan, history=[*plan.history, HistoryRow("ACT-99", "2019-20-Q1", "green")]
    )

    with pytest.raises(ValueError, match="ACT-99"):
        write_plan(broken, tmp_path / "plan")
