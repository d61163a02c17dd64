"""The HTTP endpoint: signed requests only, a clear 4xx for anything else, acks that never
wait for the database or Slack's Web API, concurrent requests served concurrently, and one
log line plus an apology when something unexpected breaks."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from support.fakeslack import FakeSlack
from support.slackapp import (
    SINEAD,
    TOM,
    Bot,
    all_text,
    app_home_opened,
    block_actions,
    button_press,
    input_values,
    running_bot,
    slash_command,
    update_count,
    updates_of,
    view_submission,
    wait_for,
)

from bot.planio import SAMPLE_PLAN, read_plan
from bot.services.plans import load_plan
from storage.db import Database

ACK_BUDGET = 1.0  # seconds; Slack allows 3


@pytest.fixture
def bot(sqlite_bot: Bot) -> Bot:
    """The endpoint's behaviour does not depend on the database (both are covered elsewhere)."""
    return sqlite_bot


@pytest.fixture
def sqlite_bot(sqlite_url: str, fake_slack: FakeSlack) -> Iterator[Bot]:
    """The bot on a SQLite file, so a test can hold the database's write lock."""
    import datetime as dt

    db = Database(sqlite_url)
    db.create_all()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=dt.datetime(2019, 12, 2, tzinfo=dt.UTC))
    with running_bot(db, fake_slack) as running:
        yield running
    db.dispose()


def command_body(user: str, text: str, fake: FakeSlack, command: str = "/update") -> bytes:
    fields = slash_command(user, command, text, response_url=fake.response_url("h"))
    return urlencode(fields).encode()


# -- signatures and bodies ---------------------------------------------------------------------


def test_a_bad_signature_gets_401_and_changes_nothing(bot: Bot) -> None:
    before = update_count(bot.db)
    body = command_body(SINEAD, "ACT-12 green Contract signed", bot.fake)

    response = bot.post(body, "application/x-www-form-urlencoded", secret="not-the-secret")

    assert response.status_code == 401
    assert update_count(bot.db) == before
    assert bot.web_api_calls() == []
    assert bot.http.get("/healthz").status_code == 200


def test_a_request_signed_more_than_five_minutes_ago_gets_401(bot: Bot) -> None:
    body = command_body(SINEAD, "ACT-12 green Contract signed", bot.fake)

    response = bot.post(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 301)

    assert response.status_code == 401
    assert bot.web_api_calls() == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"},
        {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": ""},
    ],
)
def test_missing_or_garbled_signature_headers_get_401(bot: Bot, headers: dict[str, str]) -> None:
    body = command_body(SINEAD, "ACT-12 green Contract signed", bot.fake)

    response = bot.http.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=not-json", "application/x-www-form-urlencoded"),
        (b'{"type": "event_callback", ', "application/json"),
        (b"payload=%7B%22type%22%3A", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
    ],
)
def test_a_malformed_body_gets_400_and_the_server_stays_healthy(
    bot: Bot, body: bytes, content_type: str
) -> None:
    before = update_count(bot.db)

    response = bot.post(body, content_type)

    assert response.status_code == 400
    assert update_count(bot.db) == before
    assert bot.web_api_calls() == []
    health = bot.http.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok", "database": "reachable"})
    # ...and still does its job.
    ok = bot.command(SINEAD, "/update", "ACT-12 green Contract signed")
    assert ok.status_code == 200
    bot.replies_to(ok)


def test_a_signed_body_slack_would_not_send_gets_a_4xx(bot: Bot) -> None:
    response = bot.post(json.dumps({"type": "nonsense"}).encode(), "application/json")

    assert 400 <= response.status_code < 500


def test_a_body_over_a_megabyte_is_refused(bot: Bot) -> None:
    response = bot.post(b"x" * 1_100_000, "application/x-www-form-urlencoded")

    assert response.status_code == 413


def test_the_events_url_verification_challenge_is_answered(bot: Bot) -> None:
    challenge = {
        "token": "unused",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }

    response = bot.post(json.dumps(challenge).encode(), "application/json")

    assert response.status_code == 200
    assert challenge["challenge"] in response.text


def test_other_paths_are_not_found(bot: Bot) -> None:
    assert bot.http.get("/slack/events").status_code == 404
    assert bot.http.post("/admin", content=b"").status_code == 404


def test_health_says_503_when_the_database_is_unreachable(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    unreachable = Database(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'planbot.db'}")

    with running_bot(unreachable, fake_slack) as bot:
        health = bot.http.get("/healthz")

    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "database": "unreachable"}


# -- acks come first -----------------------------------------------------------------------------


def timed(send: object) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    response = send()  # type: ignore[operator]
    return response, time.monotonic() - start


