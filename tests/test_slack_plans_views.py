"""What people see in several plans at once: the App Home and `/actions` grouped by plan, each
plan in its own statuses, and a ref two plans have named with both (three plans in one
database: the issue's improvement plan, five-status strategy and Scottish plan)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support.fakeslack import FakeSlack
from support.slackapp import Bot, all_text, app_home_opened, running_bot
from support.slackrules import message_problems, view_problems
from support.three_plans import (
    DIANA,
    LOADED_AT,
    NIA,
    OMAR,
    PERIOD,
    PLAN_KEYS,
    PRIYA,
    SAM,
    load_three_plans,
    write_plan_folder,
)

from bot.domain.periods import Period
from bot.planio import read_plan
from bot.services.plans import load_plan, period_row
from storage import models as m
from storage.db import Database

# Mon 16 Nov 2026: the windows for 2026-27-Q3 are open in all three plans.
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Europe/London"))
STRANGER = "U0NOTINANY"


def report(db: Database, plan_key: str, ref: str, period: str, status: str, note: str) -> None:
    """An update of `ref` in the plan `plan_key` for `period`, as an import would leave it."""
    with db.session() as session:
        plan = session.scalar(select(m.Plan).where(m.Plan.key == plan_key))
        assert plan is not None
        action = session.scalar(
            select(m.Action).where(m.Action.plan_id == plan.id, m.Action.ref == ref)
        )
        assert action is not None
        row = period_row(session, plan, Period.from_key(period))
        session.add(
            m.Update(
                action_id=action.id,
                period_id=row.id,
                status=status,
                note=note,
                revised_target_date=None,
                source="import",
                created_at=LOADED_AT,
            )
        )


@pytest.fixture
def three_plans(db: Database, tmp_path: Path) -> Database:
    load_three_plans(db, tmp_path)
    report(db, "strategy", "SP-1", "2026-27-Q2", "minor_delay", "Board papers late")
    report(db, "strategy", "SP-1", PERIOD, "major_delay", "Savings target missed")
    report(db, "improvement", "ACT-2", "2026-27-Q2", "amber", "Supplier slow")
    return db


@pytest.fixture
def bot(three_plans: Database, fake_slack: FakeSlack) -> Iterator[Bot]:
    with running_bot(three_plans, fake_slack, clock=lambda: NOW) as running:
        yield running


def reply(bot: Bot, user: str, text: str = "") -> dict[str, Any]:
    response = bot.command(user, "/actions", text)
    assert response.status_code == 200
    [answer] = bot.replies_to(response)
    assert answer["response_type"] == "ephemeral"
    assert message_problems(answer["blocks"], answer["text"]) == (None, [])
    return answer


def headers(surface: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in surface["blocks"] if b["type"] == "header"]


def by_plan(surface: dict[str, Any]) -> dict[str, str]:
    """The text under each header, by the header's text."""
    parts: dict[str, str] = {}
    current = ""
    for block in surface["blocks"]:
        if block["type"] == "header":
            current = block["text"]["text"]
            parts[current] = ""
        elif current:
            parts[current] += json.dumps(block, ensure_ascii=False) + "\n"
    return parts


# -- App Home ----------------------------------------------------------------------------------


def test_home_of_someone_in_two_plans_has_a_part_for_each_in_its_own_statuses(bot: Bot) -> None:
    bot.event(app_home_opened(SAM))

    home = bot.home_of(SAM)
    assert view_problems({"type": "home", "blocks": home["blocks"]}) == []
    assert headers(home) == ["Improvement", "Strategy 2020-23"]
    parts = by_plan(home)
    improvement, strategy = parts["Improvement"], parts["Strategy 2020-23"]
    assert "*ACT-2* Move payroll to the shared service" in improvement
    assert "last period: :large_yellow_circle: At risk" in improvement
    assert "updates due by Wed 25 Nov 2026" in improvement
    assert "SP-1" not in improvement
    assert "*SP-1* Agree the three-year savings plan" in strategy
    assert "This period: :red_circle: Major delay" in strategy
    assert "last period: :large_yellow_circle: Minor delay" in strategy
    assert "ACT-2" not in strategy
    assert "Off track" not in strategy and "At risk" not in strategy
    # A person in several plans may have a ref in two: the Update buttons name the plan.
    buttons = [b["accessory"]["value"] for b in home["blocks"] if "accessory" in b]
    assert buttons == ["improvement:ACT-2", "strategy:SP-1"]
    assert "`/update &lt;plan&gt; ACT-12 …`" in all_text(home)


