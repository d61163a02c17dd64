# Over 400 lines: every answer of the HTTP endpoint (signatures, redeliveries, health, limits).
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
    FORM,
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
    url_verification_envelope,
    view_submission,
)

from bot.planio import SAMPLE_PLAN, read_plan
from bot.services.plans import load_plan
from storage.db import Database

ACK_BUDGET = 1.0  # seconds; Slack allows 3
# An ack that could not store its request: it waited for the database as long as it could.
UNSAVED_ACK_BUDGET = 2.5


@pytest.fixture
def bot(sqlite_bot: Bot) -> Bot:
    """The endpoint's behaviour does not depend on the database (both are covered elsewhere)."""
    return sqlite_bot


@pytest.fixture
def plan_db(sqlite_url: str) -> Iterator[Database]:
    """The sample plan on a SQLite file."""
    import datetime as dt

    db = Database(sqlite_url)
    db.create_all()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=dt.datetime(2019, 12, 2, tzinfo=dt.UTC))
    yield db
    db.dispose()


@pytest.fixture
def sqlite_bot(plan_db: Database, fake_slack: FakeSlack) -> Iterator[Bot]:
    """The bot on a SQLite file, so a test can hold the database's write lock."""
    with running_bot(plan_db, fake_slack) as running:
        yield running


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

    response = bot.post(body, FORM, signed=False, headers=headers)

    assert response.status_code == 401


def signed_kinds(fake: FakeSlack) -> dict[str, tuple[bytes, str, dict[str, str]]]:
    """One body of each kind Slack signs: (body, content type, extra headers)."""
    event = json.dumps(app_home_opened(SINEAD)).encode()
    press = block_actions(SINEAD, button_press("ACT-12"), response_url=fake.response_url("b"))
    return {
        "slash command": (command_body(SINEAD, "ACT-12 green Forged", fake), FORM, {}),
        "button press": (urlencode({"payload": json.dumps(press)}).encode(), FORM, {}),
        "event": (event, "application/json", {}),
        "event redelivery": (
            event,
            "application/json",
            {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
        ),
        "url_verification": (
            json.dumps(url_verification_envelope("forged-challenge")).encode(),
            "application/json",
            {},
        ),
        "ssl_check=0": (urlencode({"token": "t", "ssl_check": "0"}).encode(), FORM, {}),
        "ssl_check as JSON": (b'{"ssl_check": "1", "token": "t"}', "application/json", {}),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "slash command",
        "button press",
        "event",
        "event redelivery",
        "url_verification",
        "ssl_check=0",
        "ssl_check as JSON",
    ],
)
@pytest.mark.parametrize("signing", ["unsigned", "signed with another secret"])
def test_everything_but_ssl_check_needs_a_good_signature(bot: Bot, kind: str, signing: str) -> None:
    body, content_type, headers = signed_kinds(bot.fake)[kind]
    before = update_count(bot.db)

    response = bot.post(
        body,
        content_type,
        headers=headers,
        signed=signing != "unsigned",
        secret="not-the-secret",
    )

    assert response.status_code == 401
    assert "forged-challenge" not in response.text
    assert update_count(bot.db) == before
    assert bot.web_api_calls() == []


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


def test_a_signed_url_verification_gets_its_challenge_back(bot: Bot) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"

    response = bot.url_verification(challenge)

    assert response.status_code == 200
    assert response.json() == {"challenge": challenge}
    assert bot.web_api_calls() == []


# -- ssl_check ---------------------------------------------------------------------------------


def test_slacks_unsigned_ssl_check_gets_an_empty_200(bot: Bot) -> None:
    before = update_count(bot.db)

    response = bot.ssl_check()

    assert (response.status_code, response.text) == (200, "")
    assert update_count(bot.db) == before
    assert bot.web_api_calls() == []


