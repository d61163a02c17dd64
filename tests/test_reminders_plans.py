"""Reminders across several plans: each plan's own calendar, one DM per person per step.

The three plans of tests/support/three_plans.py meet on Thu 10 Dec 2026 for 2026-27-Q3.
England (`improvement`, `strategy`): window Wed 11 Nov, reminder 18 Nov, final reminder
24 Nov, deadline Wed 25 Nov, overdue 26 Nov, escalation Fri 27 Nov. Scotland (`scottish`,
St Andrew's Day Mon 30 Nov counted): each a working day earlier, deadline Tue 24 Nov.
Every action has a Q2 update, so only Q3 is chased. Messages go through the real notifier to
the strict fake Slack.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support.fakeslack import Call, FakeSlack
from support.slackapp import make_runtime
from support.three_plans import (
    DIANA,
    MEETING,
    NIA,
    OMAR,
    PERIOD,
    PRIYA,
    ROSS,
    SAM,
    load_three_plans,
)
from test_reminders import Clock, buttons_in, run_cli, texts_of
from test_reminders import cli_env as cli_env  # a fixture, used by name

from bot.delivery.reminders import TickReport, run_tick
from bot.domain.calendar import Cycle, Step
from bot.domain.periods import Period
from bot.domain.plan_rules import plan_rules
from bot.model.reminders import Reminder, ReminderAudience, ReminderDM
from bot.runtime import Runtime
from bot.services.claims import DeliveryKey, claim_deliveries, mark_sent
from bot.services.plans import period_row, resolve_plan
from bot.services.reminder_dms import group_dms
from bot.services.reminders import due_reminders
from storage import models as m
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
Q2 = "2026-27-Q2"
# Each action's Q2 status: SP-1's in the strategy's own scheme.
Q2_STATUSES = {
    ("improvement", "ACT-1"): "green",
    ("improvement", "ACT-2"): "green",
    ("strategy", "SP-1"): "minor_delay",
    ("strategy", "SP-2"): "on_track",
    ("scottish", "ACT-1"): "green",
    ("scottish", "ACT-3"): "green",
}


def at(month: int, day: int, hour: int = 9, minute: int = 30) -> dt.datetime:
    """A moment in London in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def give_update(db: Database, plan_key: str, ref: str, period: str, status: str) -> None:
    """An update as an import records it (each plan's scheme is the /update owners' part)."""
    with db.session() as session:
        plan = resolve_plan(session, plan_key)
        action = session.scalar(
            select(m.Action).where(m.Action.plan_id == plan.id, m.Action.ref == ref)
        )
        assert action is not None
        session.add(
            m.Update(
                action_id=action.id,
                period_id=period_row(session, plan, Period.from_key(period)).id,
                status=status,
                note="Going to plan.",
                source="import",
                created_at=dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC),
            )
        )


def give_q2_updates(db: Database) -> None:
    """A Q2 update for every action, so Q2 is done and the Q3 DMs show a last status."""
    for (key, ref), status in Q2_STATUSES.items():
        give_update(db, key, ref, Q2, status)


@pytest.fixture
def plans_db(db: Database, tmp_path: Path) -> Database:
    """The three plans, on SQLite and on PostgreSQL."""
    load_three_plans(db, tmp_path / "plans")
    give_q2_updates(db)
    return db


@pytest.fixture
def runtime(plans_db: Database, fake_slack: FakeSlack) -> Runtime:
    return make_runtime(plans_db, fake_slack, clock=Clock(at(11, 2)))


def tick(runtime: Runtime, when: dt.datetime) -> TickReport:
    return run_tick(runtime, when, pace=0)


def dms_to(fake: FakeSlack, user: str) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == user]


def refs_in(call: Call) -> set[str]:
    """Every ref a message lists (`*ACT-1*`, `*SP-2*`)."""
    return {ref for text in texts_of(call) for ref in re.findall(r"\*([A-Z]+-\d+)\*", text)}


def plan_sections(call: Call) -> dict[str, str]:
    """Each plan's part of a DM of several plans, by the plan's name: the text from its
    heading (`*Strategy 2020-23*: …`) to the next plan's."""
    names = ("Improvement", "Strategy 2020-23", "Scottish Improvement Plan")
    whole = "\n".join(texts_of(call))
    found = {}
    for name in names:
        start = whole.find(f"*{name}*:")
        if start >= 0:
            ends = [whole.find(f"*{o}*:", start + 1) for o in names if o != name]
            end = min([e for e in ends if e > start] or [len(whole)])
            found[name] = whole[start:end]
    return found


