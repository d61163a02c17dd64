"""`planbot db upgrade`, `planbot import`, `planbot export` and `planbot plans`: the database,
the plan file, and the plans a database holds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import (
    PlanOption,
    database,
    fail,
    now,
    request,
    safe_url,
    settings,
    user_errors,
)
from storage.db import Database

if TYPE_CHECKING:
    from bot.domain.planfile import PlanFile
    from bot.domain.status import StatusDef
    from bot.model.plans import PlanOverview


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="The database.", no_args_is_help=True)
    app.add_typer(db_app, name="db")
    db_app.command("upgrade")(db_upgrade)
    app.command("import")(import_plan)
    app.command("export")(export_plan)
    app.command("plans")(list_plans)


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
    typer.echo(_own_rules(plan_file))


def _own_rules(plan_file: PlanFile) -> str:
    """What the plan file says of the plan's own rules: its statuses and settings, or that it
    runs on the default scheme and the environment's settings."""
    if plan_file.statuses:
        statuses = f"the plan's own, {_statuses(plan_file.statuses)}."
    else:
        statuses = "the default scheme (there is no statuses sheet)."
    if plan_file.settings:
        chosen = ", ".join(f"{key} = {value}" for key, value in sorted(plan_file.settings.items()))
        own = f"the plan's own, {chosen}; the environment's for the rest."
    else:
        own = "the environment's (there is no settings sheet)."
    return f"Statuses: {statuses}\nSettings: {own}"


def export_plan(
    path: Annotated[Path, typer.Argument(help="An .xlsx file, or a folder for three CSV files.")],
    plan: PlanOption = None,
) -> None:
    """Write the plan and its updates back out in the import format."""
    from bot.planio import write_plan
    from bot.services.plans import export_plan as export

    with user_errors():
        plan_file = export(db=database(), plan_key=plan or settings().planbot_plan)
        write_plan(plan_file, path)
    typer.echo(f"Wrote plan '{plan_file.key}' ({len(plan_file.actions)} actions) to {path}.")


def list_plans() -> None:
    """List every plan in the database with its settings: calendar, ladder, sign-off,
    indicator tolerance and status scheme."""
    from bot.services.plan_overview import plans_overview

    current = settings()
    with user_errors():
        # Every plan, whatever PLANBOT_PLAN names.
        plans = plans_overview(request(current, None, now()).for_plan(None))
    if not plans:
        typer.echo("No plans yet: load one with `planbot import PATH`.")
        return
    typer.echo("\n\n".join(_plan_lines(plan) for plan in plans))


def _statuses(statuses: Sequence[StatusDef]) -> str:
    return ", ".join(f"{status.key} ({status.label})" for status in statuses)


def _plan_lines(plan: PlanOverview) -> str:
    """A plan as `planbot plans` prints it: a line of its key and name, then its settings."""
    rules, cycle = plan.rules, plan.rules.cycle
    ladder = cycle.rules
    holidays = cycle.calendar.country + (
        f"-{cycle.calendar.subdiv}" if cycle.calendar.subdiv else ""
    )
    scheme = "own" if plan.own_scheme else "default"
    own = ", ".join(sorted(plan.settings)) or "none (the environment's settings)"
    return "\n".join(
        [
            f"{plan.key}: {plan.name}",
            f"  {plan.actions} actions, {plan.indicators} indicators, {plan.people} people",
            f"  time zone {cycle.tz.key}; bank holidays {holidays}; reminders at "
            f"{ladder.send_at:%H:%M}",
            f"  ladder: publication {ladder.publication_working_days_before_meeting - 1} clear "
            "working days before the meeting; updates due "
            f"{ladder.update_working_days_before_publication} working days before publication; "
            f"window opens {ladder.window_working_days_before_deadline} working days before that",
            f"  sign-off {'on' if rules.signoff else 'off'}; indicator tolerance "
            f"{rules.pi_tolerance.normalize():f}%",
            f"  statuses ({scheme}): {_statuses(rules.scheme.statuses)}",
            f"  set by the plan's settings sheet: {own}",
        ]
    )