def test_an_unsigned_command_dressed_as_an_ssl_check_is_answered_and_not_dispatched(
    plan_db: Database, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fields = slash_command(
        SINEAD, "/update", "ACT-12 green Forged", response_url=fake_slack.response_url("s")
    )
    body = urlencode({**fields, "ssl_check": "1"}).encode()
    before = update_count(plan_db)
    with caplog.at_level(logging.DEBUG), running_bot(plan_db, fake_slack) as bot:
        response = bot.post(body, FORM, signed=False)
    # running_bot has waited for every listener: none was started.
    assert (response.status_code, response.text) == (200, "")
    assert update_count(plan_db) == before
    assert [c.method for c in fake_slack.calls] == ["auth.test"]  # start-up's, and nothing else
    assert not [r for r in caplog.records if r.name.startswith(("planbot", "slack_bolt"))]


def test_an_event_whose_text_looks_like_an_ssl_check_is_still_signed_and_processed(
    bot: Bot,
) -> None:
    envelope = app_home_opened(SINEAD)
    envelope["token"] = "t&ssl_check=1&"  # a JSON body is never Slack's certificate check
    body = json.dumps(envelope).encode()

    unsigned = bot.post(body, "application/json", signed=False)
    signed = bot.event(envelope)

    assert unsigned.status_code == 401
    assert signed.status_code == 200
    assert bot.home_of(SINEAD)["type"] == "home"


# -- events redelivered --------------------------------------------------------------------------


def home_publishes(fake: FakeSlack, user: str) -> int:
    return len([c for c in fake.calls_to("views.publish") if c.args["user_id"] == user])


def test_an_event_redelivered_by_slack_is_processed_once(
    plan_db: Database, fake_slack: FakeSlack
) -> None:
    opened = app_home_opened(SINEAD)
    raced = app_home_opened(TOM)
    with running_bot(plan_db, fake_slack) as bot:
        first = bot.event(opened)
        bot.home_of(SINEAD)
        retries = [bot.redeliver(opened, attempt=n) for n in (1, 2, 3)]
        # A redelivery arriving while the first delivery is still being processed.
        racing = [bot.event(raced), bot.redeliver(raced, attempt=1, reason="http_error")]
    # running_bot has waited for every listener to finish.
    assert [r.status_code for r in [first, *retries, *racing]] == [200] * 6
    assert home_publishes(fake_slack, SINEAD) == 1
    assert home_publishes(fake_slack, TOM) == 1


def test_a_redelivery_of_an_event_that_never_arrived_is_processed(bot: Bot) -> None:
    response = bot.redeliver(app_home_opened(TOM), attempt=2, reason="connection_failed")

    assert response.status_code == 200
    assert bot.home_of(TOM)["type"] == "home"
    assert home_publishes(bot.fake, TOM) == 1


def test_an_event_the_bot_did_not_take_is_processed_again_when_redelivered(bot: Bot) -> None:
    # No listener takes this event (Bolt answers 404): its redelivery must be tried again,
    # not acknowledged as done.
    envelope = app_home_opened(SINEAD)
    envelope["event"] = {**envelope["event"], "type": "app_mention", "text": "hello"}

    first = bot.event(envelope)
    again = bot.redeliver(envelope)

    assert first.status_code == 404
    assert again.status_code == 404


# -- the test client holds planbot to Slack's 3 seconds -------------------------------------------


def test_the_test_client_fails_an_answer_later_than_three_seconds(bot: Bot) -> None:
    ticks = iter([100.0, 103.5])
    bot.clock = lambda: next(ticks)  # this request "takes" 3.5 s

    with pytest.raises(AssertionError, match=r"/actions 'ACT-12' from U0HR00002: answered"):
        bot.command(SINEAD, "/actions", "ACT-12")

    bot.clock = time.monotonic
    assert bot.ssl_check().status_code == 200
    assert [(a.what, a.status, round(a.seconds, 1)) for a in bot.acks[:1]] == [
        (f"/actions 'ACT-12' from {SINEAD}", 200, 3.5)
    ]
    assert bot.acks[1].what == "ssl_check" and bot.acks[1].seconds < 3


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


def test_while_the_database_is_locked_every_request_is_answered_in_time_and_told_not_saved(
    sqlite_bot: Bot,
) -> None:
    # A request is acknowledged only once it is stored. While another process holds SQLite's
    # write lock nothing can be stored: each ack still comes in time, and says so privately.
    bot = sqlite_bot
    path = bot.db.url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # the write lock: every session that writes now waits
    try:
        commands = [
            timed(lambda: bot.command(SINEAD, "/update", "ACT-12 green Contract signed")),
            timed(lambda: bot.command(SINEAD, "/update", "ACT-9")),
            timed(lambda: bot.command(SINEAD, "/actions")),
            timed(lambda: bot.command(SINEAD, "/planbot", "away 13/01/2020 17/01/2020")),
        ]
        press, press_seconds = timed(
            lambda: bot.interact(block_actions(SINEAD, button_press("ACT-12")))
        )
        event, event_seconds = timed(lambda: bot.event(app_home_opened(SINEAD)))
        for response, seconds in commands:
            assert seconds < UNSAVED_ACK_BUDGET, f"ack took {seconds:.2f}s"
            assert response.status_code == 200
            assert response.json()["response_type"] == "ephemeral"
            assert "Not saved" in response.json()["text"]
        assert press_seconds < UNSAVED_ACK_BUDGET and press.status_code == 200
        [told] = bot.dms_to(SINEAD)  # the button's ack shows nothing: told privately
        assert "Not saved" in all_text(told)
        assert event_seconds < UNSAVED_ACK_BUDGET
        assert event.status_code == 503  # Slack delivers the event again later
        assert locker.execute("SELECT count(*) FROM inbox").fetchone() == (0,)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    # Released: nothing acknowledged as unsaved is done behind the person's back.
    bot.wait_idle()
    assert updates_of(bot.db, "ACT-12")[-1].note != "Contract signed"
    assert bot.fake.calls_to("views.open") == []
    # And the next request is stored and done as usual.
    again = bot.command(SINEAD, "/update", "ACT-12 green Contract signed")
    assert (again.status_code, again.text) == (200, "")
    [reply] = bot.replies_to(again)
    assert "Recorded ACT-12" in all_text(reply)


def test_a_form_submitted_while_the_database_is_locked_stays_open_saying_not_saved(
    sqlite_bot: Bot,
) -> None:
    bot = sqlite_bot
    bot.command(SINEAD, "/update", "ACT-12")
    view = bot.opened_view()
    path = bot.db.url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        filled = input_values(view, status="green", note="Done")
        response, seconds = timed(lambda: bot.interact(view_submission(SINEAD, view, filled)))
        assert seconds < UNSAVED_ACK_BUDGET
        answer = response.json()
        assert answer["response_action"] == "errors"  # the form stays open, as typed
        [said] = answer["errors"].values()
        assert said.startswith("Not saved")
        missing, seconds = timed(
            lambda: bot.interact(view_submission(SINEAD, view, input_values(view, status="red")))
        )
        assert missing.json()["response_action"] == "errors"  # checked without the database
        assert "Not saved" not in json.dumps(missing.json())
        assert seconds < ACK_BUDGET
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    # Submitted again once the database is back: recorded.
    response = bot.interact(
        view_submission(SINEAD, view, input_values(view, status="green", note="Done"))
    )
    assert (response.status_code, response.text) == (200, "")
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
            # Answered in time on a thread of its own (saying it could not be saved, as
            # nothing can be stored while the lock is held).
            response, seconds = timed(lambda: bot.command(TOM, "/actions"))
            assert response.status_code == 200 and seconds < UNSAVED_ACK_BUDGET
            assert "Not saved" in response.json()["text"]
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