def test_every_command_is_acked_at_once_while_the_database_is_locked(sqlite_bot: Bot) -> None:
    bot = sqlite_bot
    path = bot.db.url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # the write lock: every planbot session now waits
    try:
        answers = [
            timed(lambda: bot.command(SINEAD, "/update", "ACT-12 green Contract signed")),
            timed(lambda: bot.command(SINEAD, "/update", "ACT-9")),
            timed(lambda: bot.command(SINEAD, "/update")),
            timed(lambda: bot.command(SINEAD, "/actions")),
            timed(lambda: bot.command(SINEAD, "/actions", "ACT-12")),
            timed(lambda: bot.command(SINEAD, "/planbot", "away 13/01/2020 17/01/2020")),
            timed(lambda: bot.interact(block_actions(SINEAD, button_press("ACT-12")))),
            timed(lambda: bot.event(app_home_opened(SINEAD))),
        ]
        for response, seconds in answers:
            assert response.status_code == 200
            assert seconds < ACK_BUDGET, f"ack took {seconds:.2f}s"
        # Nothing could have been done yet: the lock is still held.
        assert bot.fake.calls_to("response_url") == []
        assert locker.execute("SELECT count(*) FROM updates").fetchone() == (40,)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    # Released: the work done after the acks completes.
    [reply] = bot.replies_to(answers[0][0])
    assert "Recorded ACT-12" in all_text(reply)
    wait_for(lambda: bot.fake.calls_to("views.open"), count=2)
    bot.fake.wait_for_calls("response_url", count=4)
    assert updates_of(bot.db, "ACT-12")[-1].note == "Contract signed"


def test_a_form_submission_is_acked_at_once_while_the_database_is_locked(sqlite_bot: Bot) -> None:
    bot = sqlite_bot
    bot.command(SINEAD, "/update", "ACT-12")
    view = bot.opened_view()
    path = bot.db.url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        response, seconds = timed(
            lambda: bot.interact(
                view_submission(SINEAD, view, input_values(view, status="green", note="Done"))
            )
        )
        assert (response.status_code, response.text) == (200, "")
        assert seconds < ACK_BUDGET
        missing, seconds = timed(
            lambda: bot.interact(view_submission(SINEAD, view, input_values(view, status="red")))
        )
        assert missing.json()["response_action"] == "errors"  # checked without the database
        assert seconds < ACK_BUDGET
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    bot.dms_to(SINEAD)
    assert updates_of(bot.db, "ACT-12")[-1].note == "Done"


def test_acks_do_not_wait_for_a_slow_slack_web_api(bot: Bot) -> None:
    bot.fake.latency = 1.5  # every Web API call, and every response_url post, takes 1.5 s

    answers = [
        timed(lambda: bot.command(SINEAD, "/update", "ACT-12 green Contract signed")),
        timed(lambda: bot.command(SINEAD, "/update", "ACT-9")),
        timed(lambda: bot.command(TOM, "/actions")),
        timed(lambda: bot.event(app_home_opened(TOM))),
    ]

    for response, seconds in answers:
        assert response.status_code == 200
        assert seconds < ACK_BUDGET, f"ack took {seconds:.2f}s"
    assert bot.web_api_calls() == []  # no Web API call had been answered when the acks came back
    bot.replies_to(answers[0][0])
    bot.fake.wait_for_calls("views.open")


def test_requests_are_served_concurrently(sqlite_bot: Bot) -> None:
    """A request stuck on the database (an options lookup, answered in its ack) does not hold
    up the others: waitress serves each on its own thread."""
    bot = sqlite_bot
    bot.command(SINEAD, "/update")
    view = bot.opened_view()
    path = bot.db.url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    suggestion = {
        "type": "block_suggestion",
        "user": {"id": SINEAD},
        "team": {"id": "T0PLANBOT"},
        "api_app_id": "A0PLANBOT",
        "action_id": "pick_action",
        "block_id": "pick_action_block",
        "value": "appraisal",
        "view": view,
    }
    with ThreadPoolExecutor(max_workers=1) as pool:
        stuck = pool.submit(bot.interact, suggestion)
        try:
            wait_until(lambda: not stuck.done(), "the options request should wait on the lock")
            for _ in range(3):
                response, seconds = timed(lambda: bot.command(TOM, "/actions"))
                assert response.status_code == 200 and seconds < ACK_BUDGET
            assert not stuck.done()
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        options = stuck.result(timeout=10)
    assert [o["value"] for o in options.json()["options"]] == ["ACT-12"]


def wait_until(condition: object, message: str, timeout: float = 0.3) -> None:
    """`condition` holds for `timeout` seconds (a short bounded check, not a wait for time)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert condition(), message  # type: ignore[operator]
        threading.Event().wait(0.02)


# -- unexpected errors -------------------------------------------------------------------------


def test_an_unexpected_error_is_logged_once_and_the_person_gets_an_apology(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.fake.fail_next("views.open", error="invalid_arguments")  # a bug of ours, say

    with caplog.at_level(logging.INFO):
        response = bot.command(SINEAD, "/update", "ACT-12")
        [reply] = bot.replies_to(response)

    assert response.status_code == 200
    assert reply["response_type"] == "ephemeral"
    assert "Sorry, something went wrong on our side" in all_text(reply)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].getMessage() == (
        f"unexpected error in command /update for user {SINEAD} (team T0PLANBOT)"
    )
    assert errors[0].exc_info is not None
    assert "ACT-12" not in errors[0].getMessage()  # what people type stays out of the log
