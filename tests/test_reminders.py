# Over 400 lines: the reminder ladder's rules, one case each.
"""Reminders and escalation, driven by a clock the tests move (nobody sleeps).

The sample plan's Q3 2019/20 (meeting Fri 7 Feb 2020) has no updates yet: window Thu 9 Jan,
reminders 16 and 22 Jan, deadline 23 Jan, overdue 24 Jan, escalation Mon 27 Jan 2020.
Messages go through the real notifier and `WebClient` to the fake Slack Web API.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from support.action_plan import sample_actions_only
from support.context import ctx
from support.fakeslack import Call, FakeSlack
from support.slackapp import make_runtime as slack_runtime
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.cli.reminders import preview_lines
from bot.delivery.reminders import Pacer, TickReport, run_tick
from bot.domain.calendar import Cycle, CycleRules, Step
from bot.domain.periods import Period
from bot.model.reminders import (
    PreviewStep,
    ReminderAudience,
    ReminderDM,
    ReminderPreview,
)
from bot.model.updates import Source
from bot.runtime import Runtime
from bot.services.claims import DeliveryKey, claim_delivery, mark_sent
from bot.services.plans import load_plan, period_row, resolve_plan
from bot.services.reminder_calendar import preview
from bot.services.reminders import due_reminders
from bot.services.updates import record_update
from bot.settings import get_settings
from storage import models as m
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
Q3 = "2019-20-Q3"

PRIYA = "U0PO00001"  # admin
DANIEL = "U0MD00001"  # director, Managing Director's Office; owns ACT-1 (complete), 2, 16, 17
HELEN = "U0BS00001"  # director, Business Services; owns ACT-4, ACT-7
TOM = "U0BS00002"  # owner, Business Services: ACT-3, ACT-5 (complete), ACT-6
FATIMA = "U0LG00001"
MARK = "U0HR00001"  # director, HR & OD: ACT-10
SINEAD = "U0HR00002"  # owner, HR & OD: ACT-9, ACT-11 (complete), ACT-12
RACHEL = "U0FN00001"
KWAME = "U0FN00002"
OLIVER = "U0IT00001"  # director, ICT: owns nothing
AISHA = "U0IT00002"
GARY = "U0ET00001"  # director of a directorate with no actions
JOANNA = "U0AM00001"

# Each owner's open actions with no Q3 update (ACT-1, ACT-5 and ACT-11 were completed in Q2).
Q3_OUTSTANDING = {
    DANIEL: {"ACT-2", "ACT-16", "ACT-17"},
    TOM: {"ACT-3", "ACT-6"},
    HELEN: {"ACT-4", "ACT-7"},
    FATIMA: {"ACT-8"},
    SINEAD: {"ACT-9", "ACT-12"},
    MARK: {"ACT-10"},
    KWAME: {"ACT-13", "ACT-15"},
    RACHEL: {"ACT-14"},
    AISHA: {"ACT-18", "ACT-19"},
    JOANNA: {"ACT-20"},
}
COMPLETED = {"ACT-1", "ACT-5", "ACT-11"}
# What each director is escalated at Q3's escalation step: their directorate's actions only.
Q3_ESCALATION = {
    DANIEL: {"ACT-2", "ACT-16", "ACT-17"},
    HELEN: {"ACT-3", "ACT-4", "ACT-6", "ACT-7"},
    FATIMA: {"ACT-8"},
    MARK: {"ACT-9", "ACT-10", "ACT-12"},
    RACHEL: {"ACT-13", "ACT-14", "ACT-15"},
    OLIVER: {"ACT-18", "ACT-19"},
    JOANNA: {"ACT-20"},
}
ALL_Q3 = set().union(*Q3_OUTSTANDING.values())


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 30, second: int = 0) -> Any:
    """A moment in London."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> Any:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


@dataclass
class Clock:
    """The runtime's clock, moved by the test."""

    moment: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.moment


def make_runtime(db: Database, fake: FakeSlack, *, cycle: Cycle | None = None) -> Runtime:
    """The runtime of a running planbot on `db` and the fake Slack, with a clock to move."""
    runtime = slack_runtime(db, fake, clock=Clock(at(2020, 1, 10, 10, 30)))
    return runtime if cycle is None else replace(runtime, cycle=cycle)


def sample_database(url: str) -> Database:
    """A database at `url` holding the sample plan."""
    db = Database(url)
    db.create_all()
    load_plan(db=db, plan_file=sample_actions_only(), now=utc(2019, 12, 2, 9, 0))
    return db


@pytest.fixture
def sample_db(db: Database) -> Database:
    """The sample plan's actions (as conftest's `sample_db`, without indicators: these tests
    pin who is told about which actions; indicators: tests/test_reminders_indicators.py)."""
    load_plan(db=db, plan_file=sample_actions_only(), now=utc(2019, 12, 2, 9, 0))
    return db


@pytest.fixture
def plan_db(sqlite_url: str) -> Iterator[Database]:
    """The sample plan on SQLite (the exactly-once tests also run on PostgreSQL: `sample_db`)."""
    db = sample_database(sqlite_url)
    yield db
    db.dispose()


@pytest.fixture
def runtime(plan_db: Database, fake_slack: FakeSlack) -> Runtime:
    return make_runtime(plan_db, fake_slack)


@pytest.fixture
def runtime_each_db(sample_db: Database, fake_slack: FakeSlack) -> Runtime:
    """The sample plan's runtime on SQLite and on PostgreSQL."""
    return make_runtime(sample_db, fake_slack)


def tick(runtime: Runtime, when: dt.datetime) -> TickReport:
    """One tick at `when`, unpaced (the pace has a test of its own)."""
    return run_tick(runtime, when, pace=0)


def dms(fake: FakeSlack) -> list[Call]:
    return fake.calls_to("chat.postMessage")


def dms_to(fake: FakeSlack, user: str) -> list[Call]:
    return [call for call in dms(fake) if call.args["channel"] == user]


def recipients(calls: list[Call]) -> Counter[str]:
    return Counter(str(call.args["channel"]) for call in calls)


