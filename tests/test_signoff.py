"""Sign-off (DESIGN, "Sign-off"): the permission table, one decision an update, superseded
updates refused, and what awaits whom. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from support.context import ctx
from support.fakeslack import FakeSlack
from support.planfiles import export_import_export, located, read_rows, write_rows
from support.signoff_plan import (
    HELEN,
    KWAME,
    MARK,
    PRIYA,
    RACHEL,
    SINEAD,
    STRANGER,
    TOM,
    signoff_plan,
)
from support.slackapp import make_runtime

from bot.delivery.signoff import send_signoff
from bot.domain.periods import Period
from bot.errors import InvalidInput, NotAllowed, PlanbotError
from bot.model.signoff import APPROVED, RETURNED, Decision, SignOffState
from bot.model.updates import Source
from bot.planio import read_plan, write_plan
from bot.planio.validation import PlanFileError
from bot.services import signoff
from bot.services.claims import mark_sent
from bot.services.plans import load_plan
from bot.services.publication import lock_period
from bot.services.updates import record_update
from storage import models as m
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
IN_Q3_WINDOW = dt.datetime(2020, 1, 10, 10, 0, tzinfo=LONDON)
LOADED = dt.datetime(2019, 12, 1, tzinfo=dt.UTC)
MARK_AWAY = (dt.date(2020, 1, 6), dt.date(2020, 1, 17))


@pytest.fixture
def plan_db(db: Database) -> Database:
    load_plan(db=db, plan_file=signoff_plan(), now=LOADED)
    return db


@pytest.fixture
def away_db(db: Database) -> Database:
    load_plan(db=db, plan_file=signoff_plan(mark_away=MARK_AWAY), now=LOADED)
    return db


def update(db: Database, actor: str, ref: str, status: str = "green", note: str = "") -> int:
    recorded = record_update(
        ctx(db, IN_Q3_WINDOW, actor), ref=ref, status=status, note=note, source=Source.COMMAND
    )
    with db.read_session() as session:
        found = session.scalar(
            select(func.max(m.Update.id)).join(m.Action).where(m.Action.ref == recorded.ref)
        )
        assert found is not None
        return int(found)


def approve(db: Database, actor: str, update_id: int) -> Decision:
    return signoff.decide(ctx(db, IN_Q3_WINDOW, actor), update_id=update_id, decision=APPROVED)


def decisions(db: Database) -> list[tuple[int, str]]:
    with db.read_session() as session:
        return [
            (row.update_id, row.decision)
            for row in session.scalars(select(m.SignOff).order_by(m.SignOff.id))
        ]


# Who may approve Sinead's update of ACT-12 (HR & OD), and who may not, and why.
PERMISSIONS = [
    pytest.param(MARK, False, None, id="director-of-the-directorate"),
    pytest.param(PRIYA, False, None, id="admin"),
    pytest.param(HELEN, False, "Only the director of HR & OD", id="director-of-another"),
    pytest.param(TOM, False, "Only the director of HR & OD", id="owner-of-another-action"),
    pytest.param(SINEAD, False, "your own update", id="the-owner-herself"),
    pytest.param(STRANGER, False, "not on the list of people", id="stranger"),
    pytest.param(KWAME, False, "Only the director of HR & OD", id="delegate-while-director-in"),
    pytest.param(KWAME, True, None, id="delegate-while-director-away"),
    pytest.param(MARK, True, None, id="away-director-still-may"),
]


@pytest.mark.parametrize(("actor", "mark_away", "refused"), PERMISSIONS)
def test_the_sign_off_permission_table(
    db: Database, actor: str, mark_away: bool, refused: str | None
) -> None:
    load_plan(db=db, plan_file=signoff_plan(mark_away=MARK_AWAY if mark_away else None), now=LOADED)
    update_id = update(db, SINEAD, "ACT-12", "amber", "Behind on the survey.")
    if refused is None:
        done = approve(db, actor, update_id)
        assert (done.decision, done.already, done.ref) == (APPROVED, False, "ACT-12")
        assert decisions(db) == [(update_id, APPROVED)]
    else:
        with pytest.raises(PlanbotError) as caught:
            approve(db, actor, update_id)
        assert refused in str(caught.value)
        assert decisions(db) == []


def test_a_director_never_approves_an_update_they_wrote_for_their_owner(plan_db: Database) -> None:
    update_id = update(plan_db, MARK, "ACT-12", "green")
    with pytest.raises(NotAllowed, match="your own update"):
        approve(plan_db, MARK, update_id)
    assert approve(plan_db, PRIYA, update_id).decision == APPROVED


def test_a_delegate_acting_records_whom_they_acted_for(away_db: Database) -> None:
    update_id = update(away_db, SINEAD, "ACT-12")
    approve(away_db, KWAME, update_id)
    with away_db.read_session() as session:
        row = session.scalar(select(m.SignOff))
        assert row is not None and row.by is not None and row.acting_for is not None
        assert (row.by.slack_id, row.acting_for.slack_id) == (KWAME, MARK)


def test_approving_twice_approves_once_and_says_so(plan_db: Database) -> None:
    update_id = update(plan_db, SINEAD, "ACT-12")
    first = approve(plan_db, MARK, update_id)
    second = approve(plan_db, MARK, update_id)
    assert (first.already, second.already) == (False, True)
    assert decisions(plan_db) == [(update_id, APPROVED)]


def test_double_clicks_racing_on_two_workers_approve_once(plan_db: Database) -> None:
    update_id = update(plan_db, SINEAD, "ACT-12")
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: approve(plan_db, MARK, update_id), range(6)))
    assert sorted(r.already for r in results) == [False] + [True] * 5
    assert decisions(plan_db) == [(update_id, APPROVED)]


def test_a_returned_update_cannot_then_be_approved_and_the_next_update_awaits_again(
    plan_db: Database,
) -> None:
    first = update(plan_db, SINEAD, "ACT-12", "amber", "Survey late.")
    returned = signoff.decide(
        ctx(plan_db, IN_Q3_WINDOW, MARK),
        update_id=first,
        decision=RETURNED,
        comment="Say when the survey will close.",
    )
    assert (returned.owner_slack_id, returned.comment) == (
        SINEAD,
        "Say when the survey will close.",
    )
    with pytest.raises(InvalidInput, match="already returned"):
        approve(plan_db, MARK, first)
    second = update(plan_db, SINEAD, "ACT-12", "amber", "Survey closes 31 January.")
    with plan_db.read_session() as session:
        plan = session.scalars(select(m.Plan)).one()
        action = session.scalars(select(m.Action).where(m.Action.ref == "ACT-12")).one()
        assert signoff.states(session, plan, "2019-20-Q3")[action.id] is SignOffState.AWAITING
    assert approve(plan_db, MARK, second).decision == APPROVED


def test_a_return_needs_a_comment(plan_db: Database) -> None:
    update_id = update(plan_db, SINEAD, "ACT-12")
    with pytest.raises(InvalidInput, match="what needs changing"):
        signoff.decide(
            ctx(plan_db, IN_Q3_WINDOW, MARK), update_id=update_id, decision=RETURNED, comment=" "
        )
    assert decisions(plan_db) == []


def test_approving_a_superseded_update_is_refused_and_the_newer_one_awaits(
    plan_db: Database,
) -> None:
    older = update(plan_db, SINEAD, "ACT-12", "green")
    newer = update(plan_db, SINEAD, "ACT-12", "green", "Now with the survey results.")
    with pytest.raises(InvalidInput, match="superseded"):
        approve(plan_db, MARK, older)
    assert decisions(plan_db) == []
    waiting = signoff.awaiting(ctx(plan_db, IN_Q3_WINDOW, MARK))
    assert [item.update_id for item in waiting.items] == [newer]


def test_an_approval_racing_the_owners_new_update_never_approves_the_newer(
    plan_db: Database,
) -> None:
    older = update(plan_db, SINEAD, "ACT-12", "green")

    def approve_older() -> str:
        try:
            return str(approve(plan_db, MARK, older).decision)
        except InvalidInput:
            return "refused"

    with ThreadPoolExecutor(max_workers=2) as pool:
        approving = pool.submit(approve_older)
        newer = pool.submit(update, plan_db, SINEAD, "ACT-12", "green", "Survey closed.")
        outcome, newer_id = approving.result(), newer.result()
    assert outcome in {APPROVED, "refused"}
    assert all(update_id != newer_id for update_id, _ in decisions(plan_db))
    with plan_db.read_session() as session:
        plan = session.scalars(select(m.Plan)).one()
        assert signoff.unapproved(session, plan, "2019-20-Q3") == {"HR & OD": ["ACT-12"]}


def test_what_awaits_whom(away_db: Database) -> None:
    hr = update(away_db, SINEAD, "ACT-12", "green")
    finance = update(away_db, KWAME, "ACT-13", "green")
    assert [i.update_id for i in signoff.awaiting(ctx(away_db, IN_Q3_WINDOW, RACHEL)).items] == [
        finance
    ]
    # Kwame stands in for Mark (away) but never signs off his own update.
    as_delegate = signoff.awaiting(ctx(away_db, IN_Q3_WINDOW, KWAME))
    assert [i.update_id for i in as_delegate.items] == [hr]
    assert as_delegate.acting_for == ("Mark Doyle",)
    assert {i.update_id for i in signoff.awaiting(ctx(away_db, IN_Q3_WINDOW, PRIYA)).items} == {
        hr,
        finance,
    }
    assert signoff.awaiting(ctx(away_db, IN_Q3_WINDOW, SINEAD)).items == ()
    assert signoff.awaiting(ctx(away_db, IN_Q3_WINDOW, HELEN)).items == ()


def test_a_plan_without_sign_off_offers_nothing_and_refuses_a_decision(
    sample_db: Database,
) -> None:
    update_id = update(sample_db, SINEAD, "ACT-12")
    assert signoff.awaiting(ctx(sample_db, IN_Q3_WINDOW, MARK)).items == ()
    with pytest.raises(InvalidInput, match="does not use sign-off"):
        approve(sample_db, MARK, update_id)


# A Q3 2019/20 meeting on Mon 13 Jan 2020 puts the update deadline on Tue 24 Dec 2019, so the
# sign-off ladder crosses Christmas: +1 working day is Fri 27 Dec, +2 Mon 30 Dec, +3 Tue 31.
CHRISTMAS_MEETING = dt.date(2020, 1, 13)


def test_sign_off_dms_follow_the_working_day_ladder_once_each(
    db: Database, fake_slack: FakeSlack
) -> None:
    plan = signoff_plan()
    meetings = [
        dataclasses.replace(row, meeting_date=CHRISTMAS_MEETING)
        if row.period == "2019-20-Q3"
        else row
        for row in plan.meetings
    ]
    load_plan(db=db, plan_file=dataclasses.replace(plan, meetings=meetings), now=LOADED)
    record_update(
        ctx(db, dt.datetime(2019, 12, 20, 11, 0, tzinfo=LONDON), SINEAD),
        ref="ACT-12",
        status="green",
        note="Appraisals at 80%.",
        source=Source.COMMAND,
    )
    runtime = make_runtime(db, fake_slack)

    def tick(day: int, month: int = 12, hour: int = 10) -> list[str]:
        year = 2019 if month == 12 else 2020
        return send_signoff(runtime, dt.datetime(year, month, day, hour, 0, tzinfo=LONDON))

    assert tick(23) == []  # the day before the deadline
    assert tick(24, hour=9) == []  # the deadline, before the send time
    assert tick(24) == [f"signoff_list:2019-12-24:{MARK}"]
    assert tick(24) == []
    assert tick(25) == [] and tick(26) == []  # Christmas Day and Boxing Day
    assert tick(27) == [f"signoff_chase_1:{MARK}"]
    assert tick(28) == [] and tick(29) == []  # the weekend
    assert tick(30) == [f"signoff_chase_2:{MARK}"]
    assert tick(30) == []
    assert tick(31) == [f"signoff_summary:{PRIYA}"]
    assert tick(2, month=1) == []  # every reminder sent once; the summary once
    texts = [call.args["text"] for call in fake_slack.calls_to("chat.postMessage")]
    assert len(texts) == 4
    assert "Still to sign off: Mark Doyle (1)" in texts[-1]


@pytest.mark.parametrize("target", ["plan", "plan.xlsx"])
def test_export_writes_the_sign_off_record_and_it_round_trips(
    plan_db: Database, tmp_path: Path, target: str
) -> None:
    approved = update(plan_db, SINEAD, "ACT-12", "green", "Appraisals at 80%.")
    approve(plan_db, MARK, approved)
    returned = update(plan_db, SINEAD, "ACT-11", "complete", "Offer running.")
    signoff.decide(
        ctx(plan_db, IN_Q3_WINDOW, MARK),
        update_id=returned,
        decision=RETURNED,
        comment="Say how many staff used it.",
    )
    first, second = export_import_export(plan_db, tmp_path, target, now=IN_Q3_WINDOW)
    if target == "plan":
        rows = read_rows(first / "signoff.csv")
        assert rows == [
            ["ref", "period", "decision", "by", "on", "comment"],
            ["ACT-11", "2019-20-Q3", "returned", MARK, "2020-01-10", "Say how many staff used it."],
            ["ACT-12", "2019-20-Q3", "approved", MARK, "2020-01-10", ""],
        ]
        assert read_rows(second / "signoff.csv") == rows
    else:
        assert first.read_bytes() == second.read_bytes()


def test_a_bad_signoff_sheet_is_refused_naming_each_problem(tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    write_plan(signoff_plan(), folder)
    write_rows(
        folder / "signoff.csv",
        [
            ["ref", "period", "decision", "by", "on", "comment"],
            ["ACT-12", "2019-20-Q2", "approved", MARK, "2019-11-01", ""],
            ["ACT-99", "2019-20-Q2", "approved", MARK, "2019-11-01", ""],
            ["ACT-12", "2019-20-Q2", "waved", "U0NOBODY1", "someday", ""],
            ["ACT-11", "2019-20-Q2", "returned", MARK, "2019-11-01", ""],
        ],
    )
    with pytest.raises(PlanFileError) as caught:
        read_plan(folder)
    assert located(caught.value.errors) == [
        ("signoff", 3, "ref"),
        ("signoff", 4, "ref"),
        ("signoff", 4, "decision"),
        ("signoff", 4, "by"),
        ("signoff", 4, "on"),
        ("signoff", 5, "comment"),
    ]


def test_a_stranger_or_another_director_learns_nothing_of_a_decided_update(
    plan_db: Database,
) -> None:
    update_id = update(plan_db, SINEAD, "ACT-12", "amber", "Behind on the survey.")
    approve(plan_db, MARK, update_id)
    with pytest.raises(NotAllowed, match="not on the list of people"):
        approve(plan_db, STRANGER, update_id)
    with pytest.raises(NotAllowed) as caught:
        approve(plan_db, HELEN, update_id)
    assert "already" not in str(caught.value)


def test_a_returned_update_stays_returned_after_export_and_import(
    plan_db: Database, tmp_path: Path
) -> None:
    update_id = update(plan_db, SINEAD, "ACT-11", "complete", "Offer running.")
    signoff.decide(
        ctx(plan_db, IN_Q3_WINDOW, MARK),
        update_id=update_id,
        decision=RETURNED,
        comment="Say how many staff used it.",
    )
    export_import_export(plan_db, tmp_path, "plan", now=IN_Q3_WINDOW)
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with other.read_session() as session:
            plan = session.scalars(select(m.Plan)).one()
            act11 = session.scalars(select(m.Action).where(m.Action.ref == "ACT-11")).one()
            assert signoff.states(session, plan, "2019-20-Q3")[act11.id] is SignOffState.RETURNED
            assert signoff.unapproved(session, plan, "2019-20-Q3") == {"HR & OD": ["ACT-11"]}
    finally:
        other.dispose()


def test_an_amendment_after_publication_is_republished_without_sign_off_again(
    plan_db: Database,
) -> None:
    q3 = Period(2019, 3)
    approve(plan_db, MARK, update(plan_db, SINEAD, "ACT-12", "green", "Appraisals at 80%."))
    first = lock_period(ctx(plan_db, IN_Q3_WINDOW, PRIYA), period=q3)
    mark_sent(plan_db, first.claim, now=IN_Q3_WINDOW)  # the report reached the channel
    record_update(
        ctx(plan_db, IN_Q3_WINDOW, PRIYA),
        ref="ACT-12",
        status="green",
        note="Corrected: appraisals at 60%.",
        period="2019-20-Q3",
        source=Source.COMMAND,
        amendment_reason="The figure was wrong.",
    )
    again = lock_period(ctx(plan_db, IN_Q3_WINDOW, PRIYA), period=q3)
    assert again.newly_locked is False
