# Over 400 lines: publication end to end: locking, posting, webhooks, drafts and their races.
"""Publication: `/digest publish` locks the period and posts the report to the digest channel
and to staff webhooks; amendments are marked when it is re-published; the scheduled draft."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from docx import Document
from sqlalchemy import select
from support.context import ctx
from support.fakeslack import FakeSlack
from support.loopback import loopback_server
from support.slackapp import LONDON, PRIYA, SINEAD, TOM, all_text, wait_for
from test_digest_slack import DIGEST_CHANNEL, digest_bot, uploads

from bot.delivery import publication as publication_delivery
from bot.delivery import webhooks as webhook_delivery
from bot.delivery.publication import publish_report
from bot.delivery.webhooks import post_webhook
from bot.domain.calendar import Cycle
from bot.domain.periods import Period
from bot.errors import InvalidInput, NotAllowed, PeriodLocked, PlanbotError
from bot.model.updates import Source
from bot.render.webhook_payload import is_teams_url, teams_message, teams_text, webhook_payload
from bot.services import publication as publication_service
from bot.services.context import RequestContext
from bot.services.digest import compile_digest
from bot.services.publication import LockedPeriod, lock_period
from bot.services.updates import record_update
from jobs.digest import tick
from storage import models as m
from storage.db import Database

Q3 = Period(2019, 3)
CYCLE = Cycle()
PUBLICATION_DAY = dt.datetime(2020, 1, 30, 15, 0, tzinfo=LONDON)
IN_WINDOW = dt.datetime(2020, 1, 15, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_delivery, "WEBHOOK_BACKOFF", (0.01, 0.02, 0.04))


def reply(
    db: Database, actor: str, ref: str, status: str, *, now: dt.datetime = IN_WINDOW, **kw: Any
) -> None:
    record_update(
        ctx(db, now, actor, cycle=CYCLE), ref=ref, status=status, source=Source.DEMO, **kw
    )


def period_row(db: Database, key: str = Q3.key) -> m.Period:
    with db.session() as session:
        row = session.scalar(select(m.Period).where(m.Period.key == key))
        assert row is not None
        return row


# -- a webhook receiver on loopback -----------------------------------------------------------


@dataclass
class Received:
    path: str
    body: dict[str, Any]


@dataclass
class WebhookServer:
    """Staff tools' webhooks: paths answering 200, or a status per path (500 for /broken)."""

    received: list[Received] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)  # what a path answers, if not "1"
    url: str = ""

    def hits(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
def webhooks() -> Iterator[WebhookServer]:
    state = WebhookServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.received.append(Received(self.path, body))
            status = state.statuses.get(self.path, 200)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            default = b"1" if status == 200 else b"server error"
            self.wfile.write(state.bodies.get(self.path, default))

    with loopback_server(Handler) as url:
        state.url = url
        yield state


# -- /digest publish ---------------------------------------------------------------------------


def test_publish_locks_the_period_and_a_later_change_is_an_amendment_marked_when_republished(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    reply(
        sample_db,
        SINEAD,
        "ACT-12",
        "amber",
        note="At 78%.",
        revised_target_date=dt.date(2020, 4, 30),
    )
    with digest_bot(sample_db, fake_slack, clock=lambda: PUBLICATION_DAY) as bot:
        response = bot.command(PRIYA, "/digest", "publish Q3 2019/20")

        [answer] = bot.replies_to(response)
        assert "Published Q3 2019/20 (October–December 2019)" in all_text(answer)
        assert "locked the period" in all_text(answer)
        [post] = fake_slack.calls_to("chat.postMessage")
        assert post.args["channel"] == DIGEST_CHANNEL
        assert post.args["blocks"][0]["text"]["text"].startswith("Progress report Q3 2019/20")
        first_files = uploads(fake_slack, 1)
        assert {f["channel"] for f in first_files} == {DIGEST_CHANNEL}
        assert len(first_files) == 4  # PDF, Word, Excel, chart
        row = period_row(sample_db)
        assert row.locked_at == PUBLICATION_DAY
        with sample_db.session() as session:
            locker = session.get(m.Person, row.locked_by_id)
            assert locker is not None and locker.slack_id == PRIYA

        # The owner can no longer change Q3; the programme office amends it, with a reason.
        with pytest.raises(PeriodLocked):
            reply(
                sample_db,
                SINEAD,
                "ACT-12",
                "green",
                note="Done.",
                period="2019-20-Q3",
                now=PUBLICATION_DAY,
            )
        reply(
            sample_db,
            PRIYA,
            "ACT-12",
            "green",
            note="Completion reached 91% on 29 January.",
            period="2019-20-Q3",
            amendment_reason="Late figures from HR confirmed after publication.",
            now=PUBLICATION_DAY,
        )

        again = bot.command(PRIYA, "/digest", "publish Q3 2019/20")
        [answer] = bot.replies_to(again)
        assert "Re-published Q3 2019/20" in all_text(answer)
        assert "1 amendment marked" in all_text(answer)
        posts = wait_for(lambda: fake_slack.calls_to("chat.postMessage"), count=2)
        republished = all_text(posts[1].args)
        assert "*Amended after publication (1)*" in republished
        assert "*ACT-12* :large_green_circle: On track: _Late figures from HR" in republished
        files = uploads(fake_slack, 2)
        assert period_row(sample_db).locked_at == PUBLICATION_DAY  # the first lock stands

    docx = fake_slack.uploaded_files["sample-plan-2019-20-Q3.docx"]
    document = Document(io.BytesIO(docx))
    cells = " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Amended after publication on 30 Jan 2020 by Priya Shah" in cells
    assert "re-issued" in " ".join(p.text for p in document.paragraphs)
    assert len(files) == 8


def test_publishing_again_with_nothing_changed_is_refused_and_posts_nothing(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    with digest_bot(sample_db, fake_slack, clock=lambda: PUBLICATION_DAY) as bot:
        bot.replies_to(bot.command(PRIYA, "/digest", "publish Q3 2019/20"))
        uploads(fake_slack, 1)

        [answer] = bot.replies_to(bot.command(PRIYA, "/digest", "publish Q3 2019/20"))

    text = all_text(answer)
    assert answer["response_type"] == "ephemeral"
    assert "was published on 30 Jan 2020 at 15:00 and nothing has changed since" in text
    assert "amend an update for the period" in text
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    with sample_db.session() as session:
        kinds = session.scalars(
            select(m.Delivery.kind).where(m.Delivery.kind.like("digest_published_v%"))
        ).all()
    assert kinds == ["digest_published_v1"]


def test_a_publication_slack_refused_can_be_published_again(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    with digest_bot(sample_db, fake_slack, clock=lambda: PUBLICATION_DAY) as bot:
        fake_slack.fail_next("chat.postMessage", error="channel_not_found")
        [failed] = bot.replies_to(bot.command(PRIYA, "/digest", "publish Q3 2019/20"))
        assert "the post to Slack failed: chat.postMessage: channel_not_found" in all_text(failed)

        [again] = bot.replies_to(bot.command(PRIYA, "/digest", "publish Q3 2019/20"))
        assert "Published Q3 2019/20 (October–December 2019) to" in all_text(again)
        uploads(fake_slack, 1)
    # The channel never saw the first, so the second is no "re-publication".
    [post] = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == DIGEST_CHANNEL
    ]
    assert post.args["text"].startswith("Published: ")


def test_a_second_publish_while_the_first_is_posting_is_refused(sample_db: Database) -> None:
    def lock(now: dt.datetime) -> LockedPeriod:
        """`lock_period` as the admin would call it, at `now`."""
        return lock_period(
            ctx(sample_db, now, PRIYA, cycle=CYCLE), period=Q3, channel=DIGEST_CHANNEL
        )

    first = lock(PUBLICATION_DAY)  # claimed, not yet posted

    with pytest.raises(NotAllowed) as refused:
        lock(PUBLICATION_DAY + dt.timedelta(seconds=20))
    assert "is being published right now" in refused.value.message
    # A publisher that died mid-post does not block the period for ever.
    later = lock(PUBLICATION_DAY + dt.timedelta(minutes=11))
    assert (first.version, later.version, later.republished) == (1, 2, False)


def test_teams_card_says_re_published_only_after_a_publication_that_was_seen(
    sample_db: Database,
) -> None:
    digest = compile_digest(ctx(sample_db, PUBLICATION_DAY), period=Q3)
    teams = "https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d"

    def subtitle(payload: dict[str, Any]) -> str:
        return str(payload["attachments"][0]["content"]["body"][1]["text"])

    retry = webhook_payload(digest, teams, version=2, republished=False)
    again = webhook_payload(digest, teams, version=2, republished=True)
    assert subtitle(retry).startswith("Published ")
    assert subtitle(again).startswith("Re-published with amendments ")


def test_only_the_programme_office_publishes_and_a_refusal_locks_nothing(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    with digest_bot(sample_db, fake_slack, clock=lambda: PUBLICATION_DAY) as bot:
        response = bot.command(TOM, "/digest", "publish")
        [answer] = bot.replies_to(response)

    assert "Only a admin can do that" in all_text(answer)
    assert answer["response_type"] == "ephemeral"
    assert fake_slack.calls_to("chat.postMessage") == []
    with sample_db.session() as session:
        assert session.scalars(select(m.Period).where(m.Period.locked_at.is_not(None))).all() == []


def test_a_period_that_has_not_started_cannot_be_published(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    with digest_bot(sample_db, fake_slack, clock=lambda: PUBLICATION_DAY) as bot:
        [answer] = bot.replies_to(bot.command(PRIYA, "/digest", "publish Q4 2019/20"))

    assert "Q4 2019/20 (January–March 2020) has not started collecting updates" in all_text(answer)
    assert fake_slack.calls_to("chat.postMessage") == []
    with sample_db.session() as session:
        assert session.scalars(select(m.Period).where(m.Period.locked_at.is_not(None))).all() == []


def test_without_a_digest_channel_publication_is_refused_and_nothing_is_locked(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    with digest_bot(sample_db, fake_slack, channel=None, clock=lambda: PUBLICATION_DAY) as bot:
        [answer] = bot.replies_to(bot.command(PRIYA, "/digest", "publish Q3 2019/20"))

    assert "PLANBOT_DIGEST_CHANNEL" in all_text(answer)
    assert period_row(sample_db).locked_at is None


# -- webhooks -----------------------------------------------------------------------------------


def test_published_report_reaches_teams_as_a_card_and_other_tools_as_json(
    sample_db: Database, fake_slack: FakeSlack, webhooks: WebhookServer
) -> None:
    teams = f"{webhooks.url}/webhookb2/abc@def/IncomingWebhook/123/456"
    plain = f"{webhooks.url}/hooks/staff-portal"
    with digest_bot(
        sample_db, fake_slack, clock=lambda: PUBLICATION_DAY, webhooks=[teams, plain]
    ) as bot:
        [answer] = bot.replies_to(bot.command(PRIYA, "/digest", "publish Q2 2019/20"))
        assert "delivered" in all_text(answer)

    [card] = webhooks.hits("/webhookb2/abc@def/IncomingWebhook/123/456")
    assert card.body["type"] == "message"
    [attachment] = card.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = attachment["content"]
    assert content["type"] == "AdaptiveCard" and content["version"] == "1.4"
    texts = [b.get("text", "") for b in content["body"]]
    assert texts[0] == "Sample plan: progress report, Q2 2019/20 (July–September 2019)"
    facts = {f["title"]: f["value"] for b in content["body"] for f in b.get("facts", [])}
    assert facts["Off track"] == "1 (0 in 2019-20-Q1)"
    assert facts["On track"] == "8 (9 in 2019-20-Q1)"
    assert any(t.startswith("ACT-14 Reduce the non-shared overspend") for t in texts)

    [data] = webhooks.hits("/hooks/staff-portal")
    assert data.body["event"] == "planbot.report_published"
    assert data.body["version"] == 1
    report = data.body["report"]
    assert report["period"]["key"] == "2019-20-Q2"
    assert report["audience"] == "committee"
    assert report["counts"]["green"] == 8
    assert len(report["actions"]) == 20
    assert fake_slack.calls_to("chat.postMessage")[0].args["channel"] == DIGEST_CHANNEL


def test_a_failing_webhook_is_retried_then_reported_and_the_slack_post_still_happens(
    sample_db: Database, fake_slack: FakeSlack, webhooks: WebhookServer
) -> None:
    broken = f"{webhooks.url}/broken"
    webhooks.statuses["/broken"] = 500
    working = f"{webhooks.url}/hooks/ok"
    with digest_bot(
        sample_db, fake_slack, clock=lambda: PUBLICATION_DAY, webhooks=[broken, working]
    ) as bot:
        [answer] = bot.replies_to(bot.command(PRIYA, "/digest", "publish Q2 2019/20"))

        assert len(webhooks.hits("/broken")) == 4  # the first try and three retries
        assert len(webhooks.hits("/hooks/ok")) == 1  # the next webhook still gets it
        posts = fake_slack.calls_to("chat.postMessage")
        assert posts[0].args["channel"] == DIGEST_CHANNEL  # the report went out
        assert len(uploads(fake_slack, 1)) == 4
        [alert] = bot.dms_to(PRIYA)
        assert "did not reach the webhook 127.0.0.1#" in alert["text"]
        assert "after 4 attempts (HTTP 500 server error)" in alert["text"]
        assert "The Slack post went out." in alert["text"]
        assert "failed after 4 attempts" in all_text(answer)
        assert broken not in alert["text"]  # the URL is a secret; it is named by host and hash
    with sample_db.session() as session:
        states = dict(
            session.execute(
                select(m.Delivery.kind, m.Delivery.state).where(
                    m.Delivery.recipient.like("127.0.0.1#%"), m.Delivery.state == "failed"
                )
            )
            .tuples()
            .all()
        )
    assert states == {"digest_webhook_v1": "failed"}


def test_what_a_failing_webhook_answered_reaches_the_admins_escaped_and_cut(
    sample_db: Database, fake_slack: FakeSlack, webhooks: WebhookServer
) -> None:
    webhooks.statuses["/hostile"] = webhooks.statuses["/long"] = 400  # refused: no retries
    webhooks.bodies["/hostile"] = b"<!channel> & <http://x|y>"
    webhooks.bodies["/long"] = b"Bad payload: " + b"x" * 5000
    hooks = [f"{webhooks.url}/hostile", f"{webhooks.url}/long"]
    with digest_bot(sample_db, fake_slack, clock=lambda: PUBLICATION_DAY, webhooks=hooks) as bot:
        bot.replies_to(bot.command(PRIYA, "/digest", "publish Q2 2019/20"))
        [alert] = bot.dms_to(PRIYA)

    hostile, long = alert["text"].splitlines()
    assert hostile.endswith(
        "after 1 attempts (HTTP 400 &lt;!channel&gt; &amp; &lt;http://x|y&gt;). "
        "The Slack post went out."
    )
    assert "<!channel>" not in alert["text"] and "<http" not in alert["text"]
    assert "(HTTP 400 Bad payload: xxx" in long
    assert "x…). The Slack post went out." in long  # cut to what an admin needs


def test_webhook_retries_connection_errors_and_429_but_not_400(webhooks: WebhookServer) -> None:
    webhooks.statuses["/bad"] = 400
    webhooks.statuses["/busy"] = 429
    sleeps: list[float] = []

    bad = post_webhook(f"{webhooks.url}/bad", {"x": 1}, backoff=(0.0, 0.0), sleep=sleeps.append)
    busy = post_webhook(f"{webhooks.url}/busy", {"x": 1}, backoff=(0.5, 1.0), sleep=sleeps.append)
    gone = post_webhook("http://127.0.0.1:9/nothing", {}, backoff=(0.0,), sleep=sleeps.append)

    assert (bad.ok, bad.attempts) == (False, 1)
    assert (busy.ok, busy.attempts) == (False, 3)
    assert sleeps == [0.5, 1.0, 0.0]
    assert (gone.ok, gone.attempts) == (False, 2)
    assert "ConnectError" in gone.detail


@pytest.mark.parametrize(
    ("url", "teams"),
    [
        ("https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d", True),
        ("https://outlook.office.com/webhook/a/IncomingWebhook/b/c", True),
        (
            "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke",
            True,
        ),
        ("https://default.environment.api.powerplatform.com/powerautomate/automations/x", True),
        ("https://hooks.example.org/planbot", False),
        ("https://office.com.evil.example/hook", False),
    ],
)
def test_teams_urls_are_recognised(url: str, teams: bool) -> None:
    assert is_teams_url(url) is teams


def test_teams_card_stays_under_the_size_limit_for_a_big_plan(sample_db: Database) -> None:
    digest = compile_digest(ctx(sample_db, PUBLICATION_DAY), period=Period(2019, 2))
    message = teams_message(digest)
    assert len(json.dumps(message).encode()) < 28_000
    body = message["attachments"][0]["content"]["body"]
    assert sum(1 for b in body if str(b.get("text", "")).startswith("ACT-")) == 8  # 7 amber, 1 red
    plain = webhook_payload(digest, "https://hooks.example.org/x")
    assert plain["report"]["plan"]["key"] == "sample-plan"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (
            "Save **£5m** by [April](http://x.example)",
            r"Save \*\*£5m\*\* by \[April\](http://x.example)",
        ),
        ("snake_case_name and `code`", r"snake\_case\_name and \`code\`"),
        ("C:\\temp & <b>", r"C:\\temp & <b>"),
    ],
)
def test_teams_text_shows_what_was_typed_not_markdown(typed: str, shown: str) -> None:
    assert teams_text(typed) == shown
    assert teams_text("- a dash") == r"\- a dash" and teams_text("3. third") == r"3\. third"


def test_a_title_and_note_typed_with_markdown_reach_teams_literally(sample_db: Database) -> None:
    q2 = Period(2019, 2)
    ref = compile_digest(ctx(sample_db, PUBLICATION_DAY), period=q2).exceptions[0].ref
    with sample_db.session() as session:
        action = session.scalar(select(m.Action).where(m.Action.ref == ref))
        assert action is not None
        action.title = "**Urgent** [click](http://x.example)"
        latest = session.scalar(
            select(m.Update)
            .join(m.Period)
            .where(m.Update.action_id == action.id, m.Period.key == q2.key)
            .order_by(m.Update.id.desc())
        )
        assert latest is not None
        latest.note = "_x_"
    digest = compile_digest(ctx(sample_db, PUBLICATION_DAY), period=q2)

    body = teams_message(digest)["attachments"][0]["content"]["body"]

    [line] = [b["text"] for b in body if str(b.get("text", "")).startswith(ref + " ")]
    assert r"\*\*Urgent\*\* \[click\](http://x.example)" in line
    assert line.endswith(r"\_x\_")


# -- the scheduled draft -----------------------------------------------------------------------


def test_draft_goes_to_the_admins_once_on_the_working_day_after_the_deadline(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    # Q3 2019/20: updates due Thu 23 Jan 2020, so the draft is due Fri 24 Jan at 09:30.
    clock = {"now": dt.datetime(2020, 1, 24, 9, 29, tzinfo=LONDON)}
    reply(sample_db, TOM, "ACT-6", "green", note="Survey open.")
    with digest_bot(sample_db, fake_slack, clock=lambda: clock["now"]) as bot:
        runtime = bot.runtime
        assert tick(runtime) == []  # a minute early
        clock["now"] = dt.datetime(2020, 1, 23, 16, 0, tzinfo=LONDON)
        assert tick(runtime) == []  # deadline day

        clock["now"] = dt.datetime(2020, 1, 24, 9, 31, tzinfo=LONDON)
        assert tick(runtime) == [f"{Q3.key}:{PRIYA}"]
        assert tick(runtime) == []  # once
        [dm] = bot.dms_to(PRIYA)
        assert "Draft for checking" in dm["text"]
        seen = all_text(dm)
        assert "*No update received (16)*" in seen
        assert "Sinead O'Brien (HR &amp; OD): ACT-9, ACT-10, ACT-12" not in seen  # ACT-10 is Mark's
        assert "Sinead O'Brien (HR &amp; OD): ACT-9, ACT-12" in seen  # drafts name people
        files = uploads(fake_slack, 1)
        assert {f["channel"] for f in files} == {fake_slack.dm_channel(PRIYA)}
        assert {f["name"] for f in files} == {
            "sample-plan-2019-20-Q3.pdf",
            "sample-plan-2019-20-Q3.docx",
            "sample-plan-2019-20-Q3.xlsx",
            "sample-plan-2019-20-Q3-chart.png",
        }

        # A restart (or another replica) later that day sends nothing again.
        clock["now"] = dt.datetime(2020, 1, 24, 14, 0, tzinfo=LONDON)
        assert tick(runtime) == []
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_draft_missed_while_down_is_sent_late_but_never_after_publication(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    with digest_bot(sample_db, fake_slack, clock=lambda: PUBLICATION_DAY) as bot:
        saturday = dt.datetime(2020, 1, 25, 10, 0, tzinfo=LONDON)
        assert tick(replace(bot.runtime, clock=lambda: saturday)) == []  # never at weekends
        lock_period(ctx(sample_db, saturday, PRIYA, cycle=CYCLE), period=Q3)
        monday = dt.datetime(2020, 1, 27, 10, 0, tzinfo=LONDON)
        assert tick(replace(bot.runtime, clock=lambda: monday)) == []  # published: no draft
    assert fake_slack.calls_to("chat.postMessage") == []


def test_draft_is_sent_late_after_a_weekend_down(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    monday = dt.datetime(2020, 1, 27, 10, 0, tzinfo=LONDON)
    with digest_bot(sample_db, fake_slack, clock=lambda: monday) as bot:
        assert tick(bot.runtime) == [f"{Q3.key}:{PRIYA}"]
        bot.dms_to(PRIYA)
        uploads(fake_slack, 1)


def test_a_bare_publish_never_takes_the_period_still_collecting(sample_db: Database) -> None:
    def chosen(now: dt.datetime) -> str:
        return publication_service.period_to_publish(ctx(sample_db, now, cycle=CYCLE)).key

    # In Q3's window (deadline Thu 23 Jan 2020), the finished quarter is Q2.
    assert chosen(IN_WINDOW) == "2019-20-Q2"
    with sample_db.session() as session:
        q2 = session.scalar(select(m.Period).where(m.Period.key == "2019-20-Q2"))
        assert q2 is not None
        q2.locked_at = IN_WINDOW
    with pytest.raises(InvalidInput) as refused:
        chosen(IN_WINDOW)
    assert "still collecting updates until 23 Jan 2020" in refused.value.message
    assert refused.value.hint is not None and "/digest publish 2019-20-Q3" in refused.value.hint
    # The day after the deadline, Q3 is the one to publish.
    assert chosen(dt.datetime(2020, 1, 24, 10, 0, tzinfo=LONDON)) == "2019-20-Q3"


def test_a_draft_slack_could_not_take_is_sent_at_the_next_tick(
    sample_db: Database, fake_slack: FakeSlack
) -> None:
    friday = dt.datetime(2020, 1, 24, 10, 0, tzinfo=LONDON)
    with digest_bot(sample_db, fake_slack, clock=lambda: friday) as bot:
        # Slack answers the first tick's message with an internal error.
        fake_slack.fail_next("chat.postMessage", error="internal_error")
        assert tick(bot.runtime) == []
        assert fake_slack.calls_to("chat.postMessage") == []

        assert tick(bot.runtime) == [f"{Q3.key}:{PRIYA}"]
        assert tick(bot.runtime) == []
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_redelivery_racing_the_first_publishes_once_and_is_not_refused(
    sample_db: Database, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack redelivers `/digest publish` while the first delivery is still choosing its period.

    Whichever delivery takes the request first publishes; the other says nothing. It must
    not go on to choose a period, find it just locked by the first, and answer "already
    published" (the flaky failure this pins: the check for a seen request came before the
    claim, leaving a gap between them).
    """
    on_publication_day = dt.datetime(2020, 1, 24, 10, 0, tzinfo=LONDON)
    choose = publication_service.period_to_publish
    held, other_done = threading.Event(), threading.Event()

    def first_caller_waits(context: RequestContext) -> Period:
        if not held.is_set():
            held.set()
            assert other_done.wait(10), "the other delivery never finished"
        return choose(context)

    monkeypatch.setattr(publication_delivery, "period_to_publish", first_caller_waits)
    outcomes: list[object] = []

    def deliver() -> None:
        try:
            outcomes.append(publish_report(**request))
        except PlanbotError as refused:
            outcomes.append(refused)

    with digest_bot(sample_db, fake_slack, clock=lambda: on_publication_day) as bot:
        request: dict[str, Any] = {
            "runtime": bot.runtime,
            "actor_slack_id": PRIYA,
            "now": on_publication_day,
            "request_key": "trigger-4242",
        }
        first = threading.Thread(target=deliver)
        first.start()
        assert held.wait(10)
        deliver()  # the redelivery, while the first waits inside
        other_done.set()
        first.join(10)

    assert len(outcomes) == 2 and outcomes.count(None) == 1, outcomes
    [published] = [o for o in outcomes if o is not None]
    assert isinstance(published, publication_delivery.PublishResult)
    assert published.locked.period == Q3
    posts = fake_slack.calls_to("chat.postMessage")
    assert [p.args["text"].split(":")[0] for p in posts] == ["Published"]