def delivery_rows(db: Database, recipient: str) -> list[tuple[str, str, str, str]]:
    """(plan, period, kind, state) of every claim for `recipient`."""
    with db.session() as session:
        rows = session.execute(
            select(m.Plan.key, m.Delivery.period_key, m.Delivery.kind, m.Delivery.state)
            .join(m.Plan, m.Plan.id == m.Delivery.plan_id)
            .where(m.Delivery.recipient == recipient)
            .order_by(m.Delivery.id)
        ).all()
        return [(p, period, kind, state) for p, period, kind, state in rows]


# -- each plan's own calendar --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subdiv", "deadline", "holidays"),
    [
        # St Andrew's Day, Mon 30 Nov 2026, is a Scottish bank holiday: a day earlier.
        ("SCT", dt.date(2026, 11, 24), [(dt.date(2026, 11, 30), "Saint Andrew's Day")]),
        ("ENG", dt.date(2026, 11, 25), []),
        # Wales has no bank holiday between the window and the meeting (St David's Day is not
        # one): the same as England.
        ("WLS", dt.date(2026, 11, 25), []),
    ],
)
def test_a_meeting_on_10_december_2026_gives_each_nations_update_deadline(
    subdiv: str, deadline: dt.date, holidays: list[tuple[dt.date, str]]
) -> None:
    from bot.services.reminder_calendar import skipped_holidays

    cycle = plan_rules({"holidays_subdiv": subdiv}, [], Cycle()).cycle
    schedule = cycle.schedule(Period.from_key(PERIOD), MEETING)

    assert schedule.publication_deadline == dt.date(2026, 12, 2)
    assert schedule.update_deadline == deadline
    assert list(skipped_holidays(cycle, schedule)) == holidays
    assert all(cycle.calendar.is_working_day(day) for _, day in schedule.steps)
    assert cycle.calendar.is_working_day(dt.date(2026, 11, 30)) is (subdiv != "SCT")


def test_preview_of_the_scottish_plan_counts_st_andrews_day(
    plans_db: Database, cli_env: dict[str, str]
) -> None:
    env = {**cli_env, "DATABASE_URL": plans_db.url}

    result = run_cli(env, "reminders", "preview", "--plan", "scottish", "--period", PERIOD)

    assert result.exit_code == 0, result.output
    out = result.output
    assert "plan scottish (Scottish Improvement Plan)" in out
    assert (
        "Meeting Thu 10 Dec 2026 · publication deadline Wed 2 Dec 2026 · "
        "update deadline Tue 24 Nov 2026"
    ) in out
    assert "GB-SCT bank holidays" in out
    assert "not counted as working days: Mon 30 Nov 2026 (Saint Andrew's Day)." in out
    for line in (
        "Tue 10 Nov 2026 09:30 GMT  Window opens",
        "Tue 24 Nov 2026 09:30 GMT  Deadline day",
        "Thu 26 Nov 2026 09:30 GMT  Escalation to directors",
    ):
        assert line in out
    assert "  Nia Evans: ACT-1" in out and "  Ross Campbell: ACT-3" in out
    assert "Sam Patel" not in out  # not one of this plan's people

    english = run_cli(env, "reminders", "preview", "--plan", "improvement", "--period", PERIOD)
    assert english.exit_code == 0, english.output
    assert "update deadline Wed 25 Nov 2026" in english.output
    assert "Saint Andrew" not in english.output and "GB-ENG bank holidays" in english.output


def test_preview_with_several_plans_and_none_named_lists_their_keys(
    plans_db: Database, cli_env: dict[str, str]
) -> None:
    env = {**cli_env, "DATABASE_URL": plans_db.url}

    refused = run_cli(env, "reminders", "preview", "--period", PERIOD)
    by_default = run_cli({**env, "PLANBOT_PLAN": "scottish"}, "reminders", "preview")

    assert refused.exit_code == 1
    assert "several plans" in refused.stderr
    assert "improvement, scottish, strategy" in refused.stderr
    assert by_default.exit_code == 0, by_default.output  # PLANBOT_PLAN: the CLI's default
    assert "plan scottish (Scottish Improvement Plan)" in by_default.output


