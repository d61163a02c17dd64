"""`/digest` in Slack: acked at once, the summary privately, the files to the person's DM.

The real Bolt app behind the real HTTP server, signed requests, and the real WebClient
talking to the fake Slack Web API (which records the bytes of every uploaded file).
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import openpyxl
import pytest
from docx import Document
from sqlalchemy import select
from support.fakeslack import FakeSlack
from support.slackapp import (
    BOT_TOKEN,
    HELEN,
    IN_Q3_WINDOW,
    LONDON,
    PRIYA,
    SINEAD,
    STRANGER,
    Bot,
    all_text,
    running_bot,
    wait_for,
)

from bot.notifier import FileToUpload, Notifier, TransientFailure, make_client
from bot.services.publication import DRAFT
from jobs.digest import tick as draft_tick
from storage import models as m
from storage.db import Database

DIGEST_CHANNEL = "C0DIGEST1"


@contextmanager
def digest_bot(
    db: Database,
    fake: FakeSlack,
    *,
    clock: Callable[[], dt.datetime] = lambda: IN_Q3_WINDOW,
    channel: str | None = DIGEST_CHANNEL,
    webhooks: Sequence[str] = (),
) -> Iterator[Bot]:
    """planbot over HTTP on loopback, with a digest channel and webhooks configured."""
    with running_bot(db, fake, clock=clock, digest_channel=channel, webhooks=webhooks) as bot:
        yield bot


def uploads(fake: FakeSlack, count: int) -> list[dict[str, Any]]:
    """The files of the first `count` files_upload_v2 completions: name, title and channel."""
    calls = fake.wait_for_calls("files.completeUploadExternal", count=count, timeout=10)
    return [
        {**file, "channel": call.args.get("channel_id")}
        for call in calls
        for file in call.response["files"]
    ]


@pytest.fixture
def bot(sample_db: Database, fake_slack: FakeSlack) -> Iterator[Bot]:
    with digest_bot(sample_db, fake_slack) as running:
        yield running


def test_digest_is_acked_at_once_and_the_files_reach_the_dm_by_files_upload_v2(
    bot: Bot,
) -> None:
    bot.fake.latency = 0.25  # every Web API call is slow; the ack must not wait for them

    started = time.monotonic()
    response = bot.command(PRIYA, "/digest")
    acked_in = time.monotonic() - started

    assert response.status_code == 200
    assert acked_in < 1.0  # Slack's limit is 3 s; no Web API call happens before the ack
    [reply] = bot.replies_to(response)
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"].startswith("Draft: Progress report Q2 2019/20")
    seen = all_text(reply)
    assert ":red_circle: Off track: *1* (0 in 2019-20-Q1)" in seen
    assert "*ACT-14*" in seen

    files = uploads(bot.fake, 1)
    names = sorted(f["name"] for f in files)
    assert names == [
        "sample-plan-2019-20-Q2-chart.png",
        "sample-plan-2019-20-Q2.docx",
        "sample-plan-2019-20-Q2.pdf",
        "sample-plan-2019-20-Q2.xlsx",
    ]
    assert {f["channel"] for f in files} == {bot.fake.dm_channel(PRIYA)}
    assert bot.fake.calls_to("files.upload") == []  # never the retired upload method
    content = bot.fake.uploaded_files
    document = Document(io.BytesIO(content["sample-plan-2019-20-Q2.docx"]))
    assert any(t.rows[0].cells[0].text == "Ref" for t in document.tables)
    workbook = openpyxl.load_workbook(io.BytesIO(content["sample-plan-2019-20-Q2.xlsx"]))
    assert workbook["Actions"].max_row == 21
    assert content["sample-plan-2019-20-Q2-chart.png"].startswith(b"\x89PNG")
    assert bot.fake.calls_to("chat.postMessage") == []  # nothing in any channel


def test_owner_sees_the_summary_only_without_names_or_files(bot: Bot) -> None:
    response = bot.command(SINEAD, "/digest", "Q3 2019/20")

    [reply] = bot.replies_to(response)
    seen = all_text(reply)
    assert "Progress report Q3 2019/20" in seen
    assert "*No update received (17)*" in seen
    assert "HR &amp; OD: 3 actions" in seen  # ACT-9, 10 and 12; ACT-11 is complete
    assert "Sinead" not in seen and "Kwame" not in seen
    time.sleep(0.2)  # give a wrongly started upload the time to show up
    assert bot.fake.calls_to("files.completeUploadExternal") == []


def test_director_gets_their_directorate_by_default_with_names_and_files(bot: Bot) -> None:
    response = bot.command(HELEN, "/digest", "2019-20-Q3")

    [reply] = bot.replies_to(response)
    seen = all_text(reply)
    assert "Directorate: Business Services" in seen
    assert "Tom Ellis (Business Services): ACT-3, ACT-6" in seen
    files = uploads(bot.fake, 1)
    assert {f["name"] for f in files} >= {
        "sample-plan-2019-20-Q3-business-services.docx",
        "sample-plan-2019-20-Q3-business-services.xlsx",
    }
    assert {f["channel"] for f in files} == {bot.fake.dm_channel(HELEN)}


def test_director_may_ask_for_the_whole_plan_or_a_theme(bot: Bot) -> None:
    response = bot.command(HELEN, "/digest", "Q2 2019/20 theme:Finance &amp; savings")

    [reply] = bot.replies_to(response)
    seen = all_text(reply)
    assert "Theme: Finance &amp; savings · 3 actions" in seen


@pytest.mark.parametrize(
    ("user", "text", "reason"),
    [
        (STRANGER, "", "You are not on the list of people"),
        (PRIYA, "theme:Nonsense", "There is no theme 'Nonsense'"),
        (PRIYA, "next tuesday please", "is neither a period nor a scope"),
        (SINEAD, "publish", "Only a admin can do that"),
    ],
)
def test_refusals_are_private_with_a_reason_and_change_nothing(
    bot: Bot, user: str, text: str, reason: str
) -> None:
    response = bot.command(user, "/digest", text)

    assert response.status_code == 200
    [reply] = bot.replies_to(response)
    assert reply["response_type"] == "ephemeral"
    assert reason in all_text(reply)
    time.sleep(0.2)
    assert bot.fake.calls_to("files.completeUploadExternal") == []
    assert bot.fake.calls_to("chat.postMessage") == []


def test_two_directors_asking_at_once_each_get_their_own_report(bot: Bot) -> None:
    first = bot.command(HELEN, "/digest", "Q2 2019/20")
    second = bot.command(PRIYA, "/digest", "Q2 2019/20")

    assert "Directorate: Business Services" in all_text(bot.replies_to(first)[0])
    assert "Whole plan" in all_text(bot.replies_to(second)[0])
    wait_for(lambda: bot.fake.calls_to("files.completeUploadExternal"), count=2, timeout=10)


def test_a_500_and_a_dropped_connection_on_the_upload_step_still_deliver_each_file_once(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    # files_upload_v2 POSTs the bytes itself, past the client's retry handlers: one failure
    # there used to lose the report. Both faults hit the POST of the first file's bytes.
    fake_slack.fail_next("upload", status=500)
    fake_slack.drop_next("upload")

    with digest_bot(sample_db, fake_slack) as bot:
        response = bot.command(PRIYA, "/digest")
        assert response.status_code == 200
        files = uploads(fake_slack, 1)

    assert [f.kind for f in fake_slack.faults_for("upload")] == ["500", "drop"]
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 1  # shared once
    assert sorted(f["name"] for f in files) == [
        "sample-plan-2019-20-Q2-chart.png",
        "sample-plan-2019-20-Q2.docx",
        "sample-plan-2019-20-Q2.pdf",
        "sample-plan-2019-20-Q2.xlsx",
    ]
    assert {f["channel"] for f in files} == {fake_slack.dm_channel(PRIYA)}
    declared = {
        c.args["filename"]: int(c.args["length"])
        for c in fake_slack.calls_to("files.getUploadURLExternal")
    }
    content = fake_slack.uploaded_files
    assert {name: len(data) for name, data in content.items()} == declared  # every byte
    document = Document(io.BytesIO(content["sample-plan-2019-20-Q2.docx"]))
    assert any(t.rows[0].cells[0].text == "Ref" for t in document.tables)
    assert openpyxl.load_workbook(io.BytesIO(content["sample-plan-2019-20-Q2.xlsx"]))
    assert content["sample-plan-2019-20-Q2-chart.png"].startswith(b"\x89PNG")
    assert fake_slack.calls_to("chat.postMessage") == []  # nothing posted twice, or at all


def test_an_upload_step_that_keeps_failing_shares_nothing_and_says_slack_was_busy(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.add_channel(DIGEST_CHANNEL, name="joint-committee")
    notifier = Notifier(make_client(token=BOT_TOKEN, base_url=fake_slack.url, backoff_factor=0.01))
    fake_slack.fail_next("upload", status=503, count=5)  # outlasts four retries
    report = FileToUpload("report.docx", b"the report", "Report")

    with pytest.raises(TransientFailure) as failed:
        notifier.upload(DIGEST_CHANNEL, [report], initial_comment="Report")

    assert "upload report.docx: HTTP 503" in str(failed.value)
    assert len(fake_slack.faults_for("upload")) == 5
    assert fake_slack.calls_to("files.completeUploadExternal") == []  # nothing half-posted
    notifier.upload(DIGEST_CHANNEL, [report], initial_comment="Report")  # Slack is back
    [shared] = fake_slack.calls_to("files.completeUploadExternal")
    assert shared.args["channel_id"] == DIGEST_CHANNEL
    assert fake_slack.uploaded_files == {"report.docx": b"the report"}


def test_a_deactivated_admin_is_not_recorded_as_having_the_draft(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    fake_slack.deactivate(PRIYA)
    # The fake, as real Slack, would take the DM: planbot must look first.
    friday = dt.datetime(2020, 1, 24, 10, 0, tzinfo=LONDON)  # the draft of Q3 is due

    with digest_bot(sample_db, fake_slack, clock=lambda: friday) as bot:
        assert draft_tick(bot.runtime) == []
        assert draft_tick(bot.runtime) == []  # failed for good: not tried again

    assert fake_slack.calls_to("chat.postMessage") == []
    assert fake_slack.calls_to("files.completeUploadExternal") == []
    with sample_db.session() as session:
        [row] = session.scalars(select(m.Delivery).where(m.Delivery.kind == DRAFT)).all()
        assert (row.recipient, row.state) == (PRIYA, "failed")
        assert "deleted: true" in row.detail
