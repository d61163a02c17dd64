"""`planbot reminders`: the reminder calendar, and one tick of the reminder job now.

`run` has two hidden options for tests and drills only: `--now` (the moment the tick
believes it is, ISO 8601; plan-local when it has no offset) and `--pace` (seconds between
posts; 1 by default, Slack's posting rate).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from bot.cli.common import PlanOption, database, fail, request, settings, user_errors
from bot.cli.common import now as clock_now
from bot.delivery.reminders import SLACK_POST_INTERVAL, TickReport, run_tick
from bot.domain.calendar import Cycle
from bot.domain.dates import weekday_date
from bot.model.reminders import ReminderAudience, ReminderPreview
from bot.services.reminder_calendar import preview

reminders_app = typer.Typer(
    help="Reminders and escalation: the calendar, and sending what is due.",
    no_args_is_help=True,
)

NowOption = Annotated[
    str | None,
    typer.Option("--now", hidden=True, help="Test only: the moment to act as if it were."),
]


def register(app: typer.Typer) -> None:
    """Add the `reminders` commands to `app`."""
    app.add_typer(reminders_app, name="reminders")


def _moment(text: str | None, cycle: Cycle) -> dt.datetime:
    if text is None:
        return clock_now()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"--now '{text}' is not an ISO 8601 date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=cycle.tz)


@reminders_app.command("preview")
def preview_command(
    period: Annotated[
        str | None,
        typer.Option("--period", help="The period, e.g. 2019-20-Q3; the open one by default."),
    ] = None,
    plan: PlanOption = None,
    now: NowOption = None,
) -> None:
    """Print a plan's reminder calendar for a period, in the plan's own calendar: each step's
    date and time, and who gets what."""
    current = settings()
    with user_errors():
        cycle = current.cycle()
        calendar = preview(request(current, plan, _moment(now, cycle)), period=period)
    typer.echo("\n".join(preview_lines(calendar)))


OnlyPlanOption = Annotated[
    str | None,
    typer.Option("--plan", help="Only this plan's reminders (by key); every plan's by default."),
]


@reminders_app.command("run")
def run_command(
    plan: OnlyPlanOption = None,
    now: NowOption = None,
    pace: Annotated[
        float,
        typer.Option("--pace", hidden=True, help="Seconds between posts (Slack's rate)."),
    ] = SLACK_POST_INTERVAL,
) -> None:
    """Send the reminders due now in every plan, or the one --plan names (what the scheduler
    does every few minutes, for every plan)."""
    from bot.runtime import build_runtime

    current = settings()
    with user_errors():
        current.require("slack_bot_token")
        runtime = build_runtime(current, db=database(current))
    moment = _moment(now, runtime.cycle)
    with user_errors():
        report = run_tick(runtime, moment, plan_key=plan, pace=pace)
    typer.echo("\n".join(tick_lines(report)))
    if report.stopped:
        raise fail(report.stopped)


def preview_lines(calendar: ReminderPreview) -> list[str]:
    """The calendar as the programme office reads it in a terminal."""
    lines = [
        f"Reminder calendar for {calendar.period_label}, plan {calendar.plan_key} "
        f"({calendar.plan_name})" + (" — LOCKED: nothing will be sent" if calendar.locked else ""),
    ]
    dates = []
    if calendar.meeting_date:
        dates.append(f"meeting {weekday_date(calendar.meeting_date)}")
    if calendar.publication_deadline:
        dates.append(f"publication deadline {weekday_date(calendar.publication_deadline)}")
    else:
        dates.append("no meeting known")
    dates.append(f"update deadline {weekday_date(calendar.update_deadline)}")
    joined = " · ".join(dates)
    lines.append(joined[:1].upper() + joined[1:])
    lines.append(
        f"Times are {calendar.timezone}; working days exclude weekends and {calendar.calendar} "
        "bank holidays."
    )
    if calendar.holidays:
        skipped = ", ".join(f"{weekday_date(day)} ({name})" for day, name in calendar.holidays)
        lines.append(f"Bank holidays in this cycle, not counted as working days: {skipped}.")
    lines.append(
        f"{calendar.outstanding} of {calendar.open_actions} open actions have no update yet."
    )
    problems = 0
    for step in calendar.steps:
        lines.append("")
        lines.append(f"{weekday_date(step.day)} {step.at:%H:%M %Z}  {step.step.label}")
        if not step.working_day:
            problems += 1
            why = f"a bank holiday ({step.holiday})" if step.holiday else "a weekend"
            lines.append(f"  WARNING: this date falls on {why}")
        if not step.messages:
            lines.append("  nobody: every open action has an update")
        for message in step.messages:
            name = message.recipient.name
            if message.audience is ReminderAudience.ADMIN:
                lines.append(
                    f"  {name} (programme office): summary of {len(message.actions)} "
                    "outstanding actions"
                )
                continue
            role = " (director)" if message.audience is ReminderAudience.DIRECTOR else ""
            line = f"  {name}{role}: {', '.join(message.refs)}"
            others = sorted(
                {
                    a.owner_name
                    for a in message.actions
                    if a.owner_slack_id != message.recipient.slack_id
                }
            )
            if others and message.audience is ReminderAudience.OWNER:
                line += f" (standing in for {', '.join(others)})"
            lines.append(line)
    lines.append("")
    if calendar.admin_daily_summary:
        lines.append(
            "The programme office also gets a daily 'still outstanding' summary each working "
            f"day from {weekday_date(calendar.update_deadline)} until the period is locked."
        )
    lines.append(
        "Every date is a working day."
        if problems == 0
        else f"{problems} date(s) fall on a weekend or bank holiday: check the calendar."
    )
    return lines


def tick_lines(report: TickReport) -> list[str]:
    """What one tick did, for `planbot reminders run`."""
    if report.idle:
        return [f"Nothing sent: {report.idle}."]
    lines = []
    if report.sent:
        lines.append(f"Sent {len(report.sent)} message(s):")
        for outcome in report.sent:
            refs = f" ({', '.join(outcome.refs)})" if outcome.refs else ""
            lines.append(
                f"  {outcome.period_key} {outcome.kind} → {outcome.recipient.name}"
                f" ({outcome.recipient.slack_id}){refs}"
            )
    else:
        lines.append("Nothing new to send.")
    if report.already_done:
        lines.append(f"{report.already_done} message(s) were already sent or being sent.")
    for outcome in report.undeliverable:
        lines.append(
            f"Could not reach {outcome.recipient.name} ({outcome.recipient.slack_id}): "
            f"{outcome.detail}; the admins are told."
        )
    for outcome in report.retry_later:
        lines.append(
            f"Will retry {outcome.kind} to {outcome.recipient.name} on the next run: "
            f"{outcome.detail}"
        )
    return lines