def test_reminders_run_sends_for_every_plan_whatever_the_default_plan(
    plans_db: Database, cli_env: dict[str, str], fake_slack: FakeSlack
) -> None:
    env = {**cli_env, "DATABASE_URL": plans_db.url, "PLANBOT_PLAN": "scottish"}
    moment = ["--now", "2026-11-11T09:30:00", "--pace", "0"]

    only = run_cli(env, "reminders", "run", "--plan", "strategy", *moment)
    every = run_cli(env, "reminders", "run", *moment)

    assert only.exit_code == 0, only.output
    assert only.output.splitlines() == [
        "Sent 2 message(s):",
        "  2026-27-Q3 invitation → Sam Patel (U0SAM00001) (SP-1)",
        "  2026-27-Q3 invitation → Omar Farouk (U0OMAR0001) (SP-2)",
    ]
    assert every.exit_code == 0, every.output
    # Sam's strategy share went with --plan strategy: his improvement one goes on its own.
    assert "  2026-27-Q3 invitation → Sam Patel (U0SAM00001) (ACT-2)" in every.output
    assert (
        "  2026-27-Q3 invitation → Nia Evans (U0NIA00001) (improvement ACT-1, scottish ACT-1)"
    ) in every.output
    assert "Ross Campbell" in every.output and "Omar Farouk" not in every.output
    assert "1 message(s) were already sent or being sent." in every.output


# -- one DM per person per step, across plans ----------------------------------------------------


