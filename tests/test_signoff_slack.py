"""Sign-off in Slack, end to end over signed HTTP against the strict fake: owners update,
the director gets the day's DM from the scheduler's tick, approves one update from it and
returns another with a comment; the owner is DMed the comment, updates again, and the
director approves the newer update. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy import select
from support.fakeslack import FakeSlack
from support.signoff_plan import MARK, PRIYA, RACHEL, SINEAD, signoff_plan
from support.slackapp import (
    Bot,
    all_text,
    app_home_opened,
    block_actions,
    running_bot,
    view_submission,
)

from bot.domain.periods import Period
from bot.ids import ActionId, BlockId
from bot.model.report import ReportAudience
from bot.render.report_html import render_html
from bot.render.report_json import render_json
from bot.services.digest import compile_digest
from bot.services.plans import load_plan
from jobs import signoff as signoff_job
from storage import models as m
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
DIGEST_CHANNEL = "C0DIGEST1"
IN_WINDOW = dt.datetime(2020, 1, 10, 10, 0, tzinfo=LONDON)  # Q3 2019/20: deadline Thu 23 Jan
DEADLINE_DAY = dt.datetime(2020, 1, 23, 10, 0, tzinfo=LONDON)
NEXT_DAY = dt.datetime(2020, 1, 24, 10, 0, tzinfo=LONDON)  # deadline + 1: the first reminder


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(IN_WINDOW)


@pytest.fixture
def bot(db: Database, fake_slack: FakeSlack, clock: Clock) -> Iterator[Bot]:
    load_plan(db=db, plan_file=signoff_plan(), now=dt.datetime(2019, 12, 1, tzinfo=dt.UTC))
    with running_bot(db, fake_slack, clock=clock, digest_channel=DIGEST_CHANNEL) as running:
        yield running


def buttons(message: dict[str, Any], action_id: str) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks", [])
        if block.get("type") == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    ]


def press(bot: Bot, user: str, element: dict[str, Any]) -> str:
    """Press a button of a DM; the text of the private reply."""
    response = bot.interact(
        block_actions(user, element, response_url=bot.fake.response_url(f"p{id(element)}"))
    )
    assert response.status_code == 200
    bot.wait_idle()
    return " ".join(reply["text"] for reply in bot.replies_to(response))


def decisions(db: Database) -> list[tuple[str, str, str]]:
    with db.read_session() as session:
        rows = session.scalars(select(m.SignOff).order_by(m.SignOff.id))
        return [(r.update.action.ref, r.update.note, r.decision) for r in rows]


def test_owners_update_the_director_approves_one_returns_one_and_approves_the_redo(
    bot: Bot, clock: Clock
) -> None:
    for text in (
        "ACT-12 green Survey out to all staff.",
        "ACT-9 green Panel recruited. revised 31/03/2020",
    ):
        assert bot.command(SINEAD, "/update", text).status_code == 200
        bot.wait_idle()  # one after the other: ACT-12's update is the first
    assert signoff_job.tick(bot.runtime) == []  # before the update deadline: nothing

    clock.now = DEADLINE_DAY
    assert signoff_job.tick(bot.runtime) == [f"signoff_list:2020-01-23:{MARK}"]
    assert signoff_job.tick(bot.runtime) == []  # once a day
    (listing,) = bot.dms_to(MARK)
    assert "2 updates await your sign-off" in listing["text"]
    approve_12, approve_9 = sorted(  # ACT-12 was updated first
        buttons(listing, ActionId.SIGNOFF_APPROVE), key=lambda b: int(b["value"])
    )
    returns = sorted(buttons(listing, ActionId.SIGNOFF_RETURN), key=lambda b: int(b["value"]))
    assert len(buttons(listing, ActionId.SIGNOFF_APPROVE_ALL)) == 1
    assert bot.dms_to(RACHEL, count=0) == []  # Finance's director has nothing of HR's

    assert "Approved ACT-12" in press(bot, MARK, approve_12)
    assert "already approved" in press(bot, MARK, approve_12)  # a double click

    # Return ACT-9: the form opens, a comment is needed, then the owner hears of it.
    press_return = bot.interact(
        block_actions(MARK, returns[1], response_url=bot.fake.response_url("ret"))
    )
    assert press_return.status_code == 200
    form = bot.opened_view()
    empty: dict[str, Any] = {
        BlockId.SIGNOFF_COMMENT: {
            ActionId.SIGNOFF_COMMENT: {"type": "plain_text_input", "value": None}
        }
    }
    refused = bot.interact(view_submission(MARK, form, empty))
    assert refused.json()["response_action"] == "errors"
    comment: dict[str, Any] = {
        BlockId.SIGNOFF_COMMENT: {
            ActionId.SIGNOFF_COMMENT: {
                "type": "plain_text_input",
                "value": "Name the panel's chair.",
            }
        }
    }
    assert bot.interact(view_submission(MARK, form, comment)).status_code == 200
    bot.wait_idle()
    returned = [dm for dm in bot.dms_to(SINEAD) if "returned your update" in dm["text"]]
    assert len(returned) == 1 and "Name the panel" in str(returned[0]["blocks"])
    assert buttons(returned[0], ActionId.OPEN_UPDATE)[0]["value"] == "sample-plan:ACT-9"
    assert decisions(bot.db) == [
        ("ACT-12", "Survey out to all staff.", "approved"),
        ("ACT-9", "Panel recruited.", "returned"),
    ]

    # Publishing now is refused: ACT-9 is returned, not approved. Nothing is locked.
    refusal = publish(bot, "publish 2019-20-Q3")
    assert "is signed off (HR &amp; OD: ACT-9); nothing was published" in refusal
    assert "anyway &lt;reason&gt;" in refusal
    assert not locked(bot.db)

    # The owner updates again; the next day's DM lists only the new update (and reminds).
    assert (
        bot.command(
            SINEAD, "/update", "ACT-9 green Panel chaired by the CEO. revised 31/03/2020"
        ).status_code
        == 200
    )
    bot.wait_idle()
    clock.now = NEXT_DAY
    assert signoff_job.tick(bot.runtime) == [f"signoff_chase_1:{MARK}"]
    (reminder,) = [dm for dm in bot.dms_to(MARK, count=3) if "still await" in dm["text"]]
    assert "1 update still awaits your sign-off" in reminder["text"]
    (approve_new,) = buttons(reminder, ActionId.SIGNOFF_APPROVE)
    assert approve_new["value"] not in {approve_9["value"], approve_12["value"]}
    assert "already returned" in press(bot, MARK, approve_9)  # the returned one stays so
    assert "Approved ACT-9" in press(bot, MARK, approve_new)
    assert decisions(bot.db)[-1] == ("ACT-9", "Panel chaired by the CEO.", "approved")
    assert signoff_job.tick(bot.runtime) == []
    assert "Published Q3 2019/20" in publish(bot, "publish 2019-20-Q3")
    assert locked(bot.db)


def publish(bot: Bot, text: str) -> str:
    """`/digest <text>` from the programme office; the text of the private reply."""
    response = bot.command(PRIYA, "/digest", text)
    assert response.status_code == 200
    bot.wait_idle()
    return " ".join(reply["text"] for reply in bot.replies_to(response))


def locked(db: Database) -> bool:
    with db.read_session() as session:
        row = session.scalars(select(m.Period).where(m.Period.key == "2019-20-Q3")).one()
        return row.locked_at is not None


def test_publishing_anyway_states_the_reason_in_every_published_format(
    bot: Bot, clock: Clock
) -> None:
    assert bot.command(SINEAD, "/update", "ACT-12 green Survey out.").status_code == 200
    bot.wait_idle()
    clock.now = NEXT_DAY
    assert "is signed off (HR &amp; OD: ACT-12)" in publish(bot, "publish 2019-20-Q3")
    assert "Say why" in publish(bot, "publish 2019-20-Q3 anyway")
    assert not locked(bot.db)

    reason = "The committee meets on Monday; HR's director is on leave."
    assert "Published Q3 2019/20" in publish(bot, f"publish 2019-20-Q3 anyway {reason}")
    assert locked(bot.db)
    files = bot.fake.uploaded_files
    word = next(content for name, content in files.items() if name.endswith(".docx"))
    text = "\n".join(p.text for p in Document(io.BytesIO(word)).paragraphs)
    assert reason in text
    pdf = next(content for name, content in files.items() if name.endswith(".pdf"))
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "HR's director is on leave" in " ".join(pdf_text.split())
    digest = compile_digest(
        bot.runtime.request(PRIYA),
        period=Period.from_key("2019-20-Q3"),
        audience=ReportAudience.COMMITTEE,
    )
    assert json.loads(render_json(digest))["signoff"] == {
        "on": True,
        "published_anyway_reason": reason,
    }
    assert html.escape(reason) in render_html(digest, with_chart=False)


def test_the_directors_home_lists_what_awaits_them_and_approves_from_there(
    bot: Bot, clock: Clock
) -> None:
    assert bot.command(SINEAD, "/update", "ACT-12 green Survey out.").status_code == 200
    bot.wait_idle()
    bot.event(app_home_opened(MARK))
    home = bot.home_of(MARK)
    assert "To sign off" in all_text(home)
    (approve,) = [
        element
        for block in home["blocks"]
        if block.get("type") == "actions"
        for element in block["elements"]
        if element["action_id"] == ActionId.SIGNOFF_APPROVE
    ]
    response = bot.interact(block_actions(MARK, approve, view=bot.fake.view(home["id"])))
    assert response.status_code == 200
    bot.wait_idle()
    assert any("Approved ACT-12" in dm["text"] for dm in bot.dms_to(MARK))
    assert decisions(bot.db) == [("ACT-12", "Survey out.", "approved")]
    # Sinead, the owner, has nothing to sign off: her Home has no such list.
    bot.event(app_home_opened(SINEAD))
    assert "To sign off" not in all_text(bot.home_of(SINEAD))


def test_a_redelivered_approve_press_approves_once_and_answers_once(bot: Bot, clock: Clock) -> None:
    assert bot.command(SINEAD, "/update", "ACT-12 green Survey out.").status_code == 200
    bot.wait_idle()
    clock.now = DEADLINE_DAY
    signoff_job.tick(bot.runtime)
    (listing,) = bot.dms_to(MARK)
    (approve,) = buttons(listing, ActionId.SIGNOFF_APPROVE)
    payload = block_actions(MARK, approve, response_url=bot.fake.response_url("redelivered"))
    first = bot.interact(payload)
    again = bot.interact(payload)  # Slack delivering the same press again (same trigger)
    assert (first.status_code, again.status_code) == (200, 200)
    bot.wait_idle()
    assert len(bot.replies_so_far(first)) == 1
    assert decisions(bot.db) == [("ACT-12", "Survey out.", "approved")]