def texts_of(call: Call) -> list[str]:
    """Every mrkdwn or plain text in a message's blocks."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(call.args.get("blocks", []))
    return found


def refs_in(call: Call) -> set[str]:
    """The action refs a message lists (each is written `*ACT-n*`)."""
    return {ref for text in texts_of(call) for ref in re.findall(r"\*(ACT-\d+)\*", text)}


def buttons_in(call: Call) -> list[dict[str, Any]]:
    found = []
    for block in call.args.get("blocks", []):
        elements = block.get("elements", []) if block["type"] == "actions" else []
        found += [e for e in elements if e.get("type") == "button"]
        accessory = block.get("accessory")
        if accessory and accessory.get("type") == "button":
            found.append(accessory)
    return found


def header_of(call: Call) -> str:
    return str(call.args["blocks"][0]["text"]["text"])


def record(db: Database, actor: str, ref: str, status: str, when: dt.datetime, **kw: Any) -> None:
    record_update(ctx(db, when, actor), ref=ref, status=status, source=Source.COMMAND, **kw)


def set_meeting(db: Database, key: str, meeting: dt.date) -> None:
    with db.session() as session:
        plan = resolve_plan(session, None)
        period_row(session, plan, Period.from_key(key)).meeting_date = meeting


def deliveries(db: Database) -> list[m.Delivery]:
    with db.session() as session:
        return list(session.scalars(select(m.Delivery).order_by(m.Delivery.id)))


# -- 1. the calendar -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_slack: FakeSlack
) -> Iterator[dict[str, str]]:
    """The environment of a `planbot` command run against the test's database and fake Slack."""
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    get_settings.cache_clear()
    yield {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake_slack.url,
        "PLANBOT_PLAN": "",
    }
    get_settings.cache_clear()


def run_cli(env: dict[str, str], *args: str) -> Any:
    get_settings.cache_clear()
    return CliRunner().invoke(cli_app, list(args), env=env)


def test_preview_shows_the_q3_calendar_worked_back_from_the_meeting(
    plan_db: Database, cli_env: dict[str, str]
) -> None:
    sample_db = plan_db
    result = run_cli(
        {**cli_env, "DATABASE_URL": sample_db.url}, "reminders", "preview", "--period", Q3
    )

    assert result.exit_code == 0, result.output
    out = result.output
    assert "Meeting Fri 7 Feb 2020 · publication deadline Thu 30 Jan 2020" in out
    for line in (
        "Thu 9 Jan 2020 09:30 GMT  Window opens",
        "Thu 16 Jan 2020 09:30 GMT  Reminder",
        "Wed 22 Jan 2020 09:30 GMT  Final reminder",
        "Thu 23 Jan 2020 09:30 GMT  Deadline day",
        "Fri 24 Jan 2020 09:30 GMT  Overdue",
        "Mon 27 Jan 2020 09:30 GMT  Escalation to directors",
    ):
        assert line in out
    assert "WARNING" not in out
    assert "Every date is a working day." in out
    # Who gets what, by name.
    assert "  Tom Ellis: ACT-3, ACT-6" in out
    assert "  Helen Wright (director): ACT-4, ACT-7, ACT-3, ACT-6" in out
    assert "  Priya Shah (programme office): summary of 17 outstanding actions" in out
    assert "ACT-1," not in out and "ACT-5" not in out and "ACT-11" not in out


def test_preview_of_a_meeting_on_17_april_2020_gives_publication_on_tuesday_7_april(
    plan_db: Database, cli_env: dict[str, str]
) -> None:
    sample_db = plan_db
    # Good Friday 10 April and Easter Monday 13 April 2020 are bank holidays.
    set_meeting(sample_db, "2019-20-Q4", dt.date(2020, 4, 17))
    cycle = Cycle()
    schedule = cycle.schedule(Period(2019, 4), dt.date(2020, 4, 17))
    assert schedule.publication_deadline == dt.date(2020, 4, 7)
    assert all(cycle.calendar.is_working_day(day) for _, day in schedule.steps)

    result = run_cli(
        {**cli_env, "DATABASE_URL": sample_db.url},
        "reminders",
        "preview",
        "--period",
        "2019-20-Q4",
    )

    assert result.exit_code == 0, result.output
    assert "Meeting Fri 17 Apr 2020 · publication deadline Tue 7 Apr 2020" in result.output
    assert "WARNING" not in result.output


def test_preview_flags_a_step_that_falls_on_a_weekend_or_bank_holiday() -> None:
    saturday, boxing_day = dt.date(2020, 1, 25), dt.date(2019, 12, 26)
    cycle = Cycle()
    calendar = ReminderPreview(
        plan_key="p",
        plan_name="P",
        period_key=Q3,
        period_label="Q3",
        meeting_date=None,
        publication_deadline=None,
        update_deadline=saturday,
        locked=False,
        timezone="Europe/London",
        calendar="GB-ENG",
        outstanding=0,
        open_actions=0,
        admin_daily_summary=True,
        steps=tuple(
            PreviewStep(
                step,
                day,
                cycle.send_time(day),
                cycle.calendar.is_working_day(day),
                cycle.calendar.holiday_name(day),
                (),
            )
            for step, day in ((Step.INVITATION, boxing_day), (Step.DEADLINE, saturday))
        ),
    )

    out = "\n".join(preview_lines(calendar))

    assert "WARNING: this date falls on a bank holiday (Boxing Day)" in out
    assert "WARNING: this date falls on a weekend" in out
    assert "2 date(s) fall on a weekend or bank holiday" in out


# -- 2. one DM per step per owner -----------------------------------------------------------------


