"""`planbot db upgrade`, `planbot import` and `planbot export`: the database and the plan file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import PlanOption, database, fail, now, safe_url, settings, user_errors
from storage.db import Database


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="The database.", no_args_is_help=True)
    app.add_typer(db_app, name="db")
    db_app.command("upgrade")(db_upgrade)
    app.command("import")(import_plan)
    app.command("export")(export_plan)


def db_upgrade() -> None:
    """Create the database, or migrate it to the latest schema."""
    current = settings()
    db = Database(current.database_url)
    if not db.ping():
        raise fail(f"cannot reach the database at DATABASE_URL ({safe_url(current.database_url)}).")
    db.upgrade()
    typer.echo(f"Database at {safe_url(current.database_url)} is up to date.")


def import_plan(
    path: Annotated[Path, typer.Argument(help="An .xlsx workbook or a folder of three CSV files.")],
    plan: PlanOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; write nothing.")
    ] = False,
) -> None:
    """Load a plan: validates every row first and imports nothing if any row is wrong."""
    from bot.planio import read_plan
    from bot.services.plans import load_plan

    with user_errors():
        plan_file = read_plan(path, key=plan)
        summary = load_plan(db=database(), plan_file=plan_file, now=now(), dry_run=dry_run)
    verb = "Checked" if dry_run else ("Created" if summary.created else "Updated")
    typer.echo(
        f"{verb} plan '{summary.plan_key}': {summary.actions} actions, {summary.people} people, "
        f"{summary.meetings} meetings, {summary.indicators} indicators; "
        f"{summary.updates_added} updates added, {summary.updates_unchanged} already recorded; "
        f"{summary.measures_added} indicator values added, {summary.measures_unchanged} "
        "already recorded." + (" Nothing was written (dry run)." if dry_run else "")
    )


def export_plan(
    path: Annotated[Path, typer.Argument(help="An .xlsx file, or a folder for three CSV files.")],
    plan: PlanOption = None,
) -> None:
    """Write the plan and its updates back out in the import format."""
    from bot.planio import write_plan
    from bot.services.plans import export_plan as export

    with user_errors():
        plan_file = export(db=database(), plan_key=plan)
        write_plan(plan_file, path)
    typer.echo(f"Wrote plan '{plan_file.key}' ({len(plan_file.actions)} actions) to {path}.")