def test_home_of_someone_in_one_plan_of_several_is_that_plan_alone(bot: Bot) -> None:
    bot.event(app_home_opened(OMAR))

    home = bot.home_of(OMAR)
    assert headers(home) == ["Strategy 2020-23"]
    assert "*SP-2* Publish the asset strategy" in all_text(home)
    assert home["blocks"][-1]["elements"][0]["text"].startswith(
        "`/update ACT-12 green &lt;note&gt;` to report · "
    )


def test_admin_home_shows_each_plans_progress_in_its_own_statuses(bot: Bot) -> None:
    bot.event(app_home_opened(PRIYA))

    home = bot.home_of(PRIYA)
    assert view_problems({"type": "home", "blocks": home["blocks"]}) == []
    assert headers(home) == ["Improvement", "Scottish Improvement Plan", "Strategy 2020-23"]
    parts = by_plan(home)
    assert "*1 of 2* updated" in parts["Strategy 2020-23"]
    assert ":red_circle: Major delay: 1" in parts["Strategy 2020-23"]
    assert "*0 of 2* updated" in parts["Improvement"]
    assert "updates due by Tue 24 Nov 2026" in parts["Scottish Improvement Plan"]


def test_someone_in_no_plan_sees_why_on_the_home(bot: Bot) -> None:
    bot.event(app_home_opened(STRANGER))

    home = bot.home_of(STRANGER)
    assert "You are not on the list of people in any of planbot's plans" in all_text(home)
    assert "--plan" not in all_text(home)


@pytest.fixture
def crowded(db: Database, tmp_path: Path) -> Database:
    """The three plans, each with 150 more long-titled actions owned by Priya."""
    title = "Deliver the <!channel> & <@U0PRIYA001> programme of works " * 8
    for key in PLAN_KEYS:
        folder = write_plan_folder(tmp_path, key)
        with (folder / "actions.csv").open("a", encoding="utf-8") as actions:
            for n in range(100, 250):
                actions.write(f'ACT-{n},"{title}",Finance,Finance,{PRIYA},2027-03-31\n')
        load_plan(db=db, plan_file=read_plan(folder), now=LOADED_AT)
    return db


def test_a_home_with_hundreds_of_actions_in_three_plans_fits_and_names_each_one(
    crowded: Database, fake_slack: FakeSlack
) -> None:
    with running_bot(crowded, fake_slack, clock=lambda: NOW) as bot:
        bot.event(app_home_opened(PRIYA))
        home = bot.home_of(PRIYA)  # the fake refuses a view over Slack's limits

    assert view_problems({"type": "home", "blocks": home["blocks"]}) == []
    assert len(home["blocks"]) <= 100
    parts = by_plan(home)
    assert list(parts) == ["Improvement", "Scottish Improvement Plan", "Strategy 2020-23"]
    for part in parts.values():
        assert all(re.search(rf"\bACT-{n}\b", part) for n in range(100, 250))
        assert "Update" in part  # some of hers in full, with their button, in every plan


def test_actions_with_hundreds_in_three_plans_fits_one_message(
    crowded: Database, fake_slack: FakeSlack
) -> None:
    with running_bot(crowded, fake_slack, clock=lambda: NOW) as bot:
        answer = reply(bot, PRIYA)

    assert len(answer["blocks"]) <= 50
    assert headers(answer) == ["Improvement", "Scottish Improvement Plan", "Strategy 2020-23"]
    for part in by_plan(answer).values():
        assert "…and " in part  # the rest by ref or counted, after what fits
        assert "0 of 150 updated" in part
    assert "`/actions strategy ACT-n` shows one in full" in by_plan(answer)["Strategy 2020-23"]


# -- /actions ----------------------------------------------------------------------------------


