"""What people see: `/actions` and an action's history, the App Home for an owner, a director
and the programme office, and `/planbot` help, away and back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from support.fakeslack import FakeSlack
from support.slackapp import (
    HELEN,
    KWAME,
    MARK,
    PRIYA,
    SINEAD,
    STRANGER,
    TOM,
    Bot,
    all_text,
    app_home_opened,
    running_bot,
    update_count,
    updates_of,
)

from storage import models as m
from storage.db import Database


@pytest.fixture
def bot(sample_db: Database, fake_slack: FakeSlack) -> Iterator[Bot]:
    with running_bot(sample_db, fake_slack) as running:
        yield running


def reply(bot: Bot, user: str, command: str, text: str = "") -> dict[str, Any]:
    response = bot.command(user, command, text)
    assert response.status_code == 200
    [answer] = bot.replies_to(response)
    assert answer["response_type"] == "ephemeral"
    return answer


def sections(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b]


def line_for(message: dict[str, Any], ref: str) -> str:
    [line] = [s for s in sections(message) if s.startswith(f"*{ref}*")]
    return line


# -- /actions ----------------------------------------------------------------------------------


def test_owner_sees_their_open_actions_with_what_is_due(bot: Bot) -> None:
    answer = reply(bot, SINEAD, "/actions")

    seen = all_text(answer)
    assert "Your actions" in seen
    assert "Q3 2019/20 (October–December 2019)* · updates due by Thu 23 Jan 2020" in seen
    assert "0 of 2 updated" in seen
    act12 = line_for(answer, "ACT-12")
    assert "This period: :hourglass_flowing_sand: due by 23 Jan 2020" in act12
    assert "last period: :large_yellow_circle: At risk" in act12
    assert "target 31 Mar 2020" in act12
    act9 = line_for(answer, "ACT-9")
    assert "target 31 Dec 2019 :warning: passed" in act9
    assert not any(s.startswith("*ACT-11*") for s in sections(answer))  # closed in Q2
    buttons = [b["accessory"]["value"] for b in answer["blocks"] if "accessory" in b]
    assert buttons == ["ACT-9", "ACT-12"]


def test_owner_list_shows_this_periods_status_after_an_update(bot: Bot) -> None:
    reply(bot, SINEAD, "/update", "ACT-12 green Contract signed")

    answer = reply(bot, SINEAD, "/actions")

    assert "This period: :large_green_circle: On track" in line_for(answer, "ACT-12")
    assert "1 of 2 updated" in all_text(answer)


def test_director_asks_for_someones_actions_by_mention(bot: Bot) -> None:
    answer = reply(bot, MARK, "/actions", f"<@{SINEAD}|sinead.obrien>")

    assert "Sinead O'Brien's actions" in all_text(answer)
    assert [s.split("*")[1] for s in sections(answer) if s.startswith("*ACT")] == [
        "ACT-9",
        "ACT-12",
    ]
    assert "owner: Sinead O'Brien" in line_for(answer, "ACT-12")


def test_admin_asks_for_a_directorate(bot: Bot) -> None:
    answer = reply(bot, PRIYA, "/actions", "directorate:finance")

    assert "Finance" in all_text(answer)
    refs = [s.split("*")[1] for s in sections(answer) if s.startswith("*ACT")]
    assert refs == ["ACT-13", "ACT-14", "ACT-15"]


def test_an_owner_may_not_list_someone_elses_actions(bot: Bot) -> None:
    answer = reply(bot, TOM, "/actions", f"<@{SINEAD}|sinead.obrien>")

    assert "Only directors and the programme office" in all_text(answer)


def test_unknown_directorate_lists_the_real_ones(bot: Bot) -> None:
    answer = reply(bot, HELEN, "/actions", "directorate:Parks")

    seen = all_text(answer)
    assert "There is no directorate 'Parks'" in seen
    assert "Business Services" in seen and "HR &amp; OD" in seen


def test_action_history_shows_who_when_and_for_whom(bot: Bot) -> None:
    reply(bot, MARK, "/update", "ACT-12 green Checked with Sinead: 91% done")

    answer = reply(bot, TOM, "/actions", "act12")

    texts = sections(answer)
    assert texts[0].startswith("*ACT-12* Raise appraisal completion")
    assert "owner: Sinead O'Brien" in texts[0]
    newest, q2, q1 = texts[1:4]
    assert newest.startswith("*Q3 2019/20 (October–December 2019)*: :large_green_circle: On track")
    assert ">Checked with Sinead: 91% done" in newest
    assert "_By Mark Doyle for Sinead O'Brien · 10 Jan 2020 10:00 · via /update_" in newest
    assert q2.startswith("*Q2 2019/20 (July–September 2019)*: :large_yellow_circle: At risk")
    assert "_By import · 2 Dec 2019 09:00 · imported_" in q2
    assert q1.startswith("*Q1 2019/20")


def test_actions_help(bot: Bot) -> None:
    answer = reply(bot, TOM, "/actions", "help")

    assert "/actions directorate:Finance" in all_text(answer)


# -- App Home --------------------------------------------------------------------------------


def test_owner_home_lists_their_actions_with_an_update_button_each(bot: Bot) -> None:
    bot.event(app_home_opened(SINEAD))

    home = bot.home_of(SINEAD)
    seen = all_text(home)
    assert home["type"] == "home"
    assert "*Your actions*" in seen
    assert "2 to update by Thu 23 Jan 2020" in seen
    buttons = [
        (b["accessory"]["action_id"], b["accessory"]["value"])
        for b in home["blocks"]
        if "accessory" in b
    ]
    assert buttons == [("open_update", "ACT-9"), ("open_update", "ACT-12")]
    assert "Plan progress" not in seen


def test_the_home_changes_after_an_update(bot: Bot) -> None:
    bot.event(app_home_opened(SINEAD))
    before = bot.home_of(SINEAD)
    assert "due by 23 Jan 2020" in line_for(before, "ACT-12")

    reply(bot, SINEAD, "/update", "ACT-12 green Contract signed")

    after = bot.home_of(SINEAD, publishes=2)
    assert "This period: :large_green_circle: On track" in line_for(after, "ACT-12")
    assert "1 to update by Thu 23 Jan 2020" in all_text(after)


def test_director_home_shows_the_directorates_progress(bot: Bot) -> None:
    reply(bot, SINEAD, "/update", "ACT-12 green Contract signed")

    bot.event(app_home_opened(MARK))

    home = bot.home_of(MARK)
    seen = all_text(home)
    assert "*HR &amp; OD* this period" in seen
    assert "*1 of 3* updated" in seen  # ACT-9, 10 and 12; ACT-11 was completed in Q2
    assert ":large_green_circle: On track: 1" in seen
    assert "This period: :large_green_circle: On track" in line_for(home, "ACT-12")
    assert "owner: Sinead O'Brien" in line_for(home, "ACT-9")
    assert "due by 23 Jan 2020" in line_for(home, "ACT-10")  # Mark's own, under "Your actions"


def test_admin_home_shows_the_plan_and_who_is_outstanding(bot: Bot) -> None:
    reply(bot, SINEAD, "/update", "ACT-12 green Contract signed")
    reply(bot, KWAME, "/update", "ACT-13 amber Mitigations agreed")

    bot.event(app_home_opened(PRIYA))

    home = bot.home_of(PRIYA)
    seen = all_text(home)
    assert "*Plan progress*" in seen
    assert "*2 of 17* updated" in seen
    assert ":large_green_circle: On track: 1 · :large_yellow_circle: At risk: 1" in seen
    finance = next(s for s in sections(home) if s.startswith("*Finance*"))
    assert finance == (
        "*Finance*: 1 of 3 updated\nOutstanding: ACT-14 (Rachel Green), ACT-15 (Kwame Mensah)"
    )


def test_someone_not_in_the_plan_sees_why_on_the_home(bot: Bot) -> None:
    bot.event(app_home_opened(STRANGER))

    home = bot.home_of(STRANGER)
    assert "You are not on the list of people in the plan" in all_text(home)


# -- /planbot ----------------------------------------------------------------------------------


def test_planbot_help(bot: Bot) -> None:
    answer = reply(bot, TOM, "/planbot", "help")

    seen = all_text(answer)
    assert "/planbot away 13/01/2020 17/01/2020 @delegate" in seen
    assert "/planbot back" in seen


def test_away_with_a_delegate_lets_the_delegate_update_for_the_owner(bot: Bot) -> None:
    answer = reply(bot, SINEAD, "/planbot", f"away 13/01/2020 24/01/2020 <@{TOM}|tom.ellis>")

    assert "You're away 13 Jan 2020 to 24 Jan 2020" in all_text(answer)
    assert "*Tom Ellis* gets your reminders" in all_text(answer)
    with bot.db.session() as session:
        sinead = session.scalar(select(m.Person).where(m.Person.slack_id == SINEAD))
        assert sinead is not None
        assert (sinead.away_from, sinead.away_to) == (dt.date(2020, 1, 13), dt.date(2020, 1, 24))
        assert sinead.delegate is not None and sinead.delegate.slack_id == TOM

    home = bot.home_of(SINEAD)
    assert "Away 13 Jan 2020 to 24 Jan 2020; Tom Ellis gets your reminders" in all_text(home)

    confirmation = reply(bot, TOM, "/update", "ACT-12 green Sinead asked me to report: 91%")

    assert "By Tom Ellis for Sinead O'Brien" in all_text(confirmation)
    latest = updates_of(bot.db, "ACT-12")[-1]
    assert (latest.author, latest.on_behalf_of) == (TOM, SINEAD)

    back = reply(bot, SINEAD, "/planbot", "back")

    assert "Welcome back" in all_text(back)
    with bot.db.session() as session:
        sinead = session.scalar(select(m.Person).where(m.Person.slack_id == SINEAD))
        assert sinead is not None and sinead.away_from is None


def test_away_without_a_delegate_says_reminders_go_to_the_director(bot: Bot) -> None:
    answer = reply(bot, KWAME, "/planbot", "away 13 Jan 2020 to 17 Jan 2020")

    assert "your reminders go to your director (Rachel Green)" in all_text(answer)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("away 17/01/2020 13/01/2020", "before you leave"),
        ("away 31/02/2020 03/03/2020", "'31/02/2020' is not a date I can read"),
        ("away 13/01/2020 17/01/2020 <@U0NOTINPLAN|someone>", "must be one of the plan's people"),
        ("holiday", "I don't know '/planbot holiday'"),
    ],
)
def test_planbot_refusals_change_nothing(bot: Bot, text: str, said: str) -> None:
    answer = reply(bot, SINEAD, "/planbot", text)

    assert said in all_text(answer)
    with bot.db.session() as session:
        sinead = session.scalar(select(m.Person).where(m.Person.slack_id == SINEAD))
        assert sinead is not None and sinead.away_from is None and sinead.delegate_id is None
    assert update_count(bot.db) == 40
