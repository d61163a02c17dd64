"""The indicators sheet: read, validated with every error at once, loaded, and written back."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from support.planfiles import count, export_import_export, located, read_rows, write_rows

from bot.domain.planfile import IndicatorRow, IndicatorValueRow
from bot.errors import InvalidInput
from bot.planio import SAMPLE_PLAN, PlanFileError, read_plan, write_plan
from bot.services.plans import export_plan, load_plan
from storage import models as m
from storage.db import Database

NOW = dt.datetime(2019, 12, 2, 9, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2019, 12, 9, 9, 0, tzinfo=dt.UTC)


def test_the_sample_plan_has_eight_indicators_with_six_quarters_of_history() -> None:
    plan = read_plan(SAMPLE_PLAN)

    assert [i.ref for i in plan.indicators] == [f"PI-{n}" for n in range(1, 9)]
    assert plan.indicators[6] == IndicatorRow(
        "PI-7",
        "Council tax collected in year",
        "Finance & savings",
        "Finance",
        "U0FN00002",
        "%",
        "higher",
        Decimal(2),
        decimals=1,
    )
    actuals = {(v.ref, v.period) for v in plan.indicator_values if v.actual or v.not_available}
    quarters = ["2018-19-Q1", "2018-19-Q2", "2018-19-Q3", "2018-19-Q4", "2019-20-Q1", "2019-20-Q2"]
    assert actuals == {(f"PI-{n}", q) for n in range(1, 9) for q in quarters}
    values = {(v.ref, v.period): v for v in plan.indicator_values}
    assert values["PI-5", "2018-19-Q1"].not_available
    assert values["PI-5", "2018-19-Q1"].note.startswith("The new case system went live")
    assert values["PI-6", "2019-20-Q2"] == IndicatorValueRow(
        "PI-6",
        "2019-20-Q2",
        Decimal(1200),
        Decimal(1310),
        note="Eleven interim managers replaced by permanent appointments since April.",
    )
    # The quarter being collected has targets and no actuals yet.
    q3 = [v for v in plan.indicator_values if v.period == "2019-20-Q3"]
    assert len(q3) == 8 and all(v.target is not None and v.actual is None for v in q3)
    # Action counts are what they were: indicators are not actions.
    assert len(plan.actions) == 20 and len(plan.history) == 40


def test_a_plan_without_an_indicators_sheet_still_reads(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(SAMPLE_PLAN, folder)
    (folder / "indicators.csv").unlink()

    plan = read_plan(folder)

    assert plan.indicators == [] and plan.indicator_values == []
    write_plan(plan, tmp_path / "out")
    assert not (tmp_path / "out" / "indicators.csv").exists()


def bad_indicators(folder: Path) -> Path:
    """The sample plan with one problem of each kind in its indicators sheet."""
    shutil.copytree(SAMPLE_PLAN, folder)
    path = folder / "indicators.csv"
    rows = read_rows(path)
    header = rows[0]
    column = {name: index for index, name in enumerate(header)}
    rows[1][column["2019-20-Q1 actual"]] = "ninety-five"  # row 2: not a number
    rows[2][column["unit"]] = "furlongs"  # row 3: unknown unit
    rows[3][column["polarity"]] = "up"  # row 4: unknown polarity
    rows[4][column["owner"]] = "U0NOBODY1"  # row 5: no such person
    rows[5][0] = "PI-1"  # row 6: duplicate of row 2
    rows[6][0] = "ACT-12"  # row 7: the ref of an action
    rows[7][column["2019-20-Q2 target"]] = "12.5 days"  # row 8: a % indicator, in days
    rows[8][column["tolerance"]] = "lots"  # row 9: not a number
    header.append("2019-20-Q5 target")  # not a period
    for row in rows[1:]:
        row.append("")
    write_rows(path, rows)
    return folder


def test_every_indicator_problem_is_named_with_sheet_row_and_column(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError) as refused:
        read_plan(bad_indicators(tmp_path / "plan"))

    errors = refused.value.errors
    assert located(errors) == [
        ("indicators", 1, "2019-20-Q5 target"),
        ("indicators", 2, "2019-20-Q1 actual"),
        ("indicators", 3, "unit"),
        ("indicators", 4, "polarity"),
        ("indicators", 5, "owner"),
        ("indicators", 6, "ref"),
        ("indicators", 7, "ref"),
        ("indicators", 8, "2019-20-Q2 target"),
        ("indicators", 9, "tolerance"),
    ]
    text = [e.message for e in errors]
    assert "per period, a target, an actual and a note column" in text[0]
    assert "'ninety-five' is not a number" in text[1]
    assert "unknown unit 'furlongs'" in text[2] and "£k" in text[2]
    assert "unknown polarity 'up'" in text[3]
    assert "unknown owner 'U0NOBODY1'" in text[4]
    assert "duplicate ref PI-1 (also row 2)" in text[5]
    assert "ACT-12 is also an action (actions, row 13)" in text[6]
    assert "'12.5 days' does not fit" in text[7] and "per cent" in text[7]
    assert "'lots' is not a number" in text[8]


def test_indicator_problems_in_a_workbook_are_located_the_same_way(tmp_path: Path) -> None:
    bad = bad_indicators(tmp_path / "plan")
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet in ("actions", "people", "meetings", "indicators"):
        worksheet = workbook.create_sheet(sheet.capitalize())
        for row in read_rows(bad / f"{sheet}.csv"):
            worksheet.append(row)
    workbook.save(tmp_path / "plan.xlsx")

    with pytest.raises(PlanFileError) as refused:
        read_plan(tmp_path / "plan.xlsx")

    assert [row for sheet, row, _ in located(refused.value.errors)] == [1, 2, 3, 4, 5, 6, 7, 8, 9]


def test_a_note_without_an_actual_and_a_second_column_for_a_period_are_refused(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(SAMPLE_PLAN, folder)
    rows = read_rows(folder / "indicators.csv")
    column = {name: index for index, name in enumerate(rows[0])}
    rows[1][column["2019-20-Q3 note"]] = "Figures late this quarter"
    rows[0][column["2018-19-Q2 actual"]] = "Q1 2018/19 actual"  # a second Q1 actual column
    write_rows(folder / "indicators.csv", rows)

    with pytest.raises(PlanFileError) as refused:
        read_plan(folder)

    assert located(refused.value.errors) == [
        ("indicators", 1, "Q1 2018/19 actual"),
        ("indicators", 2, "2019-20-Q3 note"),
    ]
    assert "a second actual column for 2018-19-Q1" in refused.value.errors[0].message
    assert "a note with no actual for 2019-20-Q3" in refused.value.errors[1].message


def test_a_bad_indicators_sheet_leaves_the_database_untouched(
    sample_db: Database, tmp_path: Path
) -> None:
    before = (count(sample_db, m.Indicator), count(sample_db, m.Measure))
    with pytest.raises(PlanFileError):
        load_plan(
            db=sample_db,
            plan_file=read_plan(bad_indicators(tmp_path / "p"), key="sample-plan"),
            now=LATER,
        )

    # A file that is valid on its own but gives an indicator the ref of an action already
    # in the database: refused as a whole.
    folder = tmp_path / "clash"
    shutil.copytree(SAMPLE_PLAN, folder)
    actions = read_rows(folder / "actions.csv")
    write_rows(folder / "actions.csv", [row for row in actions if row[0] != "ACT-20"])
    indicators = read_rows(folder / "indicators.csv")
    indicators[8][0] = "ACT-20"
    indicators[8][indicators[0].index("2019-20-Q2 actual")] = "99"
    write_rows(folder / "indicators.csv", indicators)
    with pytest.raises(InvalidInput, match="ACT-20 would name both an action and an indicator"):
        load_plan(db=sample_db, plan_file=read_plan(folder, key="sample-plan"), now=LATER)

    assert (count(sample_db, m.Indicator), count(sample_db, m.Measure)) == before


def test_the_sample_loads_its_indicators_targets_and_measures(sample_db: Database) -> None:
    assert count(sample_db, m.Indicator) == 8
    assert count(sample_db, m.IndicatorTarget) == 56  # seven quarters of targets
    assert count(sample_db, m.Measure) == 48  # six quarters of actuals (one n/a)
    with sample_db.session() as session:
        pi5 = session.scalars(
            select(m.Measure)
            .join(m.Indicator)
            .where(m.Indicator.ref == "PI-5")
            .order_by(m.Measure.id)
        ).all()
        pi7 = session.scalar(select(m.Indicator).where(m.Indicator.ref == "PI-7"))
        assert pi7 is not None
        assert (pi7.unit, pi7.polarity, pi7.tolerance, pi7.owner.slack_id) == (
            "%",
            "higher",
            Decimal(2),
            "U0FN00002",
        )
    assert [measure.value for measure in pi5][:2] == [None, Decimal("86.5")]
    assert {measure.source for measure in pi5} == {"import"}


def test_importing_again_adds_no_measures_and_a_changed_actual_is_appended(
    sample_db: Database, tmp_path: Path
) -> None:
    again = load_plan(db=sample_db, plan_file=read_plan(SAMPLE_PLAN), now=LATER)
    assert (again.indicators, again.measures_added, again.measures_unchanged) == (8, 0, 48)

    folder = tmp_path / "plan"
    shutil.copytree(SAMPLE_PLAN, folder)
    rows = read_rows(folder / "indicators.csv")
    rows[1][rows[0].index("2019-20-Q2 actual")] = "94.9"  # PI-1, corrected
    write_rows(folder / "indicators.csv", rows)
    corrected = load_plan(db=sample_db, plan_file=read_plan(folder, key="sample-plan"), now=LATER)

    assert (corrected.measures_added, corrected.measures_unchanged) == (1, 47)
    assert count(sample_db, m.Measure) == 49  # the first figure is kept, superseded
    values = {
        (v.ref, v.period): v for v in export_plan(db=sample_db, plan_key=None).indicator_values
    }
    assert values["PI-1", "2019-20-Q2"].actual == Decimal("94.9")


@pytest.mark.parametrize("target", ["csv", "plan.xlsx"])
def test_indicators_export_import_export_round_trips_exactly(
    sample_db: Database, tmp_path: Path, target: str
) -> None:
    first, second = export_import_export(sample_db, tmp_path, target, now=NOW)

    if target == "csv":
        # Exactly the sample's file: every target, actual, n/a and note as it was written.
        sample = (SAMPLE_PLAN / "indicators.csv").read_bytes()
        assert (first / "indicators.csv").read_bytes() == sample
        assert (second / "indicators.csv").read_bytes() == sample
    else:
        assert first.read_bytes() == second.read_bytes()
        assert read_plan(first).indicator_values == read_plan(SAMPLE_PLAN).indicator_values