def test_actions_of_someone_in_two_plans_are_listed_by_plan(bot: Bot) -> None:
    answer = reply(bot, SAM)

    assert headers(answer) == ["Improvement", "Strategy 2020-23"]
    parts = by_plan(answer)
    assert "*Your actions* · *Q3 2026/27" in parts["Improvement"]
    assert "0 of 1 updated" in parts["Improvement"]
    assert "*ACT-2*" in parts["Improvement"] and "SP-1" not in parts["Improvement"]
    assert "1 of 1 updated" in parts["Strategy 2020-23"]
    assert "This period: :red_circle: Major delay" in parts["Strategy 2020-23"]
    assert "last period: :large_yellow_circle: Minor delay" in parts["Strategy 2020-23"]
    assert answer["text"].startswith("Improvement: Your actions, 0 of 1 updated for Q3 2026/27")


def test_actions_named_with_a_plan_first_lists_that_plan_alone(bot: Bot) -> None:
    for text in ("strategy", "Strategy 2020-23", "STRATEGY 2020-23"):
        answer = reply(bot, SAM, text)

        assert headers(answer) == ["Your actions"]
        assert "*SP-1*" in all_text(answer) and "ACT-2" not in all_text(answer)


def test_admin_asks_for_all_of_one_plan(bot: Bot) -> None:
    answer = reply(bot, PRIYA, "strategy all")

    assert headers(answer) == ["Strategy 2020-23: every action"]
    refs = re.findall(r"\*(SP-\d+|ACT-\d+)\*", all_text(answer))
    assert refs == ["SP-1", "SP-2"]


def test_admin_asks_for_someone_in_every_plan_they_are_in(bot: Bot) -> None:
    answer = reply(bot, PRIYA, f"<@{SAM}|sam>")

    assert headers(answer) == ["Improvement", "Strategy 2020-23"]  # Sam is not in scottish
    assert "Sam Patel's actions" in all_text(answer)


def test_director_sees_their_directorate_in_each_plan(bot: Bot) -> None:
    answer = reply(bot, DIANA)

    assert headers(answer) == ["Improvement", "Scottish Improvement Plan", "Strategy 2020-23"]
    assert all("*Finance* · " in part for part in by_plan(answer).values())


def test_an_owner_in_several_plans_may_not_list_everything(bot: Bot) -> None:
    answer = reply(bot, SAM, "all")

    assert "Only directors and the programme office" in all_text(answer)


def test_history_of_a_ref_in_two_plans_names_both_and_shows_neither(bot: Bot) -> None:
    answer = reply(bot, NIA, "ACT-1")

    seen = all_text(answer)
    assert "ACT-1 is in 2 of your plans: Improvement (`improvement`) and Scottish " in seen
    assert "`/actions improvement ACT-1` or `/actions scottish ACT-1`" in seen
    assert "history" not in json.dumps(headers(answer))


def test_history_in_a_named_plan(bot: Bot) -> None:
    answer = reply(bot, NIA, "scottish act1")

    assert headers(answer) == ["ACT-1 history"]
    assert "*ACT-1* Bring the Scottish ledger onto the shared system" in all_text(answer)


def test_history_of_a_ref_in_one_of_several_plans_shows_its_plan_and_statuses(bot: Bot) -> None:
    answer = reply(bot, SAM, "SP-1")

    seen = all_text(answer)
    assert "Strategy 2020-23 · owner: Sam Patel" in seen
    assert "*Q3 2026/27 (October–December 2026)*: :red_circle: Major delay" in seen
    assert "*Q2 2026/27 (July–September 2026)*: :large_yellow_circle: Minor delay" in seen


def test_history_of_a_ref_in_none_of_the_plans_says_so(bot: Bot) -> None:
    answer = reply(bot, SAM, "SP-9")

    seen = all_text(answer)
    assert "There is no action 'SP-9' in your plans, Improvement (`improvement`) and " in seen
    assert "Did you mean SP-2, SP-1?" in seen


def test_a_plan_someone_is_not_in_is_refused_by_name(bot: Bot) -> None:
    answer = reply(bot, SAM, "scottish")

    assert "You are not on the list of people in the plan 'Scottish Improvement Plan'" in (
        all_text(answer)
    )


def test_actions_help_says_how_to_name_a_plan(bot: Bot) -> None:
    answer = reply(bot, SAM, "help")

    assert "`/actions strategy all`" in all_text(answer)
