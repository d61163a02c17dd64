"""A plan's own `settings` and `statuses` sheets: written back by `planbot export` exactly as
they were imported (CSV folder and workbook), and a bad sheet refused by `planbot import` with
every problem named by sheet, row and column in one run, the database untouched."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from support.planfiles import read_rows
from support.three_plans import LOADED_AT, STRATEGY_STATUSES, load_three_plans, write_plan_folder
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.planio import read_plan, write_plan
from bot.services.plans import export_plan, load_plan
from bot.settings import get_settings
from storage import models as m
from storage.db import Database

STATUS_HEADER = ["status", "label", "colour", "rank", "synonyms", "needs_note", "completes"]


@pytest.fixture
def planbot(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Database]:
    """`db` (SQLite or PostgreSQL) as the database of `planbot` commands run in process, from
    an empty folder (no stray .env), PLANBOT_PLAN unset."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.delenv("PLANBOT_PLAN", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def planbot_run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def files_of(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {file.name: file.read_bytes() for file in sorted(path.iterdir())}
    return {path.name: path.read_bytes()}


# -- export → import → export --------------------------------------------------------------------


@pytest.mark.parametrize("target", ["strategy", "strategy.xlsx"])
def test_strategy_export_import_export_is_byte_identical(
    db: Database, tmp_path: Path, target: str
) -> None:
    load_three_plans(db, tmp_path / "plans")
    first, second = tmp_path / "first" / target, tmp_path / "second" / target

    write_plan(export_plan(db=db, plan_key="strategy"), first)
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    other.create_all()
    try:
        load_plan(db=other, plan_file=read_plan(first), now=LOADED_AT)
        write_plan(export_plan(db=other, plan_key="strategy"), second)
    finally:
        other.dispose()

    assert files_of(first) == files_of(second)
    if target == "strategy":
        assert set(files_of(first)) == {
            "actions.csv",
            "people.csv",
            "meetings.csv",
            "settings.csv",
            "statuses.csv",
        }
        settings = read_rows(first / "settings.csv")
        statuses = read_rows(first / "statuses.csv")
    else:
        workbook = openpyxl.load_workbook(first)
        assert workbook.sheetnames == ["actions", "people", "meetings", "settings", "statuses"]
        settings, statuses = (
            [["" if v is None else str(v) for v in row] for row in workbook[name].values]
            for name in ("settings", "statuses")
        )
    assert settings == [
        ["key", "value"],
        ["name", "Strategy 2020-23"],
        ["committee", "Joint Committee"],
    ]
    assert statuses == [STATUS_HEADER, *map(list, STRATEGY_STATUSES)]


def test_a_plan_without_its_own_rules_exports_no_settings_or_statuses(
    db: Database, tmp_path: Path
) -> None:
    load_three_plans(db, tmp_path / "plans")

    write_plan(export_plan(db=db, plan_key="improvement"), tmp_path / "out")

    assert set(files_of(tmp_path / "out")) == {"actions.csv", "people.csv", "meetings.csv"}


# -- a bad settings or statuses sheet --------------------------------------------------------------

BAD_SETTINGS = [
    ["key", "value"],
    ["name", "Strategy 2020-23"],
    ["colour_scheme", "bright"],  # row 3: no such setting
    ["timezone", "Mars/Olympus"],  # row 4
    ["holidays_subdiv", "XYZ"],  # row 5
]
BAD_STATUSES = [
    STATUS_HEADER,
    ["not_started", "Not started", "#BFBFBF", "0", "ns", "no", "no"],
    ["on_track", "On track", "blue", "3", "green;g", "no", "no"],  # row 3: a colour by name
    ["minor_delay", "Minor delay", "#F9A825", "2", "amber;a", "no", "no"],
    ["major_delay", "Major delay", "#C62828", "1", "red;amber", "yes", "no"],  # row 5: amber
    ["minor_delay", "Slight delay", "#F9A825", "2", "", "no", "no"],  # row 6: again; none completes
]
EXPECTED = [
    ("settings", 3, "key", "'colour_scheme' is not a setting"),
    ("settings", 4, "value", "'Mars/Olympus' is not a time zone"),
    ("settings", 5, "value", "'XYZ' is not one of ENG, WLS, SCT, NIR"),
    ("statuses", 3, "colour", "'blue' is not a colour like #2E7D32"),
    ("statuses", 5, "synonyms", "'amber' already means minor_delay"),
    ("statuses", 6, "status", "status minor_delay appears twice"),
    ("statuses", 6, "completes", "no status completes an action"),
]


def bad_strategy(tmp_path: Path, form: str) -> Path:
    """The strategy plan with the bad settings and statuses sheets, as CSVs or a workbook."""
    folder = write_plan_folder(tmp_path / "bad", "strategy")
    for name, rows in (("settings", BAD_SETTINGS), ("statuses", BAD_STATUSES)):
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    if form == "csv":
        return folder
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name in ("actions", "people", "meetings", "settings", "statuses"):
        sheet = workbook.create_sheet(name)
        for row in read_rows(folder / f"{name}.csv"):
            sheet.append(row)
    path = tmp_path / "bad" / "strategy.xlsx"
    workbook.save(path)
    shutil.rmtree(folder)
    return path