def test_an_owner_in_two_plans_gets_one_dm_per_step_listing_both_grouped_by_plan(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    report = tick(runtime, at(11, 11))

    [dm] = dms_to(fake_slack, SAM)
    assert refs_in(dm) == {"ACT-2", "SP-1"}
    assert dm.args["blocks"][0]["text"]["text"] == "Time to update your actions for Q3 2026/27"
    parts = plan_sections(dm)
    assert set(parts) == {"Improvement", "Strategy 2020-23"}
    assert "*ACT-2*" in parts["Improvement"] and "SP-1" not in parts["Improvement"]
    assert "*SP-1*" in parts["Strategy 2020-23"] and "ACT-2" not in parts["Strategy 2020-23"]
    # Each plan's last status in its own scheme's words.
    assert "Q2 2026/27: :large_green_circle: On track" in parts["Improvement"]
    assert "Minor delay" in parts["Strategy 2020-23"]
    assert "At risk" not in parts["Strategy 2020-23"]
    confirms = {
        b["value"]: b["confirm"]["text"]["text"]
        for b in buttons_in(dm)
        if b["action_id"] == "no_change"
    }
    assert set(confirms) == {"ACT-2", "SP-1"}
    assert "Minor delay" in confirms["SP-1"] and "On track" in confirms["ACT-2"]
    [sent] = [o for o in report.sent if o.recipient.slack_id == SAM]
    assert (sent.plan_key, sent.kind) == ("improvement+strategy", "invitation")
    assert sent.refs == ("improvement ACT-2", "strategy SP-1")
    # One claim per plan, both sent: neither plan's share can go again.
    assert delivery_rows(runtime.db, SAM) == [
        ("improvement", PERIOD, "invitation", "sent"),
        ("strategy", PERIOD, "invitation", "sent"),
    ]

    again = tick(runtime, at(11, 11))
    later = tick(runtime, at(11, 11, 15))

    assert SAM not in {o.recipient.slack_id for o in [*again.sent, *later.sent]}
    assert len(dms_to(fake_slack, SAM)) == 1

    tick(runtime, at(11, 18))  # the next step: one more DM, again listing both
    [_, reminder] = dms_to(fake_slack, SAM)
    assert refs_in(reminder) == {"ACT-2", "SP-1"}
    assert set(plan_sections(reminder)) == {"Improvement", "Strategy 2020-23"}


def test_an_owner_whose_plans_steps_fall_on_different_days_gets_each_on_its_day(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    def titles(calls: list[Call]) -> set[str]:
        return {t for c in calls for t in texts_of(c) if "Scottish ledger" in t or "accounts" in t}

    tick(runtime, at(11, 10))  # the Scottish window opens a working day before England's

    [scottish] = dms_to(fake_slack, NIA)
    assert "Scottish Improvement Plan report" in " ".join(texts_of(scottish))
    assert "due by *Tue 24 Nov 2026*" in " ".join(texts_of(scottish))
    assert all("Close the accounts" not in t for t in texts_of(scottish))
    assert len(dms_to(fake_slack, ROSS)) == 1 and dms_to(fake_slack, SAM) == []

    tick(runtime, at(11, 11))

    [_, english] = dms_to(fake_slack, NIA)
    assert "Improvement report" in " ".join(texts_of(english))
    assert "due by *Wed 25 Nov 2026*" in " ".join(texts_of(english))
    assert all("Scottish ledger" not in t for t in texts_of(english))
    assert len(titles([scottish, english])) == 2

    # Tue 24 Nov: the Scottish deadline and England's final reminder, one DM for each step.
    tick(runtime, at(11, 24))

    headers = [c.args["blocks"][0]["text"]["text"] for c in dms_to(fake_slack, NIA)[2:]]
    assert sorted(headers) == [
        "Final reminder: Q3 2026/27 updates are due Wed 25 Nov 2026",
        "Q3 2026/27 updates are due today",
    ]
    assert delivery_rows(runtime.db, NIA) == [
        ("scottish", PERIOD, "invitation", "sent"),
        ("improvement", PERIOD, "invitation", "sent"),
        ("improvement", PERIOD, "final_reminder", "sent"),
        ("scottish", PERIOD, "deadline", "sent"),
    ]


def test_nothing_goes_out_on_st_andrews_day_in_scotland_but_england_goes_on(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    tick(runtime, at(11, 27))  # escalation in England; the Scottish plan is past its own
    before = len(fake_slack.calls_to("chat.postMessage"))

    report = tick(runtime, at(11, 30))

    assert report.idle is None
    assert {o.plan_key for o in report.sent} == {"improvement+strategy"}  # the daily summary
    assert [o.recipient.slack_id for o in report.sent] == [PRIYA]
    assert len(fake_slack.calls_to("chat.postMessage")) == before + 1
    # Before 09:30 nowhere may send: the tick says why, once for every plan.
    early = tick(runtime, at(12, 1, 9, 0))
    assert early.idle == "reminders go out from 09:30 (Europe/London)"


def test_directors_and_the_programme_office_get_one_message_a_step_grouped_by_plan(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    tick(runtime, at(11, 26))  # the Scottish escalation: Scotland's actions only

    [scottish] = dms_to(fake_slack, DIANA)
    assert refs_in(scottish) == {"ACT-1", "ACT-3"}
    assert "Scottish ledger" in " ".join(texts_of(scottish))

    report = tick(runtime, at(11, 27))  # England's escalation: both English plans, one DM

    [_, english] = dms_to(fake_slack, DIANA)
    assert set(plan_sections(english)) == {"Improvement", "Strategy 2020-23"}
    assert refs_in(english) == {"ACT-1", "ACT-2", "SP-1", "SP-2"}
    assert "Sam Patel (2)" in " ".join(texts_of(english))  # an owner in both, counted once
    assert english.args["blocks"][0]["text"]["text"] == (
        "Escalation: 4 actions have no Q3 2026/27 update"
    )
    # The programme office: one summary of the day, every plan under its name.
    summaries = dms_to(fake_slack, PRIYA)
    assert len(summaries) == 2  # Thu 26 and Fri 27 Nov
    assert set(plan_sections(summaries[-1])) == {
        "Improvement",
        "Strategy 2020-23",
        "Scottish Improvement Plan",
    }
    assert summaries[-1].args["blocks"][0]["text"]["text"] == (
        "Escalated: Q3 2026/27, 6 of 6 actions in 3 plans"
    )
    kinds = {(o.recipient.slack_id, o.kind) for o in report.sent}
    assert (DIANA, "escalation") in kinds and (PRIYA, "summary:2026-11-27") in kinds
    # Owners hear of the escalation once a step, whatever their plans.
    assert [c for c in dms_to(fake_slack, SAM) if "Escalated" in texts_of(c)[0]] != []
    assert sum("Escalated" in texts_of(c)[0] for c in dms_to(fake_slack, SAM)) == 1
    assert sum("Escalated" in texts_of(c)[0] for c in dms_to(fake_slack, OMAR)) == 1

    assert tick(runtime, at(11, 27, 14)).sent == []


def test_a_merged_dm_that_fails_is_retried_whole_and_sent_once(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    tick(runtime, at(11, 10))  # the Scottish invitations
    give_update(runtime.db, "improvement", "ACT-1", PERIOD, "green")
    give_update(runtime.db, "strategy", "SP-2", PERIOD, "on_track")
    fake_slack.fail_next("chat.postMessage", status=500, count=5)  # outlasts four retries

    first = tick(runtime, at(11, 11))  # Sam's DM is the only one due, and it fails

    assert first.sent == []
    assert [o.recipient.slack_id for o in first.retry_later] == [SAM]
    assert delivery_rows(runtime.db, SAM) == []  # both shares given back
    assert dms_to(fake_slack, SAM) == []

    second = tick(runtime, at(11, 11, 9, 35))
    third = tick(runtime, at(11, 11, 9, 40))

    assert [o.refs for o in second.sent if o.recipient.slack_id == SAM] == [
        ("improvement ACT-2", "strategy SP-1")
    ]
    assert third.sent == []
    [dm] = dms_to(fake_slack, SAM)
    assert refs_in(dm) == {"ACT-2", "SP-1"}


def test_a_deactivated_owner_in_two_plans_is_reported_to_the_programme_office_once(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.deactivate(SAM)

    first = tick(runtime, at(11, 11))
    tick(runtime, at(11, 11, 10))

    assert dms_to(fake_slack, SAM) == []
    assert [o.recipient.slack_id for o in first.undeliverable] == [SAM]
    assert {state for *_, state in delivery_rows(runtime.db, SAM)} == {"failed"}
    [told] = [c for c in dms_to(fake_slack, PRIYA) if "Sam Patel" in " ".join(texts_of(c))]
    text = " ".join(texts_of(told))
    assert "for Improvement and Strategy 2020-23" in text and "deleted: true" in text


# -- the grouping and the claims, directly --------------------------------------------------------


def test_reminders_are_grouped_by_recipient_audience_and_step(plans_db: Database) -> None:
    from support.context import ctx

    due = due_reminders(ctx(plans_db, at(11, 25, 10)))
    dms = group_dms(due)

    def of(who: str, audience: ReminderAudience) -> list[ReminderDM]:
        return [d for d in dms if d.recipient.slack_id == who and d.audience is audience]

    [sam] = of(SAM, ReminderAudience.OWNER)
    assert [p.plan_key for p in sam.parts] == ["improvement", "strategy"]
    assert sam.step is Step.DEADLINE and sam.several
    # Wed 25 Nov: England's deadline but Scotland's overdue, so Nia gets two.
    assert sorted(d.kind for d in of(NIA, ReminderAudience.OWNER)) == ["deadline", "overdue"]
    [summary] = of(PRIYA, ReminderAudience.ADMIN)
    assert [p.plan_key for p in summary.parts] == ["improvement", "scottish", "strategy"]
    assert len(dms) == len({(d.recipient.slack_id, d.audience, d.kind) for d in dms})
    shares: list[Reminder] = [p for d in dms for p in d.parts]
    assert sorted(map(id, shares)) == sorted(map(id, due))  # every share in one message


def test_claiming_a_messages_shares_together(plans_db: Database) -> None:
    with plans_db.session() as session:
        ids = [resolve_plan(session, key).id for key in ("improvement", "strategy", "scottish")]
    keys = [DeliveryKey(plan_id, PERIOD, "invitation", SAM) for plan_id in ids]
    now = dt.datetime(2026, 11, 11, 9, 30, tzinfo=dt.UTC)

    first = claim_deliveries(plans_db, keys[:2], now=now)
    assert all(first)
    assert claim_deliveries(plans_db, keys[:2], now=now) == [None, None]
    # A share nobody holds is claimed beside one that is taken.
    overlapping = claim_deliveries(plans_db, keys[1:], now=now)
    assert overlapping[0] is None and overlapping[1] is not None
    # Claims its sender never settled are taken over after the lease, together.
    stale = claim_deliveries(plans_db, keys[:2], now=now + dt.timedelta(minutes=11))
    assert all(stale)
    mark_sent(plans_db, [c for c in stale if c is not None], now=now)
    assert claim_deliveries(plans_db, keys[:2], now=now + dt.timedelta(days=1)) == [None, None]


# -- Slack's limits ------------------------------------------------------------------------------


def add_busy_plan(db: Database, key: str, count: int) -> str:
    """A plan of its own where one owner (the same in every such plan) has `count` open
    actions with long titles, due at the sample plan's Q3 dates."""
    owner_id = "U0BUSY0001"
    with db.session() as session:
        plan = m.Plan(key=key, name=f"Plan {key} {HOSTILE}", created_at=at(10, 1))
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
        session.add(m.Period(plan_id=plan.id, key=PERIOD, meeting_date=MEETING))
        session.add(m.Period(plan_id=plan.id, key=Q2, locked_at=at(10, 1)))
        session.flush()
        session.add_all(
            m.Action(
                plan_id=plan.id,
                ref=f"ACT-{number}",
                number=number,
                title=f"Action {number} {HOSTILE} " + "x" * 400,
                theme_id=theme.id,
                directorate_id=directorate.id,
                owner_id=owner.id,
                target_date=dt.date(2027, 3, 31),
                closed=False,
            )
            for number in range(1, count + 1)
        )
    return owner_id


HOSTILE = "<!channel> & <@U0BOSS>"


@pytest.mark.parametrize("count", [3, 20, 150])
def test_an_owner_with_many_actions_in_two_plans_gets_one_message_within_slacks_limits(
    sqlite_url: str, fake_slack: FakeSlack, count: int
) -> None:
    db = Database(sqlite_url)
    db.create_all()
    add_busy_plan(db, "busy-a", count)
    owner = add_busy_plan(db, "busy-b", count)
    runtime = make_runtime(db, fake_slack, clock=Clock(at(11, 2)))

    report = tick(runtime, at(11, 25))  # the deadline in both

    [dm] = dms_to(fake_slack, owner)  # the strict fake checked it against Slack's limits
    text = " ".join(texts_of(dm))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert len(dm.args["blocks"]) <= 50
    assert [o.plan_key for o in report.sent] == ["busy-a+busy-b"]
    # Every action of both plans is in it (in full, on a line or by ref), under its plan.
    assert all(text.count(f"*ACT-{n}*") == 2 for n in range(1, count + 1))
    assert text.count("*Plan busy-a") == 1 and text.count("*Plan busy-b") == 1
    assert text.index("*Plan busy-a") < text.index("*ACT-1*") < text.index("*Plan busy-b")
    assert text.index("*Plan busy-b") < text.rindex("*ACT-1*")
    if count > 20:
        assert "more" in text and "open planbot to see them all" in text
    db.dispose()


# -- exactly once across replicas --------------------------------------------------------------


@pytest.mark.postgres
def test_three_replicas_ticking_at_once_send_the_merged_dm_exactly_once(
    postgres_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    from test_reminders_replicas import delivery_states, posts_per_owner, start_run

    db = Database(postgres_url)
    db.upgrade()  # as `planbot db upgrade`
    load_three_plans(db, tmp_path / "plans")
    give_q2_updates(db)
    db.dispose()
    fake_slack.latency = 0.05  # keeps the three runs overlapping

    runs = [
        start_run(postgres_url, fake_slack, tmp_path, "2026-11-11T09:30:00+00:00") for _ in "abc"
    ]
    outputs = [run.communicate(timeout=60) for run in runs]

    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    # Sam: one DM for both plans. Nia too: Scotland's window opened yesterday, when nothing
    # ran, so its invitation is still the latest step due, and goes with England's.
    assert posts_per_owner(fake_slack) == {SAM: 1, NIA: 1, OMAR: 1, ROSS: 1}
    [sam] = dms_to(fake_slack, SAM)
    assert set(plan_sections(sam)) == {"Improvement", "Strategy 2020-23"}
    [nia] = dms_to(fake_slack, NIA)
    assert set(plan_sections(nia)) == {"Improvement", "Scottish Improvement Plan"}
    merged = [line for out, _ in outputs for line in out.splitlines() if "Sam Patel" in line]
    assert merged == [
        "  2026-27-Q3 invitation → Sam Patel (U0SAM00001) (improvement ACT-2, strategy SP-1)"
    ]
    assert delivery_states(postgres_url) == {"sent": 6}  # a claim per plan's share
