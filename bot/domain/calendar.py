"""The working-day calendar and the dates of a reporting cycle, worked back from the meeting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

from bot.domain.periods import Period


class WorkingCalendar:
    """Weekends and bank holidays (England by default) are not working days."""

    def __init__(self, country: str = "GB", subdiv: str | None = "ENG") -> None:
        self.country = country
        self.subdiv = subdiv
        self._holidays = holidays.country_holidays(country, subdiv=subdiv)
        self._working: dict[dt.date, bool] = {}  # asked for again and again: remembered

    def is_working_day(self, day: dt.date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = day.weekday() < 5 and day not in self._holidays
        return known

    def holiday_name(self, day: dt.date) -> str | None:
        name = self._holidays.get(day)
        return str(name) if name else None

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` (before it when negative); 0 is `day` itself."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        current = day
        while remaining:
            current += dt.timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` if it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day


class Step(StrEnum):
    """The rungs of the reminder ladder, in the order they are sent."""

    INVITATION = "invitation"
    REMINDER = "reminder"  # deadline - 5 working days
    FINAL_REMINDER = "final_reminder"  # deadline - 1 working day
    DEADLINE = "deadline"
    OVERDUE = "overdue"
    ESCALATION = "escalation"

    @property
    def label(self) -> str:
        return _STEP_LABELS[self]

    @property
    def rank(self) -> int:
        """The position of the step on the ladder, from 0 (invitation)."""
        return list(Step).index(self)


_STEP_LABELS = {
    Step.INVITATION: "Window opens",
    Step.REMINDER: "Reminder",
    Step.FINAL_REMINDER: "Final reminder",
    Step.DEADLINE: "Deadline day",
    Step.OVERDUE: "Overdue",
    Step.ESCALATION: "Escalation to directors",
}


@dataclass(frozen=True)
class CycleRules:
    """Every number of DESIGN's 'Rules of the cycle', in working days unless said otherwise."""

    publication_working_days_before_meeting: int = 6
    update_working_days_before_publication: int = 5
    no_meeting_working_days_after_quarter: int = 10
    window_working_days_before_deadline: int = 10
    reminder_working_days_before_deadline: int = 5
    final_reminder_working_days_before_deadline: int = 1
    overdue_working_days_after_deadline: int = 1
    escalation_working_days_after_deadline: int = 2
    send_at: dt.time = dt.time(9, 30)
    # Admins get a "still outstanding" summary every working day from the deadline until the
    # period is locked; when False, only the one summary at the escalation step.
    admin_daily_summary: bool = True


@dataclass(frozen=True)
class PeriodSchedule:
    """The dates of one period's cycle."""

    period: Period
    meeting_date: dt.date | None
    publication_deadline: dt.date | None
    update_deadline: dt.date
    window_opens: dt.date
    steps: tuple[tuple[Step, dt.date], ...]

    def step_date(self, step: Step) -> dt.date:
        return dict(self.steps)[step]


class Cycle:
    """The reporting calendar of a plan: working days, rules and time zone together."""

    def __init__(
        self,
        *,
        calendar: WorkingCalendar | None = None,
        rules: CycleRules | None = None,
        timezone: str = "Europe/London",
    ) -> None:
        self.calendar = calendar or WorkingCalendar()
        self.rules = rules or CycleRules()
        self.tz = ZoneInfo(timezone)
        # Schedules are worked out for every request and reminder tick, from a few inputs.
        self._schedules: dict[tuple[Period, dt.date | None], PeriodSchedule] = {}

    def publication_deadline(self, meeting: dt.date) -> dt.date:
        """The Nth working day before the meeting (five clear working days by default)."""
        return self.calendar.add_working_days(
            meeting, -self.rules.publication_working_days_before_meeting
        )

    def schedule(self, period: Period, meeting: dt.date | None) -> PeriodSchedule:
        """Every date of `period`'s cycle, from its meeting date or, with none, the quarter end."""
        known = self._schedules.get((period, meeting))
        if known is None:
            known = self._schedules[(period, meeting)] = self._schedule(period, meeting)
        return known

    def _schedule(self, period: Period, meeting: dt.date | None) -> PeriodSchedule:
        cal, rules = self.calendar, self.rules
        publication = self.publication_deadline(meeting) if meeting else None
        if publication is not None:
            deadline = cal.add_working_days(
                publication, -rules.update_working_days_before_publication
            )
        else:
            deadline = cal.add_working_days(period.end, rules.no_meeting_working_days_after_quarter)
        window = cal.add_working_days(deadline, -rules.window_working_days_before_deadline)
        steps = (
            (Step.INVITATION, window),
            (
                Step.REMINDER,
                cal.add_working_days(deadline, -rules.reminder_working_days_before_deadline),
            ),
            (
                Step.FINAL_REMINDER,
                cal.add_working_days(deadline, -rules.final_reminder_working_days_before_deadline),
            ),
            (Step.DEADLINE, deadline),
            (
                Step.OVERDUE,
                cal.add_working_days(deadline, rules.overdue_working_days_after_deadline),
            ),
            (
                Step.ESCALATION,
                cal.add_working_days(deadline, rules.escalation_working_days_after_deadline),
            ),
        )
        return PeriodSchedule(period, meeting, publication, deadline, window, steps)

    def send_time(self, day: dt.date) -> dt.datetime:
        """The aware moment reminders go out on `day` (09:30 plan-local by default)."""
        return dt.datetime.combine(day, self.rules.send_at, tzinfo=self.tz)

    def local_date(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.tz).date()

    def can_send_now(self, now: dt.datetime) -> bool:
        """True on a working day at or after the send time, plan-local."""
        local = now.astimezone(self.tz)
        return self.calendar.is_working_day(local.date()) and local.time() >= self.rules.send_at

    def due_step(self, schedule: PeriodSchedule, now: dt.datetime) -> Step | None:
        """The one step to send now: the latest whose moment has passed, never an earlier one.

        A bot that was down sends only the latest step late, so nobody is told
        "5 days to go" after the deadline; nothing goes out at weekends, on bank
        holidays or before the send time.
        """
        if not self.can_send_now(now):
            return None
        latest: Step | None = None
        for step, day in schedule.steps:
            if self.send_time(day) <= now:
                latest = step
        return latest

    def open_period(
        self,
        today: dt.date,
        meeting_for: Callable[[Period], dt.date | None],
        locked: Collection[str] = (),
    ) -> Period:
        """The period an update made on `today` counts for.

        The latest period whose window has opened; if that period is locked, the next one.
        """
        candidate = Period.containing(today).next()
        while True:
            window = self.schedule(candidate, meeting_for(candidate)).window_opens
            if window <= today:
                break
            candidate = candidate.previous()
        while candidate.key in locked:
            candidate = candidate.next()
        return candidate

    @cached_property
    def description(self) -> str:
        return f"{self.calendar.country}/{self.calendar.subdiv or '-'} in {self.tz.key}"
