"""Plan files in tests: their CSV rows read and written, errors located, rows counted, and a
plan sent out and back in."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from bot.domain.planfile import CellError
from bot.planio import read_plan, write_plan
from bot.services.plans import export_plan, load_plan
from storage import models as m
from storage.db import Database


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def count(db: Database, model: type[m.Base]) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def located(errors: list[CellError]) -> list[tuple[str, int | None, str | None]]:
    return [(error.sheet, error.row, error.column) for error in errors]


def export_import_export(
    db: Database, tmp_path: Path, target: str, *, now: dt.datetime
) -> tuple[Path, Path]:
    """`db`'s plan written to first/`target`, loaded from there into a fresh database and
    written from that to second/`target` (both under `tmp_path`); the two paths."""
    first, second = tmp_path / "first" / target, tmp_path / "second" / target
    first.parent.mkdir()
    second.parent.mkdir()
    write_plan(export_plan(db=db, plan_key=None), first)
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    other.create_all()
    try:
        load_plan(db=other, plan_file=read_plan(first, key="sample-plan"), now=now)
        write_plan(export_plan(db=other, plan_key=None), second)
    finally:
        other.dispose()
    return first, second