def test_each_owner_gets_one_dm_per_step_listing_all_their_actions(
    runtime_each_db: Runtime, fake_slack: FakeSlack
) -> None:
    runtime = runtime_each_db
    for number, (step, when) in enumerate(
        [
            (Step.INVITATION, at(2020, 1, 9)),
            (Step.REMINDER, at(2020, 1, 16, 11)),
            (Step.FINAL_REMINDER, at(2020, 1, 22, 9, 31)),
        ],
        start=1,
    ):
        report = tick(runtime, when)

        assert {o.kind for o in report.sent} == {step.value}
        assert recipients(dms(fake_slack)) == dict.fromkeys(Q3_OUTSTANDING, number)
        for owner, refs in Q3_OUTSTANDING.items():
            latest = dms_to(fake_slack, owner)[-1]
            assert refs_in(latest) == refs
            assert {b["value"] for b in buttons_in(latest) if b["action_id"] == "open_update"} == (
                refs
            )
    tom = dms_to(fake_slack, TOM)
    assert [header_of(call) for call in tom] == [
        "Time to update your actions for Q3 2019/20",
        "Reminder: Q3 2019/20 updates are due Thu 23 Jan 2020",
        "Final reminder: Q3 2019/20 updates are due Thu 23 Jan 2020",
    ]
    assert "due by *Thu 23 Jan 2020*" in texts_of(tom[0])[1]


def test_the_same_tick_twice_sends_nothing_new(
    runtime_each_db: Runtime, fake_slack: FakeSlack
) -> None:
    runtime = runtime_each_db
    first = tick(runtime, at(2020, 1, 9))
    again = tick(runtime, at(2020, 1, 9))
    later_that_day = tick(runtime, at(2020, 1, 9, 16, 45))

    assert len(first.sent) == len(Q3_OUTSTANDING)
    assert again.sent == [] and later_that_day.sent == []
    assert again.already_done == len(Q3_OUTSTANDING)
    assert len(dms(fake_slack)) == len(Q3_OUTSTANDING)
    assert {d.state for d in deliveries(runtime.db)} == {"sent"}


def test_owner_who_updated_is_not_reminded(runtime: Runtime, fake_slack: FakeSlack) -> None:
    tick(runtime, at(2020, 1, 9))
    revised = {"revised_target_date": dt.date(2020, 6, 30)}
    record(
        runtime.db, TOM, "ACT-3", "green", at(2020, 1, 10), note="New templates live.", **revised
    )
    record(runtime.db, TOM, "ACT-6", "green", at(2020, 1, 10), note="Second survey out.")
    record(runtime.db, SINEAD, "ACT-12", "amber", at(2020, 1, 13), note="Completion at 75%.")

    report = tick(runtime, at(2020, 1, 16))

    assert TOM not in {o.recipient.slack_id for o in report.sent}
    assert len(dms_to(fake_slack, TOM)) == 1  # the invitation only
    assert refs_in(dms_to(fake_slack, SINEAD)[-1]) == {"ACT-9"}
    assert len(report.sent) == len(Q3_OUTSTANDING) - 1


def test_completed_and_closed_actions_never_appear(runtime: Runtime, fake_slack: FakeSlack) -> None:
    with runtime.db.session() as session:
        session.execute(update(m.Action).where(m.Action.ref == "ACT-8").values(closed=True))
    tick(runtime, at(2020, 1, 9))
    invitations = len(dms(fake_slack))
    record(runtime.db, JOANNA, "ACT-20", "complete", at(2020, 1, 10), note="Done.")

    for when in (at(2020, 1, 16), at(2020, 1, 23), at(2020, 1, 27)):
        tick(runtime, when)

    def mentioned(calls: list[Call]) -> set[str]:
        return set().union(*(refs_in(call) for call in calls))

    assert mentioned(dms(fake_slack)[:invitations]) == ALL_Q3 - {"ACT-8"}
    assert mentioned(dms(fake_slack)[invitations:]) == ALL_Q3 - {"ACT-8", "ACT-20"}
    assert not COMPLETED & mentioned(dms(fake_slack))
    assert FATIMA not in recipients(dms(fake_slack))  # her only action, ACT-8, is closed
    assert JOANNA not in recipients(dms(fake_slack)[invitations:])


