"""`planbot reminders preview`: a period's reminder calendar, and who would get what when."""

from __future__ import annotations

import datetime as dt

from bot.domain.calendar import Cycle, PeriodSchedule
from bot.domain.periods import parse_period
from bot.model.reminders import PreviewStep, ReminderPreview
from bot.services.context import RequestContext
from bot.services.reminders import period_state, plan_reminders

# -- the calendar, for the programme office ------------------------------------------------------


def preview(ctx: RequestContext, *, period: str | None = None) -> ReminderPreview:
    """The reminder calendar of a period (the open one by default), with today's outstanding,
    in the plan's own calendar, ladder and status scheme."""
    with ctx.db.read_session() as session:
        plan = ctx.plan(session)
        cycle, today = ctx.cycle(plan), ctx.today(plan)
        chosen = parse_period(period, today=today) if period else None
        state = period_state(session, plan, cycle, today, chosen, scheme=ctx.rules(plan).scheme)
        steps = []
        for step, day in state.schedule.steps:
            steps.append(
                PreviewStep(
                    step=step,
                    day=day,
                    at=cycle.send_time(day),
                    working_day=cycle.calendar.is_working_day(day),
                    holiday=cycle.calendar.holiday_name(day),
                    messages=tuple(plan_reminders(session, state, cycle, step, day)),
                )
            )
        return ReminderPreview(
            plan_key=plan.key,
            plan_name=plan.name,
            period_key=state.period.key,
            period_label=state.period.label,
            meeting_date=state.schedule.meeting_date,
            publication_deadline=state.schedule.publication_deadline,
            update_deadline=state.schedule.update_deadline,
            locked=state.locked,
            timezone=cycle.tz.key,
            calendar="-".join(filter(None, (cycle.calendar.country, cycle.calendar.subdiv))),
            outstanding=len(state.outstanding),
            open_actions=state.open_actions,
            admin_daily_summary=cycle.rules.admin_daily_summary,
            steps=tuple(steps),
            holidays=skipped_holidays(cycle, state.schedule),
        )


def skipped_holidays(cycle: Cycle, schedule: PeriodSchedule) -> tuple[tuple[dt.date, str], ...]:
    """The bank holidays on weekdays from the window's opening to the meeting (or the last
    step, with no meeting known): the days the cycle's working-day counts pass over."""
    last = max(day for _, day in schedule.steps)
    end = max(last, schedule.meeting_date or last)
    found = []
    day = schedule.window_opens
    while day <= end:
        name = cycle.calendar.holiday_name(day)
        if name is not None and day.weekday() < 5:
            found.append((day, name))
        day += dt.timedelta(days=1)
    return tuple(found)