def stored_rules(db: Database) -> list[tuple[str, str, str, str]]:
    with db.session() as session:
        rows = session.execute(
            select(m.Plan.key, m.Plan.name, m.Plan.settings_json, m.Plan.statuses_json).order_by(
                m.Plan.key
            )
        ).tuples()
        return list(rows.all())


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_bad_settings_or_statuses_sheet_is_refused_naming_every_problem(
    planbot: Database, tmp_path: Path, form: str
) -> None:
    load_three_plans(planbot, tmp_path / "plans")
    before = stored_rules(planbot)

    result = planbot_run("import", str(bad_strategy(tmp_path, form)))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert lines[0] == "planbot: the plan file has 7 problems; nothing was imported."
    for (sheet, row, column, message), line in zip(EXPECTED, lines[1:], strict=True):
        assert line.startswith(f"{sheet}, row {row}, column '{column}': {message}"), line
    assert stored_rules(planbot) == before


def test_planbot_plans_lists_the_three_plans_with_their_calendars_and_schemes(
    planbot: Database, tmp_path: Path
) -> None:
    load_three_plans(planbot, tmp_path / "plans")

    result = planbot_run("plans")

    assert result.exit_code == 0, result.output
    plans = {part.splitlines()[0]: part for part in result.stdout.strip().split("\n\n")}
    assert list(plans) == [
        "improvement: Improvement",
        "scottish: Scottish Improvement Plan",
        "strategy: Strategy 2020-23",
    ]
    improvement, scottish, strategy = plans.values()
    for part in plans.values():
        assert "  2 actions, 0 indicators, " in part
        assert "time zone Europe/London; " in part and "reminders at 09:30" in part
        assert (
            "ladder: publication 5 clear working days before the meeting; updates due 5 working "
            "days before publication; window opens 10 working days before that"
        ) in part
        assert "sign-off off; indicator tolerance 10%" in part
    assert "bank holidays GB-ENG" in improvement and "bank holidays GB-SCT" in scottish
    assert "statuses (default): not_started (Not started), green (On track), amber" in improvement
    assert "statuses (default): " in scottish
    assert (
        "statuses (own): not_started (Not started), on_track (On track), minor_delay (Minor "
        "delay), major_delay (Major delay), complete (Complete)"
    ) in strategy
    assert "set by the plan's settings sheet: holidays_subdiv, name" in scottish
    assert "set by the plan's settings sheet: none" in improvement


def test_planbot_plans_says_when_there_are_none(planbot: Database) -> None:
    result = planbot_run("plans")

    assert result.exit_code == 0
    assert result.stdout.strip() == "No plans yet: load one with `planbot import PATH`."


def test_the_import_summary_names_the_plans_own_statuses_and_settings(
    planbot: Database, tmp_path: Path
) -> None:
    strategy = planbot_run("import", str(write_plan_folder(tmp_path, "strategy")))
    improvement = planbot_run("import", str(write_plan_folder(tmp_path, "improvement")))

    assert strategy.exit_code == improvement.exit_code == 0
    assert (
        "Statuses: the plan's own, not_started (Not started), on_track (On track), minor_delay "
        "(Minor delay), major_delay (Major delay), complete (Complete)."
    ) in strategy.stdout
    assert (
        "Settings: the plan's own, committee = Joint Committee, name = Strategy 2020-23; the "
        "environment's for the rest."
    ) in strategy.stdout
    assert "Statuses: the default scheme (there is no statuses sheet)." in improvement.stdout
    assert "Settings: the environment's (there is no settings sheet)." in improvement.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("export", "out.xlsx"),
        ("digest", "--format", "json"),
        ("reminders", "preview"),
    ],
)
def test_with_several_plans_a_command_needs_one_named(
    planbot: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    load_three_plans(planbot, tmp_path / "plans")

    refused = planbot_run(*command)

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "planbot: There are several plans here; say which one. Use --plan with one of: "
        "improvement, scottish, strategy."
    ]
    assert planbot_run(*command, "--plan", "strategy").exit_code == 0
    monkeypatch.setenv("PLANBOT_PLAN", "scottish")  # the command line's default plan
    get_settings.cache_clear()
    assert planbot_run(*command).exit_code == 0


def test_export_writes_the_named_plan(planbot: Database, tmp_path: Path) -> None:
    load_three_plans(planbot, tmp_path / "plans")

    result = planbot_run("export", str(tmp_path / "out"), "--plan", "scottish")

    assert result.exit_code == 0, result.output
    assert "Wrote plan 'scottish' (2 actions)" in result.stdout
    assert read_rows(tmp_path / "out" / "settings.csv")[1:] == [
        ["name", "Scottish Improvement Plan"],
        ["holidays_subdiv", "SCT"],
    ]
    assert dt.date(2026, 12, 10) in {m.meeting_date for m in read_plan(tmp_path / "out").meetings}