def test_no_change_button_is_offered_only_where_last_status_needs_no_new_reason(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    tick(runtime, at(2020, 1, 9))

    [daniel] = dms_to(fake_slack, DANIEL)
    no_change = {b["value"]: b for b in buttons_in(daniel) if b["action_id"] == "no_change"}
    # ACT-16 was green; ACT-17 amber (needs a fresh reason); ACT-2's target date has passed.
    assert set(no_change) == {"ACT-16"}
    confirm = no_change["ACT-16"]["confirm"]
    assert "On track" in confirm["text"]["text"] and confirm["confirm"]["text"] == "Record it"
    [sinead] = dms_to(fake_slack, SINEAD)  # ACT-9 and ACT-12 were amber last quarter
    assert not [b for b in buttons_in(sinead) if b["action_id"] == "no_change"]
    homes = [b for b in buttons_in(daniel) if b["action_id"] == "open_home"]
    assert len(homes) == 1


# -- 3. escalation ---------------------------------------------------------------------------


def test_escalation_reaches_each_director_with_their_directorate_only_on_the_right_day(
    runtime_each_db: Runtime, fake_slack: FakeSlack
) -> None:
    runtime = runtime_each_db
    record(
        runtime.db,
        SINEAD,
        "ACT-9",
        "green",
        at(2020, 1, 20),
        note="Sessions running.",
        revised_target_date=dt.date(2020, 6, 30),
    )
    assert "escalation" not in {o.kind for o in tick(runtime, at(2020, 1, 24)).sent}
    assert tick(runtime, at(2020, 1, 27, 9, 29, 59)).sent == []
    before = len(dms(fake_slack))

    report = tick(runtime, at(2020, 1, 27))

    escalations = [c for c in dms(fake_slack)[before:] if header_of(c).startswith("Escalation")]
    got = {str(call.args["channel"]): refs_in(call) for call in escalations}
    expected = dict(Q3_ESCALATION)
    expected[MARK] = {"ACT-10", "ACT-12"}  # ACT-9 was updated
    assert got == expected
    assert recipients(escalations) == dict.fromkeys(expected, 1)
    assert GARY not in got  # his directorate has no actions
    helen = next(c for c in escalations if c.args["channel"] == HELEN)
    assert "Tom Ellis" in " ".join(texts_of(helen))
    # Owners who are not directors hear that it went to their director, once, listing what
    # is still missing; the directors' own actions are in their lists. The programme office
    # gets one summary.
    owners = [c for c in dms(fake_slack)[before:] if header_of(c).startswith("Escalated: Q3")]
    owners = [c for c in owners if c.args["channel"] != PRIYA]
    assert {str(c.args["channel"]): refs_in(c) for c in owners} == {
        TOM: {"ACT-3", "ACT-6"},
        SINEAD: {"ACT-12"},
        KWAME: {"ACT-13", "ACT-15"},
        AISHA: {"ACT-18", "ACT-19"},
    }
    assert recipients(owners) == dict.fromkeys([TOM, SINEAD, KWAME, AISHA], 1)
    assert "has now been escalated" in " ".join(texts_of(owners[0]))
    assert {o.kind for o in report.sent} == {
        "escalation",
        "escalation_owner",
        "summary:2020-01-27",
    }
    [summary] = [c for c in dms(fake_slack)[before:] if c.args["channel"] == PRIYA]
    assert refs_in(summary) == ALL_Q3 - {"ACT-9"}
    assert header_of(summary) == "Escalated: Q3 2019/20, 16 of 17 actions"


def test_admins_get_a_daily_summary_from_the_deadline_until_the_period_is_locked(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    days = [at(2020, 1, d, 10) for d in (22, 23, 24, 25, 27, 28)]
    for when in days:
        tick(runtime, when)
        tick(runtime, when + dt.timedelta(hours=3))
    headers = [header_of(c) for c in dms_to(fake_slack, PRIYA)]
    assert headers == [
        "Still outstanding: Q3 2019/20, 17 of 17 actions",  # Thu 23, the deadline
        "Still outstanding: Q3 2019/20, 17 of 17 actions",  # Fri 24
        "Escalated: Q3 2019/20, 17 of 17 actions",  # Mon 27 (nothing on Saturday)
        "Still outstanding: Q3 2019/20, 17 of 17 actions",  # Tue 28
    ]
    with runtime.db.session() as session:
        session.execute(
            update(m.Period).where(m.Period.key == Q3).values(locked_at=at(2020, 1, 28, 17))
        )

    assert tick(runtime, at(2020, 1, 29, 10)).sent == []
    assert len(dms_to(fake_slack, PRIYA)) == 4


# -- 4. catch-up, weekends, bank holidays, 09:30 ------------------------------------------------


def test_catch_up_after_downtime_sends_each_owner_only_the_overdue_dm(
    runtime_each_db: Runtime, fake_slack: FakeSlack
) -> None:
    runtime = runtime_each_db
    # The bot was down from before the window (9 Jan) until the day after the deadline.
    report = tick(runtime, at(2020, 1, 24, 11, 5))
    tick(runtime, at(2020, 1, 24, 11, 10))

    owner_dms = [c for c in dms(fake_slack) if c.args["channel"] in Q3_OUTSTANDING]
    assert recipients(owner_dms) == dict.fromkeys(Q3_OUTSTANDING, 1)
    assert {header_of(c) for c in owner_dms} == {
        "Overdue: Q3 2019/20 updates were due Thu 23 Jan 2020"
    }
    assert {o.kind for o in report.sent} == {"overdue", "summary:2020-01-24"}
    assert {d.kind for d in deliveries(runtime.db)} == {"overdue", "summary:2020-01-24"}


def test_a_bot_down_until_escalation_day_still_tells_every_owner_once(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    # Down from before the window (9 Jan) until escalation day: nobody is forgotten. Each
    # owner is told once (in a director's list, or in their own DM), never per missed step.
    report = tick(runtime, at(2020, 1, 27, 10, 0))
    tick(runtime, at(2020, 1, 27, 10, 5))

    told: dict[str, set[str]] = defaultdict(set)
    for call in dms(fake_slack):
        if call.args["channel"] != PRIYA:
            told[str(call.args["channel"])] |= refs_in(call)
    for owner, refs in Q3_OUTSTANDING.items():
        assert refs <= told[owner], owner
    assert recipients(dms(fake_slack)) == dict.fromkeys([*Q3_OUTSTANDING, OLIVER, PRIYA], 1)
    assert {o.kind for o in report.sent} == {
        "escalation",
        "escalation_owner",
        "summary:2020-01-27",
    }


def test_nothing_is_sent_at_weekends_on_bank_holidays_or_before_0930(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    saturday = tick(runtime, at(2020, 1, 25, 12))
    sunday = tick(runtime, at(2020, 1, 26, 9, 30))
    early = tick(runtime, at(2020, 1, 24, 9, 29, 59))
    good_friday = tick(runtime, at(2020, 4, 10, 10))
    easter_monday = tick(runtime, at(2020, 4, 13, 10))

    assert dms(fake_slack) == []
    assert saturday.idle == "Saturday is not a working day"
    assert sunday.idle == "Sunday is not a working day"
    assert early.idle == "reminders go out from 09:30 (Europe/London)"
    assert good_friday.idle == "Fri 10 Apr 2020 is a bank holiday (Good Friday)"
    assert easter_monday.idle is not None and "Easter Monday" in easter_monday.idle
    assert due_reminders(runtime.request(now=at(2020, 1, 25, 12))) == []
    # The same moments a working day later, at 09:30, do send.
    assert tick(runtime, at(2020, 1, 24, 9, 30)).sent
    assert tick(runtime, at(2020, 4, 14, 9, 30)).sent  # Q3 still open: escalation, late


# -- away and delegates ------------------------------------------------------------------------


def set_away(db: Database, who: str, until: dt.date, delegate: str | None) -> None:
    with db.session() as session:
        person = session.scalar(select(m.Person).where(m.Person.slack_id == who))
        assert person is not None
        person.away_from, person.away_to = dt.date(2020, 1, 1), until
        person.delegate = (
            session.scalar(select(m.Person).where(m.Person.slack_id == delegate))
            if delegate
            else None
        )


def test_reminders_of_an_away_owner_go_to_their_delegate(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    set_away(runtime.db, TOM, dt.date(2020, 1, 31), delegate=SINEAD)

    tick(runtime, at(2020, 1, 9))

    assert dms_to(fake_slack, TOM) == []
    [sinead] = dms_to(fake_slack, SINEAD)  # one DM: her actions and Tom's
    assert refs_in(sinead) == {"ACT-9", "ACT-12", "ACT-3", "ACT-6"}
    text = " ".join(texts_of(sinead))
    assert "Tom Ellis is away until Fri 31 Jan 2020; you are their delegate." in text
    assert "for Tom Ellis" in text


def test_away_owner_without_a_delegate_is_covered_by_their_director(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    set_away(runtime.db, TOM, dt.date(2020, 1, 10), delegate=None)

    tick(runtime, at(2020, 1, 9))
    tick(runtime, at(2020, 1, 16))  # Tom is back

    [invitation, reminder] = dms_to(fake_slack, HELEN)
    assert refs_in(invitation) == {"ACT-4", "ACT-7", "ACT-3", "ACT-6"}
    assert "you are their director" in " ".join(texts_of(invitation))
    assert refs_in(reminder) == {"ACT-4", "ACT-7"}
    assert [refs_in(c) for c in dms_to(fake_slack, TOM)] == [{"ACT-3", "ACT-6"}]


# -- 6. Slack faults ------------------------------------------------------------------------------


def test_every_reminder_is_delivered_exactly_once_when_a_third_of_calls_fail(
    runtime_each_db: Runtime, fake_slack: FakeSlack
) -> None:
    runtime = runtime_each_db
    fake_slack.fault_rate(1 / 3, seed=1, kinds=("429", "500", "503", "drop", "reset"))

    for when in (at(2020, 1, 9), at(2020, 1, 27)):
        for minutes in range(0, 100, 5):  # ticks every five minutes until nothing is left
            report = tick(runtime, when + dt.timedelta(minutes=minutes))
            if not report.retry_later and not report.sent:
                break

    kinds = {fault.kind for fault in fake_slack.faults}
    assert "429" in kinds and {"500", "503"} & kinds and {"drop", "reset"} & kinds
    expected = Counter(dict.fromkeys(Q3_OUTSTANDING, 1)) + Counter(dict.fromkeys(Q3_ESCALATION, 1))
    expected[PRIYA] += 1  # the escalation summary
    for owner in (TOM, SINEAD, KWAME, AISHA):  # told their updates went to the director
        expected[owner] += 1
    assert recipients(dms(fake_slack)) == expected
    assert {d.state for d in deliveries(runtime.db)} == {"sent"}


def test_a_message_that_still_fails_is_left_for_the_next_tick(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", status=500, count=5)  # outlasts four retries

    first = tick(runtime, at(2020, 1, 9))

    assert len(first.retry_later) == 1 and len(first.sent) == len(Q3_OUTSTANDING) - 1
    missed = first.retry_later[0].recipient.slack_id
    assert missed not in {d.recipient for d in deliveries(runtime.db)}  # released, not "sent"
    second = tick(runtime, at(2020, 1, 9, 9, 35))
    assert [o.recipient.slack_id for o in second.sent] == [missed]
    assert recipients(dms(fake_slack)) == dict.fromkeys(Q3_OUTSTANDING, 1)


def test_one_bad_item_does_not_stop_the_batch(
    runtime: Runtime, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.delivery.reminders as service

    real = service._RENDERERS[ReminderAudience.OWNER]

    def broken_for_tom(reminder: ReminderDM) -> Any:
        if reminder.recipient.slack_id == TOM:
            raise ValueError("a row the renderer cannot handle")
        return real(reminder)

    monkeypatch.setitem(service._RENDERERS, ReminderAudience.OWNER, broken_for_tom)

    report = tick(runtime, at(2020, 1, 9))

    assert [o.recipient.slack_id for o in report.retry_later] == [TOM]
    assert recipients(dms(fake_slack)) == dict.fromkeys(set(Q3_OUTSTANDING) - {TOM}, 1)
    assert TOM not in {d.recipient for d in deliveries(runtime.db)}


def test_deactivated_user_is_reported_to_the_admins_once_and_the_rest_are_reminded(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.deactivate(TOM)
    fake_slack.missing(AISHA)

    first = tick(runtime, at(2020, 1, 9))
    tick(runtime, at(2020, 1, 9, 10))
    tick(runtime, at(2020, 1, 16))

    reached = set(Q3_OUTSTANDING) - {TOM, AISHA}
    assert recipients(dms(fake_slack)) == {**dict.fromkeys(reached, 2), PRIYA: 2}
    assert {o.recipient.slack_id for o in first.undeliverable} == {TOM, AISHA}
    reports = [" ".join(texts_of(c)) for c in dms_to(fake_slack, PRIYA)]
    assert sum("Tom Ellis (U0BS00002)" in r for r in reports) == 1
    assert sum("Aisha Rahman (U0IT00002)" in r for r in reports) == 1
    # Found by users.info before anything was posted to them, and reported with its answer.
    [tom_report] = [r for r in reports if "Tom Ellis" in r]
    [aisha_report] = [r for r in reports if "Aisha Rahman" in r]
    assert "deleted: true" in tom_report and "user_not_found" in aisha_report
    # The programme office is told in words what to do about someone who has left.
    assert "has been deactivated" in tom_report and "need a new owner" in tom_report
    assert "deactivated" not in aisha_report
    tried = fake_slack.calls_to("chat.postMessage") + fake_slack.faults_for("chat.postMessage")
    assert not {TOM, AISHA} & {str(c.args.get("channel")) for c in tried}


def reminded_ok(db: Database) -> set[tuple[str, str]]:
    """(kind, recipient) of every delivery recorded as sent."""
    return {(d.kind, d.recipient) for d in deliveries(db) if d.state == "sent"}


def users_info_lookups(fake: FakeSlack) -> Counter[str]:
    return Counter(str(call.args["user"]) for call in fake.calls_to("users.info"))


def test_a_deactivated_owner_whom_slack_would_accept_is_not_reminded_and_is_reported_once(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.deactivate(TOM)
    # The fake, as real Slack, would take a post to them: nothing may be sent.

    first = tick(runtime, at(2020, 1, 9))
    again = tick(runtime, at(2020, 1, 9, 11))
    next_step = tick(runtime, at(2020, 1, 16))

    assert dms_to(fake_slack, TOM) == []  # nothing posted to him, and nothing tried
    assert all(f.args.get("channel") != TOM for f in fake_slack.faults_for("chat.postMessage"))
    assert [o.recipient.slack_id for o in first.undeliverable] == [TOM]
    assert [o.recipient.slack_id for o in next_step.undeliverable] == [TOM]
    assert not {r for _, r in reminded_ok(runtime.db)} & {TOM}
    assert {d.state for d in deliveries(runtime.db) if d.recipient == TOM} == {"failed"}
    # Everyone else is reminded at each step; the programme office hears of Tom once, by name.
    others = set(Q3_OUTSTANDING) - {TOM}
    assert recipients(dms(fake_slack)) == {**dict.fromkeys(others, 2), PRIYA: 1}
    [told] = dms_to(fake_slack, PRIYA)
    assert "Tom Ellis (U0BS00002)" in " ".join(texts_of(told))
    assert "deleted: true" in " ".join(texts_of(told))
    assert again.sent == [] and [o.kind for o in next_step.sent].count("unreachable:" + TOM) == 0


def test_a_deactivated_delegate_is_skipped_and_reported_not_recorded_as_reminding(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    set_away(runtime.db, TOM, dt.date(2020, 1, 31), delegate=SINEAD)
    fake_slack.deactivate(SINEAD)

    report = tick(runtime, at(2020, 1, 9))

    assert dms_to(fake_slack, SINEAD) == [] and dms_to(fake_slack, TOM) == []
    assert [o.recipient.slack_id for o in report.undeliverable] == [SINEAD]
    assert ("invitation", SINEAD) not in reminded_ok(runtime.db)
    [told] = dms_to(fake_slack, PRIYA)
    assert "Sinead" in " ".join(texts_of(told))


def test_at_escalation_a_deactivated_director_gets_nothing_and_each_person_is_looked_up_once(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.deactivate(HELEN)

    report = tick(runtime, at(2020, 1, 27))  # a bot down until escalation day

    assert dms_to(fake_slack, HELEN) == []
    assert {o.kind for o in report.undeliverable} == {"escalation"}
    assert ("escalation", HELEN) not in reminded_ok(runtime.db)
    # Directors, owners told of the escalation, and the admin (a summary and the report of
    # Helen: two messages, one users.info): each person is looked up once in the run.
    reached = recipients(dms(fake_slack))
    assert reached[PRIYA] == 2
    assert set(reached) == (set(Q3_ESCALATION) - {HELEN}) | {TOM, SINEAD, KWAME, AISHA, PRIYA}
    assert users_info_lookups(fake_slack) == dict.fromkeys([*reached, HELEN], 1)
    [reported] = [" ".join(texts_of(c)) for c in dms_to(fake_slack, PRIYA)[1:]]
    assert "Helen Wright (U0BS00001)" in reported and "deleted: true" in reported

    later = tick(runtime, at(2020, 1, 27, 14))  # the same step again: nothing new, no look-ups

    assert later.sent == [] and later.undeliverable == []
    assert users_info_lookups(fake_slack) == dict.fromkeys([*reached, HELEN], 1)
    assert len(dms_to(fake_slack, PRIYA)) == 2


def test_a_users_info_lookup_slack_cannot_answer_leaves_the_reminder_for_the_next_tick(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("users.info", status=500, count=5)  # outlasts the client's retries

    first = tick(runtime, at(2020, 1, 9))

    [missed] = [o.recipient.slack_id for o in first.retry_later]
    assert first.undeliverable == []
    assert missed not in recipients(dms(fake_slack))  # not sent blind, not marked anything
    assert missed not in {d.recipient for d in deliveries(runtime.db)}
    second = tick(runtime, at(2020, 1, 9, 9, 35))
    assert [o.recipient.slack_id for o in second.sent] == [missed]
    assert recipients(dms(fake_slack)) == dict.fromkeys(Q3_OUTSTANDING, 1)  # no admin report


def test_users_info_refused_for_want_of_the_scope_still_sends_the_reminders(
    runtime: Runtime, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    # An app installed before users:read was added answers missing_scope: nobody can be
    # checked, and nobody must go unreminded for it.
    fake_slack.fail_next("users.info", error="missing_scope", count=len(Q3_OUTSTANDING))

    with caplog.at_level(logging.WARNING):
        report = tick(runtime, at(2020, 1, 9))

    assert len(report.sent) == len(Q3_OUTSTANDING) and report.retry_later == []
    assert recipients(dms(fake_slack)) == dict.fromkeys(Q3_OUTSTANDING, 1)
    warnings = [r.getMessage() for r in caplog.records if "deactivated" in r.getMessage()]
    assert warnings == ["cannot tell whether users are deactivated: users.info: missing_scope"]


def test_invalid_auth_stops_the_run_with_one_clear_error(
    runtime: Runtime, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    import jobs.reminders

    fake_slack.fail_next("chat.postMessage", error="invalid_auth")
    assert isinstance(runtime.clock, Clock)
    runtime.clock.moment = at(2020, 1, 9)

    with caplog.at_level(logging.INFO):
        report = jobs.reminders.tick(runtime, pace=0)

    assert report.stopped == "Slack refused the bot token (invalid_auth); check SLACK_BOT_TOKEN."
    assert not report.ok and report.sent == []
    assert len(fake_slack.faults_for("chat.postMessage")) == 1  # nothing tried after it
    assert dms(fake_slack) == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [
        "reminders stopped: Slack refused the bot token (invalid_auth); check SLACK_BOT_TOKEN."
    ]
    assert deliveries(runtime.db) == []  # the claim was released
    assert len(tick(runtime, at(2020, 1, 9, 9, 35)).sent) == len(Q3_OUTSTANDING)


def test_reminders_run_says_what_it_sent_and_stops_on_a_refused_token(
    plan_db: Database, fake_slack: FakeSlack, cli_env: dict[str, str]
) -> None:
    sample_db = plan_db
    env = {**cli_env, "DATABASE_URL": sample_db.url}

    saturday = run_cli(env, "reminders", "run", "--now", "2020-01-25T10:00:00", "--pace", "0")
    fake_slack.fail_next("chat.postMessage", error="token_revoked")
    refused = run_cli(env, "reminders", "run", "--now", "2020-01-09T09:30:00", "--pace", "0")
    sent = run_cli(env, "reminders", "run", "--now", "2020-01-09T09:31:00Z", "--pace", "0")

    assert saturday.exit_code == 0 and "Nothing sent: Saturday is not a working day." in (
        saturday.output
    )
    assert refused.exit_code == 1
    assert refused.stderr.count("Slack refused the bot token (token_revoked)") == 1
    assert sent.exit_code == 0, sent.output
    assert f"Sent {len(Q3_OUTSTANDING)} message(s):" in sent.output
    assert "2019-20-Q3 invitation → Tom Ellis (U0BS00002) (ACT-3, ACT-6)" in sent.output
    assert recipients(dms(fake_slack)) == dict.fromkeys(Q3_OUTSTANDING, 1)


def test_posts_are_paced_at_slacks_rate(runtime: Runtime, fake_slack: FakeSlack) -> None:
    clock, pauses = [0.0], []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        clock[0] += seconds

    pacer = Pacer(1.0, sleep=sleep, monotonic=lambda: clock[0])
    report = run_tick(runtime, at(2020, 1, 9), pacer=pacer)

    assert len(report.sent) == len(Q3_OUTSTANDING)
    assert pauses == [1.0] * (len(Q3_OUTSTANDING) - 1)  # a second before every post but one


def test_pacer_spaces_posts_by_the_interval() -> None:
    now = [100.0]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds

    pacer = Pacer(1.0, sleep=sleep, monotonic=lambda: now[0])
    pacer.wait()
    now[0] += 0.25
    pacer.wait()
    now[0] += 3.0
    pacer.wait()

    assert pauses == [0.75]


# -- BST/GMT -------------------------------------------------------------------------------------


def test_reminders_go_out_at_0930_london_time_across_the_march_clock_change(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    # Meeting Fri 17 Apr 2020: window Tue 17 Mar and reminder Tue 24 Mar (GMT, 09:30 UTC);
    # final reminder Mon 30 Mar (BST since Sun 29 Mar, 08:30 UTC).
    set_meeting(runtime.db, "2019-20-Q4", dt.date(2020, 4, 17))

    def kinds(report: TickReport) -> set[str]:
        return {o.kind for o in report.sent}

    assert kinds(tick(runtime, utc(2020, 3, 17, 9, 30))) == {"invitation"}
    assert kinds(tick(runtime, utc(2020, 3, 24, 9, 29, 59))) == set()
    assert kinds(tick(runtime, utc(2020, 3, 24, 9, 30))) == {"reminder"}
    assert kinds(tick(runtime, utc(2020, 3, 30, 8, 29, 59))) == set()
    assert kinds(tick(runtime, utc(2020, 3, 30, 8, 30))) == {"final_reminder"}
    assert {o.period_key for o in tick(runtime, utc(2020, 3, 31, 8, 30)).sent} == {"2019-20-Q4"}


def test_reminders_go_out_at_0930_london_time_across_the_october_clock_change(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    # Meeting Fri 6 Nov 2020 for Q2 2020/21: overdue Fri 23 Oct (BST, 08:30 UTC), escalation
    # Mon 26 Oct (GMT since Sun 25 Oct, 09:30 UTC).
    set_meeting(runtime.db, "2020-21-Q2", dt.date(2020, 11, 6))

    assert tick(runtime, utc(2020, 10, 23, 8, 29, 59)).sent == []
    overdue = tick(runtime, utc(2020, 10, 23, 8, 30))
    assert {o.kind for o in overdue.sent} == {"overdue", "summary:2020-10-23"}
    assert {o.period_key for o in overdue.sent} == {"2020-21-Q2"}
    assert tick(runtime, utc(2020, 10, 26, 9, 29, 59)).sent == []
    escalation = tick(runtime, utc(2020, 10, 26, 9, 30))
    assert {o.kind for o in escalation.sent} == {
        "escalation",
        "escalation_owner",
        "summary:2020-10-26",
    }


# -- exactly once: claims ------------------------------------------------------------------------


def test_a_claim_is_exclusive_and_a_dead_senders_claim_is_taken_over(sample_db: Database) -> None:
    with sample_db.session() as session:
        plan_id = resolve_plan(session, None).id
    key = DeliveryKey(plan_id, Q3, "invitation", TOM)
    now = utc(2020, 1, 9, 9, 30)

    first = claim_delivery(sample_db, key, now=now)
    assert first is not None
    assert claim_delivery(sample_db, key, now=now) is None
    assert claim_delivery(sample_db, key, now=now + dt.timedelta(minutes=9)) is None
    taken = claim_delivery(sample_db, key, now=now + dt.timedelta(minutes=11))
    assert taken is not None and taken.token != first.token
    mark_sent(sample_db, first, now=now)  # the first sender is too late: nothing changes
    assert [d.state for d in deliveries(sample_db)] == ["claimed"]
    mark_sent(sample_db, taken, now=now)
    assert [d.state for d in deliveries(sample_db)] == ["sent"]
    assert claim_delivery(sample_db, key, now=now + dt.timedelta(days=30)) is None


# -- Slack's limits ------------------------------------------------------------------------------

HOSTILE = "<!channel> & <@U0BOSS> <https://evil.example|click>"


def add_busy_owner(db: Database, count: int, *, note_chars: int = 600) -> str:
    """A plan of its own: one owner with `count` open actions, long titles and notes."""
    owner_id = "U0BUSY0001"
    with db.session() as session:
        plan = m.Plan(key="busy", name="Busy plan", created_at=utc(2019, 12, 1, 9, 0))
        session.add(plan)
        session.flush()
        directorate = m.Directorate(plan_id=plan.id, name=f"Finance {HOSTILE}")
        theme = m.Theme(plan_id=plan.id, name="Savings", position=0)
        owner = m.Person(
            plan_id=plan.id,
            slack_id=owner_id,
            name=f"Busy {HOSTILE}",
            role="owner",
            directorate=directorate,
        )
        session.add_all([directorate, theme, owner])
        q2 = m.Period(plan_id=plan.id, key="2019-20-Q2", meeting_date=dt.date(2019, 10, 18))
        q3 = m.Period(plan_id=plan.id, key=Q3, meeting_date=dt.date(2020, 2, 7))
        session.add_all([q2, q3])
        session.flush()
        for number in range(1, count + 1):
            action = m.Action(
                plan_id=plan.id,
                ref=f"ACT-{number}",
                number=number,
                title=f"Action {number} {HOSTILE} " + "x" * 400,
                theme_id=theme.id,
                directorate_id=directorate.id,
                owner_id=owner.id,
                target_date=dt.date(2020, 12, 31),
                closed=False,
            )
            session.add(action)
            session.flush()
            session.add(
                m.Update(
                    action_id=action.id,
                    period_id=q2.id,
                    status="green",
                    note=(HOSTILE + " ") * (note_chars // len(HOSTILE)),
                    source="import",
                    created_at=utc(2019, 12, 1, 9, 0),
                )
            )
    return owner_id


def assert_within_slack_limits(call: Call) -> None:
    blocks = call.args["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    for text in [call.args["text"], *texts_of(call)]:
        assert "<!channel>" not in text and "<@U0BOSS>" not in text and "<https" not in text


@pytest.mark.parametrize("count", [4, 30, 120])
def test_an_owner_with_many_actions_gets_one_message_listing_them_all(
    sqlite_url: str, fake_slack: FakeSlack, count: int
) -> None:
    db = Database(sqlite_url)
    db.create_all()
    owner = add_busy_owner(db, count)
    runtime = make_runtime(db, fake_slack)

    run_tick(runtime, at(2020, 1, 9), plan_key="busy", pace=0)

    [message] = dms_to(fake_slack, owner)
    assert_within_slack_limits(message)
    assert refs_in(message) == {f"ACT-{n}" for n in range(1, count + 1)}
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in " ".join(texts_of(message))
    db.dispose()


def test_an_enormous_list_is_cut_to_fifty_blocks_and_says_so(
    sqlite_url: str, fake_slack: FakeSlack
) -> None:
    db = Database(sqlite_url)
    db.create_all()
    owner = add_busy_owner(db, 400, note_chars=2500)
    runtime = make_runtime(db, fake_slack)

    run_tick(runtime, at(2020, 1, 24), plan_key="busy", pace=0)

    [message] = dms_to(fake_slack, owner)
    assert_within_slack_limits(message)
    assert "open planbot to see them all" in " ".join(texts_of(message))
    db.dispose()


# -- the scheduler -------------------------------------------------------------------------------


def test_scheduler_ticks_every_few_minutes_in_the_plan_time_zone_and_at_once(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import jobs.reminders
    from jobs.scheduler import TICK_JOB_ID, start_scheduler

    ran = threading.Event()
    monkeypatch.setattr(jobs.reminders, "tick", lambda rt: ran.set())

    scheduler = start_scheduler(runtime)
    try:
        assert ran.wait(10), "the first tick should run as soon as the scheduler starts"
        job = scheduler.get_job(TICK_JOB_ID)
        assert job.trigger.interval == dt.timedelta(minutes=runtime.settings.planbot_tick_minutes)
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.misfire_grace_time == runtime.settings.planbot_tick_minutes * 60
        assert str(scheduler.timezone) == "Europe/London"
    finally:
        scheduler.shutdown(wait=True)


def test_a_failing_job_does_not_stop_the_other(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import jobs.reminders
    import jobs.scheduler

    called: list[str] = []

    def broken(rt: Runtime) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr(jobs.reminders, "tick", broken)
    monkeypatch.setattr(jobs.scheduler, "_digest_tick", lambda: lambda rt: called.append("d"))

    with caplog.at_level(logging.ERROR):
        jobs.scheduler.run_jobs(runtime)

    assert called == ["d"]
    assert "the reminder tick failed" in caplog.text


def test_the_job_tick_reads_the_clock_once_and_sends_what_is_due(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    import jobs.reminders

    assert isinstance(runtime.clock, Clock)
    runtime.clock.moment = at(2020, 1, 25, 10)
    assert jobs.reminders.tick(runtime).idle == "Saturday is not a working day"
    runtime.clock.moment = at(2020, 1, 9, 9, 30)
    report = jobs.reminders.tick(runtime, pace=0)
    assert len(report.sent) == len(Q3_OUTSTANDING)


def test_preview_service_lists_recipients_for_a_plan_period(plan_db: Database) -> None:
    calendar = preview(ctx(plan_db, at(2020, 1, 2)), period="Q3 2019/20")

    assert calendar.period_key == Q3 and calendar.outstanding == 17
    by_step = {s.step: s for s in calendar.steps}
    assert {m.recipient.slack_id for m in by_step[Step.INVITATION].messages} == set(Q3_OUTSTANDING)
    assert all(s.working_day for s in calendar.steps)


def test_no_daily_summary_when_turned_off(plan_db: Database, fake_slack: FakeSlack) -> None:
    sample_db = plan_db
    rules = CycleRules(admin_daily_summary=False)
    runtime = make_runtime(sample_db, fake_slack, cycle=Cycle(rules=rules))

    for day in (23, 24, 27, 28):
        tick(runtime, at(2020, 1, day, 10))

    assert [header_of(c) for c in dms_to(fake_slack, PRIYA)] == [
        "Escalated: Q3 2019/20, 17 of 17 actions"
    ]
    with sample_db.session() as session:
        kinds = session.scalars(select(m.Delivery.kind).where(m.Delivery.recipient == PRIYA)).all()
    assert kinds == ["summary"]
