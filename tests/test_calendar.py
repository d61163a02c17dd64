"""The reporting calendar: DESIGN's worked examples and the open-period rule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import Cycle, Step, WorkingCalendar
from bot.domain.periods import Period

LONDON = ZoneInfo("Europe/London")
Q3 = Period(2019, 3)


@pytest.fixture
def cycle() -> Cycle:
    return Cycle()


def at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def test_meeting_on_7_february_2020_gives_designs_dates(cycle: Cycle) -> None:
    schedule = cycle.schedule(Q3, dt.date(2020, 2, 7))

    assert schedule.publication_deadline == dt.date(2020, 1, 30)
    assert schedule.update_deadline == dt.date(2020, 1, 23)
    assert schedule.window_opens == dt.date(2020, 1, 9)
    assert dict(schedule.steps) == {
        Step.INVITATION: dt.date(2020, 1, 9),
        Step.REMINDER: dt.date(2020, 1, 16),
        Step.FINAL_REMINDER: dt.date(2020, 1, 22),
        Step.DEADLINE: dt.date(2020, 1, 23),
        Step.OVERDUE: dt.date(2020, 1, 24),
        Step.ESCALATION: dt.date(2020, 1, 27),
    }


def test_easter_2020_moves_the_publication_deadline_back(cycle: Cycle) -> None:
    # Good Friday 10 April and Easter Monday 13 April 2020 are not working days.
    assert cycle.publication_deadline(dt.date(2020, 4, 17)) == dt.date(2020, 4, 7)


def test_quarter_with_no_meeting_is_due_ten_working_days_after_it_ends(cycle: Cycle) -> None:
    schedule = cycle.schedule(Q3, None)

    assert schedule.publication_deadline is None
    assert schedule.update_deadline == dt.date(2020, 1, 15)


def test_no_step_ever_falls_on_a_weekend_or_bank_holiday(cycle: Cycle) -> None:
    calendar = cycle.calendar
    for year in range(2019, 2027):
        for quarter in range(1, 5):
            period = Period(year, quarter)
            for meeting in (None, period.end + dt.timedelta(days=40)):
                for _step, day in cycle.schedule(period, meeting).steps:
                    assert calendar.is_working_day(day), (period.key, day)


def test_working_days_skip_christmas_and_new_year() -> None:
    calendar = WorkingCalendar()

    assert calendar.add_working_days(dt.date(2019, 12, 24), 1) == dt.date(2019, 12, 27)
    assert calendar.add_working_days(dt.date(2020, 1, 2), -1) == dt.date(2019, 12, 31)
    assert calendar.holiday_name(dt.date(2020, 1, 1)) is not None


def test_nation_is_configurable() -> None:
    # 2 January is a bank holiday in Scotland, not in England.
    assert WorkingCalendar("GB", "ENG").is_working_day(dt.date(2020, 1, 2))
    assert not WorkingCalendar("GB", "SCT").is_working_day(dt.date(2020, 1, 2))


def test_period_across_the_new_year_spans_two_calendar_years() -> None:
    assert (Q3.start, Q3.end) == (dt.date(2019, 10, 1), dt.date(2019, 12, 31))
    q4 = Q3.next()
    assert (q4.key, q4.start, q4.end) == ("2019-20-Q4", dt.date(2020, 1, 1), dt.date(2020, 3, 31))
    assert q4.next() == Period(2020, 1)
    assert Period(2020, 1).previous() == q4
    assert Period.containing(dt.date(2020, 3, 31)) == q4
    assert Period.containing(dt.date(2020, 4, 1)).key == "2020-21-Q1"


def test_send_time_is_0930_london_on_both_sides_of_the_clock_change(cycle: Cycle) -> None:
    # Meeting 24 April 2020: the window opens 24 March (GMT), the deadline is 7 April (BST).
    schedule = cycle.schedule(Period(2019, 4), dt.date(2020, 4, 24))
    days = [day for _step, day in schedule.steps]
    assert min(days) < dt.date(2020, 3, 29) < max(days)
    for day in days:
        moment = cycle.send_time(day)
        utc = moment.astimezone(dt.UTC)
        expected_offset = 0 if day < dt.date(2020, 3, 29) else 1
        assert (utc.hour, utc.minute) == (9 - expected_offset, 30)


def test_due_step_is_the_latest_passed_and_never_at_weekends(cycle: Cycle) -> None:
    schedule = cycle.schedule(Q3, dt.date(2020, 2, 7))

    assert cycle.due_step(schedule, at(dt.date(2020, 1, 9), 9, 29)) is None
    assert cycle.due_step(schedule, at(dt.date(2020, 1, 9))) is Step.INVITATION
    assert cycle.due_step(schedule, at(dt.date(2020, 1, 20), 15)) is Step.REMINDER
    # A bot down until the day after the deadline sends only the overdue step.
    assert cycle.due_step(schedule, at(dt.date(2020, 1, 24), 11)) is Step.OVERDUE
    assert cycle.due_step(schedule, at(dt.date(2020, 1, 25), 11)) is None  # Saturday
    assert cycle.due_step(schedule, at(dt.date(2020, 1, 27), 10)) is Step.ESCALATION


def test_open_period_before_inside_and_after_the_window(cycle: Cycle) -> None:
    meetings = {
        "2019-20-Q2": dt.date(2019, 10, 18),
        "2019-20-Q3": dt.date(2020, 2, 7),
        "2019-20-Q4": dt.date(2020, 5, 29),
    }

    def meeting_for(period: Period) -> dt.date | None:
        return meetings.get(period.key)

    before_window = cycle.open_period(dt.date(2020, 1, 8), meeting_for)
    in_window = cycle.open_period(dt.date(2020, 1, 9), meeting_for)
    later = cycle.open_period(dt.date(2020, 3, 2), meeting_for)

    assert before_window.key == "2019-20-Q2"
    assert in_window.key == "2019-20-Q3"
    assert later.key == "2019-20-Q3"


def test_open_period_moves_on_when_the_latest_is_locked(cycle: Cycle) -> None:
    def meeting_for(period: Period) -> dt.date | None:
        return {"2019-20-Q3": dt.date(2020, 2, 7)}.get(period.key)

    assert cycle.open_period(dt.date(2020, 2, 10), meeting_for, locked=()).key == "2019-20-Q3"
    assert (
        cycle.open_period(dt.date(2020, 2, 10), meeting_for, locked={"2019-20-Q3"}).key
        == "2019-20-Q4"
    )
