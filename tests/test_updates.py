"""Recording updates: the rules of the cycle, who may update, and nothing lost or doubled."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from support.context import ctx

from bot.domain.calendar import Cycle
from bot.errors import InvalidInput, NotAllowed, NotFound, PeriodLocked
from bot.model.updates import IncompleteUpdate, RecordedUpdate, Source
from bot.services.updates import prepare_update, record_update
from storage import models as m
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
IN_Q3_WINDOW = dt.datetime(2020, 1, 10, 10, 0, tzinfo=LONDON)
CYCLE = Cycle()

SINEAD = "U0HR00002"  # owner of ACT-9, ACT-11, ACT-12 (HR & OD)
MARK = "U0HR00001"  # director of HR & OD
PRIYA = "U0PO00001"  # admin
TOM = "U0BS00002"  # owner in Business Services
HELEN = "U0BS00001"  # director of Business Services


def record(
    db: Database,
    actor: str,
    ref: str,
    status: str,
    *,
    now: dt.datetime = IN_Q3_WINDOW,
    **kwargs: Any,
) -> RecordedUpdate:
    kwargs.setdefault("source", Source.COMMAND)
    return record_update(ctx(db, now, actor, cycle=CYCLE), ref=ref, status=status, **kwargs)


def updates_of(db: Database, ref: str) -> list[m.Update]:
    with db.session() as session:
        return list(
            session.scalars(
                select(m.Update).join(m.Action).where(m.Action.ref == ref).order_by(m.Update.id)
            )
        )


def update_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(m.Update)) or 0)


def test_owner_updates_action_for_the_open_period(sample_db: Database) -> None:
    result = record(sample_db, SINEAD, "act12", "g", note="Completion now at 91%.")

    assert result.ref == "ACT-12"
    assert result.period_key == "2019-20-Q3"
    assert result.previous_status == "amber"
    assert result.status == "green"
    latest = updates_of(sample_db, "ACT-12")[-1]
    assert (latest.status, latest.note, latest.source) == (
        "green",
        "Completion now at 91%.",
        "command",
    )
    assert latest.on_behalf_of_id is None


def test_amber_without_a_note_records_nothing_and_says_why(sample_db: Database) -> None:
    before = update_count(sample_db)

    with pytest.raises(IncompleteUpdate) as raised:
        record(sample_db, SINEAD, "ACT-12", "amber")

    assert set(raised.value.errors) == {"note"}
    assert raised.value.draft.status == "amber"
    assert raised.value.draft.ref == "ACT-12"
    assert update_count(sample_db) == before


def test_worse_status_asks_for_a_revised_target_date(sample_db: Database) -> None:
    with pytest.raises(IncompleteUpdate) as raised:
        record(sample_db, SINEAD, "ACT-12", "red", note="Appraisals stalled.")
    assert set(raised.value.errors) == {"revised_target_date"}

    result = record(
        sample_db,
        SINEAD,
        "ACT-12",
        "red",
        note="Appraisals stalled.",
        revised_target_date=dt.date(2020, 6, 30),
    )
    assert result.revised_target_date == dt.date(2020, 6, 30)
    with sample_db.session() as session:
        action = session.scalar(select(m.Action).where(m.Action.ref == "ACT-12"))
        assert action is not None and action.revised_target_date == dt.date(2020, 6, 30)


def test_passed_target_date_asks_for_a_revised_one(sample_db: Database) -> None:
    # ACT-3's target was 31 December 2019.
    with pytest.raises(IncompleteUpdate) as raised:
        record(sample_db, TOM, "ACT-3", "green")
    assert "31 Dec 2019" in raised.value.errors["revised_target_date"]

    with pytest.raises(IncompleteUpdate):
        record(sample_db, TOM, "ACT-3", "green", revised_target_date=dt.date(2020, 1, 1))


def test_complete_closes_the_action(sample_db: Database) -> None:
    result = record(sample_db, TOM, "ACT-3", "done", note="All templates live.")

    assert result.closed_action
    with pytest.raises(NotAllowed):
        record(sample_db, TOM, "ACT-3", "green", revised_target_date=dt.date(2020, 5, 1))


def test_director_updates_for_the_owner_as_by_x_for_y(sample_db: Database) -> None:
    result = record(sample_db, MARK, "ACT-12", "green")

    assert result.on_behalf and result.author_name == "Mark Doyle"
    assert result.owner_name == "Sinead O'Brien"
    latest = updates_of(sample_db, "ACT-12")[-1]
    assert latest.on_behalf_of_id is not None and latest.author_id != latest.on_behalf_of_id


def test_delegate_may_update_for_an_away_owner(sample_db: Database) -> None:
    with sample_db.session() as session:
        sinead = session.scalar(select(m.Person).where(m.Person.slack_id == SINEAD))
        tom = session.scalar(select(m.Person).where(m.Person.slack_id == TOM))
        assert sinead is not None and tom is not None
        sinead.delegate = tom

    result = record(sample_db, TOM, "ACT-12", "green")
    assert result.on_behalf


@pytest.mark.parametrize(
    ("actor", "error", "words"),
    [
        (TOM, NotAllowed, "belongs to Sinead O'Brien"),
        (HELEN, NotAllowed, "Mark Doyle"),  # director of another directorate
        ("U0STRANGER", NotAllowed, "not on the list"),
    ],
)
def test_others_are_refused_with_who_to_ask(
    sample_db: Database, actor: str, error: type[Exception], words: str
) -> None:
    before = update_count(sample_db)
    with pytest.raises(error) as raised:
        record(sample_db, actor, "ACT-12", "green")
    assert words in str(raised.value)
    assert "Priya Shah" in str(raised.value)
    assert update_count(sample_db) == before


def test_unknown_ref_and_status_are_refused(sample_db: Database) -> None:
    with pytest.raises(NotFound, match="ACT-99"):
        record(sample_db, SINEAD, "ACT-99", "green")
    with pytest.raises(InvalidInput, match="not_started"):
        record(sample_db, SINEAD, "ACT-12", "purple")


def test_a_note_over_3000_characters_is_refused_clearly(sample_db: Database) -> None:
    with pytest.raises(InvalidInput) as raised:
        record(sample_db, SINEAD, "ACT-12", "green", note="x" * 5000)
    assert "5,000 characters" in raised.value.message and "3,000" in raised.value.message


def test_locked_period_refuses_owners_and_records_amendments_by_admins(
    sample_db: Database,
) -> None:
    with sample_db.session() as session:
        q3 = session.scalar(select(m.Period).where(m.Period.key == "2019-20-Q3"))
        assert q3 is not None
        q3.locked_at = IN_Q3_WINDOW
    later = IN_Q3_WINDOW + dt.timedelta(days=40)  # the open period has moved on to Q4

    with pytest.raises(PeriodLocked):
        record(sample_db, SINEAD, "ACT-12", "green", period="2019-20-Q3", now=later)
    with pytest.raises(PeriodLocked):
        record(sample_db, MARK, "ACT-12", "green", period="2019-20-Q3", now=later)
    with pytest.raises(IncompleteUpdate) as raised:
        record(sample_db, PRIYA, "ACT-12", "green", period="2019-20-Q3", now=later)
    assert set(raised.value.errors) == {"amendment_reason"}

    result = record(
        sample_db,
        PRIYA,
        "ACT-12",
        "green",
        period="Q3 2019/20",
        now=later,
        amendment_reason="Owner's update arrived after publication.",
    )
    assert result.amendment_reason == "Owner's update arrived after publication."
    assert result.period_key == "2019-20-Q3"


def test_the_same_submission_twice_records_one_update(sample_db: Database) -> None:
    before = update_count(sample_db)
    first = record(sample_db, SINEAD, "ACT-12", "green", idempotency_key="view:V1")
    second = record(sample_db, SINEAD, "ACT-12", "green", idempotency_key="view:V1")

    assert not first.duplicate and second.duplicate
    assert update_count(sample_db) == before + 1


def test_concurrent_duplicate_submissions_record_one_update(sample_db: Database) -> None:
    before = update_count(sample_db)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(
                lambda _: record(sample_db, SINEAD, "ACT-12", "green", idempotency_key="trig:T1"),
                range(8),
            )
        )
    assert sum(not r.duplicate for r in results) == 1
    assert update_count(sample_db) == before + 1


def test_prepare_update_prefills_the_last_update(sample_db: Database) -> None:
    draft = prepare_update(ctx(sample_db, IN_Q3_WINDOW, SINEAD, cycle=CYCLE), ref="12")
    assert (draft.ref, draft.period_key, draft.status) == ("ACT-12", "2019-20-Q3", "amber")
    assert draft.note.startswith("Completion at 62%")
    assert draft.due_date == dt.date(2020, 1, 23)
    assert not draft.on_behalf and not draft.caller_is_admin


def test_completed_actions_are_closed_on_import(sample_db: Database) -> None:
    with sample_db.session() as session:
        closed = session.scalars(
            select(m.Action.ref).where(m.Action.closed).order_by(m.Action.number)
        ).all()
    assert list(closed) == ["ACT-1", "ACT-5", "ACT-11"]
