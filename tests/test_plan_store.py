"""Loading a plan into the database, exporting it, and the CLI commands that do so."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from support.planfiles import count, export_import_export, read_rows, write_rows

from bot.planio import SAMPLE_PLAN, read_plan
from bot.services.plans import export_plan, load_plan
from storage import models as m
from storage.db import Database

NOW = dt.datetime(2019, 12, 2, 9, 0, tzinfo=dt.UTC)


def run_cli(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
        timeout=120,
        check=False,
    )


def test_sample_plan_loads_with_its_history(sample_db: Database) -> None:
    assert count(sample_db, m.Action) == 20
    assert count(sample_db, m.Person) == 13
    assert count(sample_db, m.Theme) == 5
    with sample_db.session() as session:
        meetings = dict(session.execute(select(m.Period.key, m.Period.meeting_date)).tuples().all())
        act14 = session.scalar(select(m.Action).where(m.Action.ref == "ACT-14"))
        assert act14 is not None
        statuses = session.scalars(
            select(m.Update.status).where(m.Update.action_id == act14.id).order_by(m.Update.id)
        ).all()
    assert meetings["2019-20-Q3"] == dt.date(2020, 2, 7)
    assert list(statuses) == ["amber", "red"]


def test_importing_the_same_plan_again_adds_no_updates(sample_db: Database) -> None:
    before = count(sample_db, m.Update)
    summary = load_plan(db=sample_db, plan_file=read_plan(SAMPLE_PLAN), now=NOW)

    assert not summary.created
    assert summary.updates_added == 0
    assert summary.updates_unchanged == before
    assert count(sample_db, m.Update) == before
    assert count(sample_db, m.Action) == 20


def test_dry_run_writes_nothing(db: Database) -> None:
    summary = load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=NOW, dry_run=True)

    assert summary.dry_run and summary.actions == 20
    assert count(db, m.Plan) == 0
    assert count(db, m.Update) == 0


@pytest.mark.parametrize("target", ["csv", "plan.xlsx"])
def test_export_import_export_round_trips_exactly(
    sample_db: Database, db_url: str, tmp_path: Path, target: str
) -> None:
    first, second = export_import_export(sample_db, tmp_path, target, now=NOW)

    if target == "csv":
        for name in ("actions.csv", "people.csv", "meetings.csv"):
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
        with (first / "actions.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 20
        assert rows[12]["2019-20-Q2 note"].startswith("Forecast shortfall of £0.4m")
    else:
        assert first.read_bytes() == second.read_bytes()


def test_several_plans_in_one_database_are_told_apart(sample_db: Database, tmp_path: Path) -> None:
    strategy = tmp_path / "strategy"
    shutil.copytree(SAMPLE_PLAN, strategy)
    load_plan(db=sample_db, plan_file=read_plan(strategy), now=NOW)

    assert count(sample_db, m.Plan) == 2
    assert count(sample_db, m.Action) == 40
    with pytest.raises(Exception, match="several plans"):
        export_plan(db=sample_db, plan_key=None)
    assert len(export_plan(db=sample_db, plan_key="strategy").actions) == 20


def test_migrations_build_the_schema_of_the_models(db_url: str) -> None:
    database = Database(db_url)
    database.upgrade()
    database.upgrade()  # a second run is a no-op
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), m.Base.metadata)
    database.dispose()
    assert differences == []


def bad_plan(folder: Path) -> Path:
    """The sample plan with a duplicate ref, an unknown owner, an impossible date, a bad status."""
    shutil.copytree(SAMPLE_PLAN, folder)
    actions = folder / "actions.csv"
    rows = read_rows(actions)
    rows[3][0] = "ACT-2"  # row 4: duplicate of row 3
    rows[5][4] = "U0NOBODY1"  # row 6: owner not in people
    rows[7][5] = "2020-02-30"  # row 8: no such date
    rows[9][8] = "purple"  # row 10: not a status
    write_rows(actions, rows)
    return folder


def test_cli_refuses_a_bad_plan_naming_every_error_and_changes_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first = run_cli("import", str(SAMPLE_PLAN), database_url=url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    database = Database(url)
    updates_before = count(database, m.Update)

    result = run_cli(
        "import", str(bad_plan(tmp_path / "sample-plan")), database_url=url, cwd=tmp_path
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    for expected in (
        "row 4, column 'ref'",
        "row 6, column 'owner'",
        "row 8, column 'target_date'",
        "row 10, column '2019-20-Q2'",
    ):
        assert expected in result.stderr, (expected, result.stderr)
    assert count(database, m.Update) == updates_before


def test_cli_import_export_and_summary(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"

    upgraded = run_cli("db", "upgrade", database_url=url, cwd=tmp_path)
    imported = run_cli("import", str(SAMPLE_PLAN), database_url=url, cwd=tmp_path)
    again = run_cli("import", str(SAMPLE_PLAN), database_url=url, cwd=tmp_path)
    exported = run_cli("export", str(tmp_path / "out.xlsx"), database_url=url, cwd=tmp_path)

    assert upgraded.returncode == 0, upgraded.stderr
    assert "Created plan 'sample-plan': 20 actions, 13 people, 4 meetings" in imported.stdout
    assert "0 updates added" in again.stdout
    assert exported.returncode == 0, exported.stderr
    assert len(read_plan(tmp_path / "out.xlsx").actions) == 20


def test_cli_reports_a_bad_setting_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(SAMPLE_PLAN)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PLANBOT_TIMEZONE": "Mars/Olympus", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "PLANBOT_TIMEZONE" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
