"""The `planbot` command line."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from bot.errors import PlanbotError
from bot.settings import Settings, SettingsError, get_settings
from storage.db import Database

app = typer.Typer(
    name="planbot",
    help="Runs the quarterly progress cycle of an improvement plan in Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
app.add_typer(db_app, name="db")

PlanOption = Annotated[
    str | None,
    typer.Option("--plan", help="The plan's key; needed only when the database holds several."),
]

T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error (no traceback) and return the exit to raise."""
    typer.secho(f"planbot: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can fix into one line on stderr and a non-zero exit."""
    try:
        yield
    except (PlanbotError, SettingsError) as exc:
        # A PlanFileError comes from bot.planio, imported by whatever read the plan file; not
        # imported here, so commands that read none (`serve`) do not load openpyxl.
        planio = sys.modules.get("bot.planio")
        if planio is not None and isinstance(exc, planio.PlanFileError):
            count = len(exc.errors)
            problems = "1 problem" if count == 1 else f"{count} problems"
            lines = "\n".join(f"  {error}" for error in exc.errors)
            raise fail(f"the plan file has {problems}; nothing was imported.\n{lines}") from None
        raise fail(str(exc)) from None


def settings() -> Settings:
    with user_errors():
        return get_settings()


def database(current: Settings | None = None) -> Database:
    """The configured database, checked to be reachable and migrated."""
    current = current or settings()
    db = Database(current.database_url)
    if not db.ping():
        raise fail(
            f"cannot reach the database at DATABASE_URL ({_safe_url(current.database_url)})."
        )
    from sqlalchemy import inspect

    if not inspect(db.engine).has_table("plans"):
        db.upgrade()
    return db


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def now() -> dt.datetime:
    """The clock, read at the edge."""
    return dt.datetime.now(dt.UTC)


def run(action: Callable[[], T]) -> T:
    with user_errors():
        return action()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database, or migrate it to the latest schema."""
    current = settings()
    db = Database(current.database_url)
    if not db.ping():
        raise fail(
            f"cannot reach the database at DATABASE_URL ({_safe_url(current.database_url)})."
        )
    db.upgrade()
    typer.echo(f"Database at {_safe_url(current.database_url)} is up to date.")


@app.command("import")
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
        f"{summary.meetings} meetings; {summary.updates_added} updates added, "
        f"{summary.updates_unchanged} already recorded."
        + (" Nothing was written (dry run)." if dry_run else "")
    )


@app.command("export")
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


def _register_subcommands() -> None:
    from bot.cli import reminders, report, slack

    slack.register(app)
    reminders.register(app)
    report.register(app)


_register_subcommands()


def main() -> None:
    """Entry point of the `planbot` script."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Migrations and the HTTP client narrate every step at INFO; a CLI user needs none of it.
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
