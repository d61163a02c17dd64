"""The reminder DM's buttons, pressed as Slack sends them: signed `block_actions` requests over
HTTP to the real Bolt app (`bot.app.create_app` behind `bot.entrypoints.http`), answering
through the fake Slack Web API. Pressed from the DM, and from the App Home (a view: no
`response_url`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from support.fakeslack import APP_ID, TEAM_ID, Call, FakeSlack
from support.slackapp import HOME, Bot, block_actions, running_bot, trigger_id
from test_reminders import (
    DANIEL,
    SINEAD,
    TOM,
    Clock,
    at,
    buttons_in,
    dms_to,
    sample_database,
    set_away,
    tick,
)

from bot.model.updates import RecordedUpdate
from bot.services import no_change as no_change_service
from storage import models as m


@pytest.fixture
def bot(sqlite_url: str, fake_slack: FakeSlack) -> Iterator[Bot]:
    """planbot serving HTTP, its clock on Fri 10 Jan 2020 (in Q3's window)."""
    db = sample_database(sqlite_url)
    try:
        with running_bot(db, fake_slack, clock=Clock(at(2020, 1, 10, 10, 30))) as running:
            yield running
    finally:
        db.dispose()


def button(message: Call, action_id: str, ref: str | None = None) -> dict[str, Any]:
    """A button of a DM the bot sent, as Slack reports it pressed (with its block_id)."""
    for block in message.args["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id and ref in (None, element.get("value")):
                return {**element, "block_id": block.get("block_id", "b")}
    raise AssertionError(f"no {action_id} button for {ref}")


def from_dm(bot: Bot, message: Call, pressed: dict[str, Any], name: str) -> dict[str, Any]:
    """A `block_actions` payload for a button pressed in a DM the bot sent."""
    payload = block_actions(
        str(message.args["channel"]),
        pressed,
        response_url=bot.fake.response_url(name),
        channel=message.response["channel"],
    )
    payload["container"]["message_ts"] = message.response["ts"]
    payload["message"] = message.response["message"]
    return payload


def q3_updates(bot: Bot, ref: str) -> list[m.Update]:
    with bot.db.session() as session:
        return list(
            session.scalars(
                select(m.Update)
                .join(m.Action)
                .join(m.Period)
                .where(m.Action.ref == ref, m.Period.key == "2019-20-Q3")
                .order_by(m.Update.id)
            )
        )


def test_no_change_from_the_dm_records_last_quarter_and_says_so_privately(bot: Bot) -> None:
    tick(bot.runtime, at(2020, 1, 9))
    [dm] = dms_to(bot.fake, DANIEL)

    pressed = bot.interact(from_dm(bot, dm, button(dm, "no_change", "ACT-16"), "nochange"))

    assert pressed.status_code == 200
    [reply] = bot.replies_to(pressed)
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "Recorded" in reply["text"] and "ACT-16" in reply["text"]
    assert "On track" in reply["text"]
    assert "Design principles agreed by the management team." in json.dumps(reply["blocks"])
    [update] = q3_updates(bot, "ACT-16")
    assert (update.status, update.note, update.source) == (
        "green",
        "Design principles agreed by the management team.",
        "button",
    )
    # The next reminder no longer lists it.
    tick(bot.runtime, at(2020, 1, 16))
    assert "ACT-16" not in json.dumps(dms_to(bot.fake, DANIEL)[-1].args["blocks"])


def test_no_change_pressed_twice_records_one_update(bot: Bot) -> None:
    tick(bot.runtime, at(2020, 1, 9))
    [dm] = dms_to(bot.fake, DANIEL)
    payload = from_dm(bot, dm, button(dm, "no_change", "ACT-16"), "twice")

    first = bot.interact(payload)
    [first_reply] = bot.replies_to(first)
    resent = bot.interact(payload)  # Slack resending the same request: stored once, done once
    # A double click: a second request (its own trigger), the same button of the same message.
    second = bot.interact({**payload, "trigger_id": trigger_id()})
    replies = bot.replies_to(second, count=2)

    assert resent.status_code == 200
    assert first_reply["text"].startswith(":white_check_mark: Recorded")
    assert [r["text"].startswith("Already recorded") for r in replies] == [False, True]
    assert len(q3_updates(bot, "ACT-16")) == 1
    bot.wait_idle()
    # The first click and the double click answered; the resent request was not done again.
    assert len(bot.replies_so_far(first)) == 2


def test_no_change_delivered_again_while_the_first_records_answers_with_the_first(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second delivery of a click looks for it before the first has recorded it, then
    finds the action updated: it answers with the first result, not "already has an update".
    """

    def click() -> RecordedUpdate:
        return no_change_service.record_no_change(
            bot.runtime.request(DANIEL, now=at(2020, 1, 10, 10, 30)),
            ref="ACT-16",
            idempotency_key="click:ACT-16:1",
        )

    first = click()
    looked = no_change_service._first_delivery
    looks: list[str] = []

    def not_there_on_the_first_look(session: Any, key: str) -> tuple[str, str, str] | None:
        looks.append(key)
        return None if len(looks) == 1 else looked(session, key)

    monkeypatch.setattr(no_change_service, "_first_delivery", not_there_on_the_first_look)
    again = click()

    assert len(looks) == 2
    assert (again.ref, again.status, again.note, again.duplicate) == (
        first.ref,
        first.status,
        first.note,
        True,
    )
    assert len(q3_updates(bot, "ACT-16")) == 1


def test_no_change_is_refused_where_last_quarter_needs_a_fresh_reason(bot: Bot) -> None:
    tick(bot.runtime, at(2020, 1, 9))
    [dm] = dms_to(bot.fake, DANIEL)
    # ACT-17 was amber: its DM offers no such button; a stale or forged press is refused.
    forged = {**button(dm, "no_change", "ACT-16"), "value": "ACT-17"}

    [reply] = bot.replies_to(bot.interact(from_dm(bot, dm, forged, "amber")))

    assert "At risk last quarter, which needs a fresh reason" in reply["text"]
    assert q3_updates(bot, "ACT-17") == []


def test_update_button_from_the_dm_opens_the_update_modal(bot: Bot) -> None:
    tick(bot.runtime, at(2020, 1, 9))
    [dm] = dms_to(bot.fake, DANIEL)
    payload = from_dm(bot, dm, button(dm, "open_update", "ACT-17"), "update")

    assert bot.interact(payload).status_code == 200

    [opened] = bot.fake.wait_for_calls("views.open", timeout=10)
    assert opened.args["trigger_id"] == payload["trigger_id"]
    assert bot.opened_view()["type"] == "modal"
    assert "ACT-17" in json.dumps(opened.args["view"])


def test_a_delegate_records_no_change_for_the_away_owner(bot: Bot) -> None:
    set_away(bot.db, TOM, until=at(2020, 1, 31).date(), delegate=SINEAD)
    tick(bot.runtime, at(2020, 1, 9))
    [dm] = dms_to(bot.fake, SINEAD)
    assert {b["value"] for b in buttons_in(dm) if b["action_id"] == "no_change"} == {"ACT-6"}

    [reply] = bot.replies_to(
        bot.interact(from_dm(bot, dm, button(dm, "no_change", "ACT-6"), "delegate"))
    )

    assert "for Tom Ellis" in reply["text"]
    [update] = q3_updates(bot, "ACT-6")
    with bot.db.session() as session:
        author = session.get(m.Person, update.author_id)
        owner = session.get(m.Person, update.on_behalf_of_id)
        assert author is not None and owner is not None
        assert (author.slack_id, owner.slack_id) == (SINEAD, TOM)


def test_the_buttons_work_from_the_app_home(bot: Bot) -> None:
    no_change = {"type": "button", "action_id": "no_change", "block_id": "h", "value": "ACT-16"}
    update = {"type": "button", "action_id": "open_update", "block_id": "h", "value": "ACT-2"}

    assert bot.interact(block_actions(DANIEL, no_change, view=HOME)).status_code == 200
    [told] = bot.dms_to(DANIEL)  # no response_url on a view: told by DM
    pressed = block_actions(DANIEL, update, view=HOME)
    bot.interact(pressed)
    [opened] = bot.fake.wait_for_calls("views.open", timeout=10)

    assert "Recorded" in told["text"] and "ACT-16" in told["text"]
    assert len(q3_updates(bot, "ACT-16")) == 1
    assert opened.args["trigger_id"] == pressed["trigger_id"]
    assert "ACT-2" in json.dumps(opened.args["view"])


def test_open_planbot_answers_with_a_link_to_the_app_home(bot: Bot) -> None:
    tick(bot.runtime, at(2020, 1, 9))
    [dm] = dms_to(bot.fake, DANIEL)

    [reply] = bot.replies_to(bot.interact(from_dm(bot, dm, button(dm, "open_home"), "home")))

    assert (
        f"<https://slack.com/app_redirect?app={APP_ID}&amp;team={TEAM_ID}|planbot>" in reply["text"]
    )
    assert "Home* tab" in reply["text"]


def test_no_change_after_the_target_date_has_passed_opens_the_form_to_revise_it(bot: Bot) -> None:
    tick(bot.runtime, at(2020, 1, 9))
    [dm] = dms_to(bot.fake, DANIEL)
    assert isinstance(bot.runtime.clock, Clock)
    bot.runtime.clock.moment = at(2020, 4, 1, 10)  # ACT-16's target was 31 Mar 2020

    bot.interact(from_dm(bot, dm, button(dm, "no_change", "ACT-16"), "late"))

    [opened] = bot.fake.wait_for_calls("views.open", timeout=10)
    assert "31 Mar 2020 has passed" in json.dumps(opened.args["view"])
    assert q3_updates(bot, "ACT-16") == []
