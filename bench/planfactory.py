"""Plans of any size for the benchmarks, with a reporting calendar that is open today.

`bench_plan(actions=1000, owners=1000, quarters=12, today=...)` builds a plan file the way
`planbot import` would load it: one admin, one director per directorate, `owners` action
owners sharing the actions round-robin, `quarters` quarters of history and a committee
meeting for the open period chosen so that its update window has opened and its deadline
is a few working days away. So `/update ACT-n green ...` sent by ACT-n's owner *today*
(the real clock of a `planbot serve` subprocess) is recorded at once: the target dates are
a year ahead, and the last reported status is never worse than green nor complete, except
for every `complete_every`-th action, completed last quarter and so closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.calendar import Cycle, Step
from bot.domain.periods import Period
from bot.domain.planfile import ActionRow, HistoryRow, MeetingRow, PersonRow, PlanFile

PLAN_KEY = "bench"
ADMIN = "U0BADMIN01"
DIRECTORATES = 9
THEMES = 12
# Statuses cycled through the history; the last reported quarter uses LAST_STATUSES.
STATUSES = ("green", "amber", "red", "on_hold", "green", "not_started")
LAST_STATUSES = ("green", "amber", "red", "green")
COMPLETE_EVERY = 23  # ACT-23, ACT-46... completed in the last reported quarter (by default)
MISSING_EVERY = 10  # ACT-7, ACT-17... have no update for the last reported quarter


@dataclass(frozen=True)
class BenchPlan:
    """A plan file and the calendar facts the benchmarks need."""

    plan: PlanFile
    open_period: Period  # where updates made `today` count
    reported: Period  # the last quarter with history: the digest's period
    meeting: dt.date  # the open period's committee meeting
    reminder_at: dt.datetime  # an aware moment when a ladder step is due (the reminder bench)

    @property
    def refs(self) -> list[str]:
        return [a.ref for a in self.plan.actions]

    def owner_of(self, ref: str) -> str:
        return next(a.owner for a in self.plan.actions if a.ref == ref)

    def updatable(self) -> list[tuple[str, str]]:
        """(ref, owner Slack ID) of every open action: `/update REF green` is recorded at once."""
        closed = {
            h.ref
            for h in self.plan.history
            if h.period == self.reported.key and h.status == "complete"
        }
        return [(a.ref, a.owner) for a in self.plan.actions if a.ref not in closed]


def owner_id(index: int) -> str:
    return f"U0BOWN{index:05d}"


def director_id(index: int) -> str:
    return f"U0BDIR{index:03d}"


def _meeting_for(cycle: Cycle, period: Period, today: dt.date) -> dt.date:
    """A meeting date for `period` whose window opened before `today`, deadline days ahead."""
    for days in range(1, 120):
        meeting = today + dt.timedelta(days=days)
        if not cycle.calendar.is_working_day(meeting):
            continue
        schedule = cycle.schedule(period, meeting)
        if schedule.window_opens < today and schedule.update_deadline > today + dt.timedelta(3):
            return meeting
    raise RuntimeError(f"no meeting date puts {period.key}'s window around {today}")


def bench_plan(
    *,
    actions: int,
    owners: int,
    quarters: int = 12,
    today: dt.date | None = None,
    cycle: Cycle | None = None,
    note_chars: int = 160,
    complete_every: int = COMPLETE_EVERY,
) -> BenchPlan:
    """A plan of `actions` actions over `owners` owners with `quarters` quarters of history;
    every `complete_every`-th action was completed last quarter (0: none)."""
    cycle = cycle or Cycle()
    today = today or dt.datetime.now(cycle.tz).date()
    open_period = Period.containing(today).previous()
    meeting = _meeting_for(cycle, open_period, today)
    reported = open_period.previous()

    directorates = [f"Directorate {d} (shared service)" for d in range(DIRECTORATES)]
    people = [PersonRow(ADMIN, "Ada Admin", "ada@bench.example", "admin", "Programme Office")]
    people += [
        PersonRow(director_id(d), f"Director {d}", f"d{d}@bench.example", "director", name)
        for d, name in enumerate(directorates)
    ]
    people += [
        PersonRow(
            owner_id(i),
            f"Owner {i} Surname-Hyphenated",
            f"o{i}@bench.example",
            "owner",
            directorates[i % DIRECTORATES],
        )
        for i in range(owners)
    ]

    history_periods = [reported]
    while len(history_periods) < quarters:
        history_periods.insert(0, history_periods[0].previous())
    target = today + dt.timedelta(days=400)
    rows: list[ActionRow] = []
    history: list[HistoryRow] = []
    note = ("Progress as planned; the next milestone is in hand. " * 8)[:note_chars]
    for n in range(1, actions + 1):
        ref = f"ACT-{n}"
        owner = (n - 1) % owners
        rows.append(
            ActionRow(
                ref=ref,
                title=f"Action {n}: improve the shared service's process number {n}",
                theme=f"Theme {n % THEMES}: a priority of the plan",
                directorate=directorates[owner % DIRECTORATES],
                owner=owner_id(owner),
                target_date=target,
                revised_target_date=None,
            )
        )
        for q, period in enumerate(history_periods):
            last = period == reported
            if last and n % MISSING_EVERY == 7:
                continue
            if last:
                done = complete_every and n % complete_every == 0
                status = "complete" if done else LAST_STATUSES[n % len(LAST_STATUSES)]
            else:
                status = STATUSES[(n + q) % len(STATUSES)]
            history.append(HistoryRow(ref, period.key, status, f"{period.key}: {note}"))

    meetings = [
        MeetingRow(
            p.key, cycle.calendar.next_working_day(p.end + dt.timedelta(days=45)), "Joint Committee"
        )
        for p in history_periods
    ]
    meetings.append(MeetingRow(open_period.key, meeting, "Joint Committee"))
    # The quarter after keeps its window shut today, whatever day of the quarter it is.
    later = open_period.next()
    meetings.append(
        MeetingRow(later.key, cycle.calendar.next_working_day(later.end + dt.timedelta(days=90)))
    )
    plan = PlanFile(
        key=PLAN_KEY,
        name="Benchmark Improvement Plan",
        people=people,
        actions=rows,
        meetings=meetings,
        history=history,
    )
    schedule = cycle.schedule(open_period, meeting)
    step_day = schedule.step_date(Step.INVITATION)
    reminder_at = cycle.send_time(step_day) + dt.timedelta(minutes=1)
    return BenchPlan(plan, open_period, reported, meeting, reminder_at)
