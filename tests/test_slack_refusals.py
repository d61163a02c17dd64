"""Who may do what, and hostile input: every refusal is private, says why and who to ask, and
changes nothing; nothing a person typed ever pings anyone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from support.fakeslack import FakeSlack
from support.slackapp import (
    KWAME,
    SINEAD,
    STRANGER,
    TOM,
    Bot,
    all_text,
    input_values,
    running_bot,
    texts,
    update_count,
    updates_of,
    view_submission,
)

from storage import models as m
from storage.db import Database


@pytest.fixture
def bot(sample_db: Database, fake_slack: FakeSlack) -> Iterator[Bot]:
    with running_bot(sample_db, fake_slack) as running:
        yield running


def refused(bot: Bot, user: str, text: str) -> str:
    """Send `/update text`; the private reply's text, after checking nothing was recorded."""
    before = update_count(bot.db)
    response = bot.command(user, "/update", text)
    assert response.status_code == 200
    [reply] = bot.replies_to(response)
    assert reply["response_type"] == "ephemeral"
    assert update_count(bot.db) == before
    assert bot.fake.calls_to("chat.postMessage") == []  # nothing posted anywhere
    assert bot.fake.calls_to("views.open") == []
    return all_text(reply)


def test_unknown_ref_is_refused_with_the_closest_refs(bot: Bot) -> None:
    said = refused(bot, SINEAD, "ACT-122 green Contract signed")

    assert "There is no action 'ACT-122' in this plan." in said
    assert "Did you mean ACT-12" in said


def test_unknown_status_is_refused_listing_the_valid_ones(bot: Bot) -> None:
    said = refused(bot, SINEAD, "ACT-12 purple Contract signed")

    assert "'purple' is not a status." in said
    assert "not_started, green, amber, red, complete, on_hold" in said


def test_status_without_a_ref_asks_which_action(bot: Bot) -> None:
    said = refused(bot, SINEAD, "green Contract signed")

    assert "Say which action first" in said


def test_someone_elses_action_is_refused_naming_the_owner_and_who_to_ask(bot: Bot) -> None:
    said = refused(bot, TOM, "ACT-12 green Contract signed")

    assert "ACT-12 belongs to Sinead O'Brien (HR &amp; OD)" in said
    assert "Mark Doyle" in said  # the directorate's director
    assert "Ask Sinead O'Brien to update it" in said


def test_someone_not_in_the_plan_is_refused_and_told_who_to_ask(bot: Bot) -> None:
    said = refused(bot, STRANGER, "ACT-12 green Contract signed")

    assert "You are not on the list of people in the plan" in said
    assert "programme office (Priya Shah)" in said


def test_a_period_locked_while_the_form_was_open_is_refused_privately(bot: Bot) -> None:
    bot.command(SINEAD, "/update", "ACT-12")
    [opened] = bot.fake.wait_for_calls("views.open")
    view = bot.fake.view(opened.response["view"]["id"])
    assert view is not None
    with bot.db.session() as session:  # the programme office publishes Q3 meanwhile
        q3 = session.scalar(select(m.Period).where(m.Period.key == "2019-20-Q3"))
        assert q3 is not None
        q3.locked_at = dt.datetime(2020, 1, 10, 9, 0, tzinfo=dt.UTC)
    before = update_count(bot.db)

    response = bot.interact(
        view_submission(SINEAD, view, input_values(view, status="green", note="On track now"))
    )

    assert response.status_code == 200
    [told] = bot.dms_to(SINEAD)
    said = all_text(told)
    assert "Q3 2019/20 (October–December 2019) has been published and is locked" in said
    assert "nothing was recorded" in said
    assert "programme office" in said
    assert update_count(bot.db) == before


def test_a_closed_action_is_refused(bot: Bot) -> None:
    said = refused(bot, SINEAD, "ACT-11 green Still going")

    assert "ACT-11 was closed as complete" in said


HOSTILE = "Supplier <!channel> chased by <@U0BS00002|tom> & <!here> <https://evil.example|click>"


def test_a_note_of_5000_characters_with_mentions_is_refused_clearly(bot: Bot) -> None:
    note = (HOSTILE + " ") * (5000 // (len(HOSTILE) + 1) + 1)
    note = note[:5000]

    said = refused(bot, SINEAD, f"ACT-12 amber {note}")

    assert "Your note is" in said and "the limit is 3,000" in said
    assert "Nothing was recorded" in said
    assert_no_control_sequences(bot)


def test_mentions_in_a_note_never_ping_anyone(bot: Bot) -> None:
    response = bot.command(SINEAD, "/update", f"ACT-12 amber {HOSTILE}")

    [reply] = bot.replies_to(response)
    bot.home_of(SINEAD)
    [stored] = [u for u in updates_of(bot.db, "ACT-12") if u.period_key == "2019-20-Q3"]
    assert stored.note == ("Supplier @channel chased by @tom & @here click (https://evil.example)")
    assert "Supplier @channel chased by @tom &amp; @here" in all_text(reply)

    # The history, the list and the App Home show it too, escaped.
    bot.command(TOM, "/actions", "ACT-12")
    bot.command(SINEAD, "/actions")
    bot.fake.wait_for_calls("response_url", count=3)
    assert_no_control_sequences(bot)


def test_control_sequences_typed_in_the_form_are_shown_escaped(bot: Bot) -> None:
    bot.command(KWAME, "/update", "ACT-13")
    [opened] = bot.fake.wait_for_calls("views.open")
    view = bot.fake.view(opened.response["view"]["id"])
    assert view is not None

    bot.interact(
        view_submission(KWAME, view, input_values(view, status="green", note="<!channel> & <@U1>"))
    )

    [confirmation] = bot.dms_to(KWAME)
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in all_text(confirmation)
    assert updates_of(bot.db, "ACT-13")[-1].note == "<!channel> & <@U1>"
    assert_no_control_sequences(bot)


_BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def assert_no_control_sequences(bot: Bot) -> None:
    """No call to Slack carries `<!…>`, `<@…>`, `<#…>` or a link, nor a bare `&` in mrkdwn.

    An input's `initial_value` is exempt: it hands a person's own words back to them in a
    text box, where Slack interprets nothing.
    """
    for call in bot.fake.calls:
        for key, text in _strings(call.args):
            if key == "initial_value":
                continue
            assert not re.search(r"<[!@#]|<https?:", text), (call.method, text)
            if key in {"text"} and _is_mrkdwn_or_message_text(call.args, text):
                assert not _BARE_AMPERSAND.search(text), (call.method, text)


def _is_mrkdwn_or_message_text(args: dict[str, object], text: str) -> bool:
    plain = set(texts(_plain_text_objects(args)))
    return text not in plain


def _plain_text_objects(value: object) -> list[object]:
    found: list[object] = []
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            found.append(value)
        for item in value.values():
            found += _plain_text_objects(item)
    elif isinstance(value, list):
        for item in value:
            found += _plain_text_objects(item)
    return found


def _strings(value: object, key: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, item in value.items():
            yield from _strings(item, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, key)
