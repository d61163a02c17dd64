"""The durable inbox's rules (bot/services/inbox.py), on SQLite and PostgreSQL: a request is
stored once, claimed by one worker, taken over only from a worker that is gone, and given up
after 30 minutes, when the programme office is told what went unanswered (once).

The whole path, a served planbot killed after its acks and started again, is in
tests/test_inbox_restart.py."""

from __future__ import annotations

import datetime as dt

from support.fakeslack import FakeSlack
from support.slackapp import (
    PRIYA,
    SINEAD,
    all_text,
    app_home_opened,
    make_runtime,
    running_bot,
    slash_command,
)
from test_reminders import at, dms_to, tick

from bot.services import inbox
from storage import models as m
from storage.db import Database

RECEIVED = at(2020, 1, 10, 10, 0)  # a Friday in Q3 2019-20's window


def command(text: str = "ACT-12 green Contract signed") -> dict[str, str]:
    return slash_command(SINEAD, "/update", text, response_url="https://hooks.invalid/r/1")


def store(db: Database, body: dict[str, str], when: dt.datetime = RECEIVED) -> inbox.Stored:
    return inbox.store(
        db,
        key=f"trigger:{body['trigger_id']}",
        kind="command /update",
        user_id=SINEAD,
        body=body,
        now=when,
    )


def never(_item: m.InboxItem) -> bool:
    return False


def always(_item: m.InboxItem) -> bool:
    return True


def test_a_request_is_stored_once_however_often_it_is_delivered(sample_db: Database) -> None:
    body = command()
    first, again = store(sample_db, body), store(sample_db, body)
    assert first.new and not again.new
    assert again.id == first.id


def test_one_worker_claims_a_request_and_nobody_takes_it_from_a_worker_at_it(
    sample_db: Database,
) -> None:
    stored = store(sample_db, command())
    claimed = inbox.claim(sample_db, stored.id, worker="a", now=RECEIVED, taking_over=never)
    assert claimed is not None and claimed.body["text"] == "ACT-12 green Contract signed"
    assert claimed.attempt == 1
    assert inbox.claim(sample_db, stored.id, worker="b", now=RECEIVED, taking_over=never) is None
    # A worker that is gone: taken over, as a second attempt.
    again = inbox.claim(sample_db, stored.id, worker="b", now=RECEIVED, taking_over=always)
    assert again is not None and again.attempt == 2
    inbox.finish(sample_db, stored.id, now=RECEIVED)
    assert inbox.claim(sample_db, stored.id, worker="c", now=RECEIVED, taking_over=always) is None


def test_what_is_left_unfinished_is_found_for_another_process(sample_db: Database) -> None:
    waiting = store(sample_db, command("ACT-9 green One")).id
    held = store(sample_db, command("ACT-12 green Two")).id
    inbox.claim(sample_db, held, worker="gone", now=RECEIVED, taking_over=never)
    finished = store(sample_db, command("ACT-13 green Three")).id
    inbox.finish(sample_db, finished, now=RECEIVED)

    # At start-up every waiting request is taken; later only those waiting past the grace.
    soon = RECEIVED + dt.timedelta(seconds=5)
    assert inbox.to_redo(sample_db, now=soon, taking_over=never, everything_waiting=True) == [
        waiting
    ]
    assert inbox.to_redo(sample_db, now=soon, taking_over=never) == []
    later = RECEIVED + inbox.WAITING_GRACE + dt.timedelta(seconds=1)
    assert inbox.to_redo(sample_db, now=later, taking_over=always) == [waiting, held]


def test_a_request_unfinished_after_30_minutes_is_given_up_and_reported_to_the_office_once(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    stored = store(sample_db, command())
    inbox.claim(sample_db, stored.id, worker="gone", now=RECEIVED, taking_over=never)
    assert inbox.give_up(sample_db, now=RECEIVED + dt.timedelta(minutes=29)) == 0
    past = RECEIVED + inbox.ANSWER_WINDOW + dt.timedelta(minutes=1)
    assert inbox.give_up(sample_db, now=past) == 1
    assert inbox.to_redo(sample_db, now=past, taking_over=always, everything_waiting=True) == []

    runtime = make_runtime(sample_db, fake_slack)
    tick(runtime, at(2020, 1, 10, 11, 0))
    [told] = dms_to(fake_slack, PRIYA)
    text = str(told.args["text"])
    assert "/update ACT-12 green Contract signed" in text and SINEAD in text
    assert "not answered" in text
    tick(runtime, at(2020, 1, 10, 11, 15))
    assert len(dms_to(fake_slack, PRIYA)) == 1  # told once


def test_a_burst_of_updates_redraws_the_authors_home_once_not_once_each(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    notes = [f"Step {n} done" for n in range(5)]
    with running_bot(sample_db, fake_slack, follow_up_delay=2.0) as bot:
        for note in notes:
            reply = bot.replies_to(bot.command(SINEAD, "/update", f"ACT-12 green {note}"))
            assert "Recorded ACT-12" in all_text(reply[0])
        bot.wait_idle()
        publishes = [c for c in fake_slack.calls_to("views.publish") if c.args["user_id"] == SINEAD]
        # Redrawn after the burst (each update answered at once meanwhile), as it stands now:
        # what opening the Home draws afresh.
        assert 1 <= len(publishes) < len(notes)
        redrawn = bot.home_of(SINEAD, publishes=len(publishes))["blocks"]
        bot.event(app_home_opened(SINEAD))
        assert bot.home_of(SINEAD, publishes=len(publishes) + 1)["blocks"] == redrawn
