"""`/update` over HTTP with three plans in one database (issue 13): the ref is found among the
caller's plans, or in the plan they name; each plan's own statuses read the status, fill the
form and check it. The real Bolt app behind the real server, signed requests, the strict fake
Slack; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support.fakeslack import FakeSlack
from support.slackapp import (
    Bot,
    all_text,
    app_home_opened,
    block_actions,
    button_press,
    input_values,
    running_bot,
    update_count,
    view_submission,
)
from support.three_plans import NIA, OMAR, PERIOD, SAM, load_three_plans
from support.three_plans import STRATEGY_STATUSES as ROWS

from bot.domain.grammar import parse_update
from bot.domain.plan_rules import status_from_texts
from bot.domain.status import DEFAULT_SCHEME, StatusScheme, StatusWords
from bot.render.reminders import button_block_id
from bot.render.update_form_meta import UpdateFormMeta
from storage import models as m
from storage.db import Database

# Fri 20 Nov 2026: Q3 2026/27's updates are being collected in all three plans.
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Europe/London"))
STRATEGY_STATUSES = ["not_started", "on_track", "minor_delay", "major_delay", "complete"]


@pytest.fixture
def bot(db: Database, fake_slack: FakeSlack, tmp_path: Path) -> Iterator[Bot]:
    load_three_plans(db, tmp_path)
    with running_bot(db, fake_slack, clock=lambda: NOW) as running:
        yield running


def updates_in(db: Database, plan_key: str, ref: str) -> list[tuple[str, str, str, str]]:
    """(period, status, note, source) of each update of `ref` in the plan `plan_key`."""
    with db.session() as session:
        rows = session.execute(
            select(m.Period.key, m.Update.status, m.Update.note, m.Update.source)
            .join(m.Action, m.Update.action_id == m.Action.id)
            .join(m.Plan, m.Action.plan_id == m.Plan.id)
            .join(m.Period, m.Update.period_id == m.Period.id)
            .where(m.Plan.key == plan_key, m.Action.ref == ref)
            .order_by(m.Update.id)
        )
        return [tuple(row) for row in rows]


def input_block(view: dict[str, Any], base: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id", "").split(".")[0] == base)


def status_values(view: dict[str, Any]) -> list[str]:
    return [o["value"] for o in input_block(view, "status_block")["element"]["options"]]


# -- found among the caller's plans ------------------------------------------------------------


def test_a_ref_in_one_of_the_callers_plans_is_recorded_there(bot: Bot) -> None:
    # Sam owns ACT-2 in the improvement plan and SP-1 in the strategy.
    reply_strategy = bot.replies_to(bot.command(SAM, "/update", "SP-1 on track Savings agreed"))
    reply_improvement = bot.replies_to(bot.command(SAM, "/update", "ACT-2 green Payroll moved"))

    assert updates_in(bot.db, "strategy", "SP-1") == [
        (PERIOD, "on_track", "Savings agreed", "command")
    ]
    assert updates_in(bot.db, "improvement", "ACT-2") == [
        (PERIOD, "green", "Payroll moved", "command")
    ]
    assert "Recorded SP-1 in Strategy 2020-23" in all_text(reply_strategy[0])
    assert ":large_green_circle: On track (first update)" in all_text(reply_strategy[0])
    assert "Recorded ACT-2 in Improvement" in all_text(reply_improvement[0])


def test_amber_on_the_strategy_is_recorded_as_minor_delay(bot: Bot) -> None:
    [reply] = bot.replies_to(bot.command(SAM, "/update", "SP-1 amber Waiting for the auditors"))

    assert updates_in(bot.db, "strategy", "SP-1") == [
        (PERIOD, "minor_delay", "Waiting for the auditors", "command")
    ]
    assert ":large_yellow_circle: Minor delay (first update)" in all_text(reply)
    assert "SP-1 in Strategy 2020-23 recorded as Minor delay" in reply["text"]


def test_a_person_in_one_plan_is_answered_as_before(bot: Bot) -> None:
    # Omar is only in the strategy: the reply does not name the plan; its statuses still apply.
    [reply] = bot.replies_to(bot.command(OMAR, "/update", "SP-2 minor delay Consultation late"))

    assert updates_in(bot.db, "strategy", "SP-2") == [
        (PERIOD, "minor_delay", "Consultation late", "command")
    ]
    assert "Recorded SP-2 for Q3 2026/27" in all_text(reply)
    assert "Strategy 2020-23" not in all_text(reply)


def test_major_delay_without_a_note_opens_the_strategys_form_which_records_it_there(
    bot: Bot,
) -> None:
    response = bot.command(SAM, "/update", "SP-1 major delay")

    view = bot.opened_view()
    assert response.status_code == 200
    assert update_count(bot.db) == 0
    assert bot.fake.calls_to("response_url") == []
    assert status_values(view) == STRATEGY_STATUSES
    status = input_block(view, "status_block")["element"]
    assert status["initial_option"]["value"] == "major_delay"
    assert "Major delay needs a note" in all_text(view)
    assert "Strategy 2020-23" in all_text(view)
    meta = UpdateFormMeta.from_json(view["private_metadata"])
    assert (meta.plan, meta.ref, meta.period) == ("strategy", "SP-1", PERIOD)

    # The form's check, inside the ack, reads the strategy's statuses: still no note.
    refused = bot.interact(view_submission(SAM, view, input_values(view, status="major_delay")))
    answer = refused.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"].values()) == [
        "Major delay needs a note: say what the problem is and how it will be recovered."
    ]
    assert update_count(bot.db) == 0

    submitted = bot.interact(
        view_submission(
            SAM, view, input_values(view, status="major_delay", note="The budget was cut by 30%")
        )
    )

    assert submitted.status_code == 200 and submitted.text == ""
    [confirmation] = bot.dms_to(SAM)
    assert ":red_circle: Major delay (first update)" in all_text(confirmation)
    assert updates_in(bot.db, "strategy", "SP-1") == [
        (PERIOD, "major_delay", "The budget was cut by 30%", "modal")
    ]


def test_red_without_a_note_opens_the_default_form_in_the_improvement_plan(bot: Bot) -> None:
    bot.command(SAM, "/update", "ACT-2 red")

    view = bot.opened_view()
    assert status_values(view) == ["not_started", "green", "amber", "red", "complete", "on_hold"]
    assert "Off track needs a note" in all_text(view)
    assert UpdateFormMeta.from_json(view["private_metadata"]).plan == "improvement"
    assert update_count(bot.db) == 0


# -- a ref in two plans, or in none ----------------------------------------------------------


def test_a_ref_in_two_plans_records_nothing_and_names_both(bot: Bot) -> None:
    # Nia owns ACT-1 in the improvement plan and ACT-1 in the Scottish plan.
    [reply] = bot.replies_to(bot.command(NIA, "/update", "ACT-1 green Accounts closed"))

    said = all_text(reply)
    assert reply["response_type"] == "ephemeral"
    assert "ACT-1 is in two of your plans" in said
    assert "Improvement (`improvement`)" in said
    assert "Scottish Improvement Plan (`scottish`)" in said
    assert "Nothing was recorded" in said
    assert "`/update improvement ACT-1 …`" in said and "`/update scottish ACT-1 …`" in said
    assert update_count(bot.db) == 0
    assert bot.fake.calls_to("views.open") == []


def test_naming_the_plan_first_records_the_ref_in_that_plan(bot: Bot) -> None:
    [reply] = bot.replies_to(bot.command(NIA, "/update", "scottish ACT-1 green Ledger moved"))

    assert "Recorded ACT-1 in Scottish Improvement Plan" in all_text(reply)
    assert updates_in(bot.db, "scottish", "ACT-1") == [(PERIOD, "green", "Ledger moved", "command")]
    assert updates_in(bot.db, "improvement", "ACT-1") == []


def test_a_plan_may_be_named_by_its_name(bot: Bot) -> None:
    bot.replies_to(bot.command(SAM, "/update", "Strategy 2020-23 SP-1 amber Auditors late"))

    assert updates_in(bot.db, "strategy", "SP-1") == [
        (PERIOD, "minor_delay", "Auditors late", "command")
    ]


def test_an_indicators_value_for_a_ref_in_two_plans_is_asked_about_too(bot: Bot) -> None:
    [reply] = bot.replies_to(bot.command(NIA, "/update", "ACT-1 96.4"))

    assert "ACT-1 is in two of your plans" in all_text(reply)
    with bot.db.session() as session:
        assert session.scalars(select(m.Measure.id)).all() == []


def test_a_ref_in_none_of_the_callers_plans_is_refused_with_a_hint(bot: Bot) -> None:
    # ACT-3 is the Scottish plan's; Sam is not one of its people.
    [reply] = bot.replies_to(bot.command(SAM, "/update", "ACT-3 green Done"))

    said = all_text(reply)
    assert "There is no action or indicator 'ACT-3' in your plans" in said
    assert "Did you mean" in said and "ACT-2 (improvement)" in said
    assert update_count(bot.db) == 0


def test_a_plan_the_caller_is_not_in_is_refused(bot: Bot) -> None:
    [reply] = bot.replies_to(bot.command(SAM, "/update", "scottish ACT-3 green Done"))

    assert "You are not on the list of people in the plan 'Scottish Improvement Plan'" in (
        all_text(reply)
    )
    assert update_count(bot.db) == 0


def test_a_status_the_plans_scheme_does_not_know_is_refused_with_its_statuses(bot: Bot) -> None:
    # `on hold` is a status of Sam's improvement plan, not of the strategy.
    [reply] = bot.replies_to(bot.command(SAM, "/update", "SP-1 on hold Paused by the board"))

    said = all_text(reply)
    assert "'on hold' is not a status in Strategy 2020-23" in said
    assert "not_started, on_track, minor_delay, major_delay, complete" in said
    assert update_count(bot.db) == 0


# -- the picker, help and the buttons ------------------------------------------------------


def test_update_alone_offers_the_callers_actions_in_every_plan_named_by_plan(bot: Bot) -> None:
    bot.command(SAM, "/update")

    view = bot.opened_view()
    picker = input_block(view, "pick_action_block")["element"]
    options = {o["value"]: o["text"]["text"] for o in picker["options"]}
    assert list(options) == ["improvement:ACT-2", "strategy:SP-1"]
    assert options["strategy:SP-1"].startswith("Strategy 2020-23 · SP-1 · ")
    # The two plans have different statuses: the form asks once an action is chosen.
    assert not any(b.get("block_id", "").startswith("status_block") for b in view["blocks"])

    picked = bot.interact(
        block_actions(
            SAM,
            {
                "type": "static_select",
                "action_id": "pick_action",
                "block_id": "pick_action_block",
                "selected_option": {
                    "text": {"type": "plain_text", "text": options["strategy:SP-1"]},
                    "value": "strategy:SP-1",
                },
            },
            view=view,
        )
    )
    assert picked.status_code == 200
    [update] = bot.fake.wait_for_calls("views.update")
    redrawn = bot.fake.view(update.args["view_id"])
    assert redrawn is not None
    assert status_values(redrawn) == STRATEGY_STATUSES
    assert UpdateFormMeta.from_json(redrawn["private_metadata"]).plan == "strategy"


def test_update_help_lists_each_of_the_callers_plans_statuses(bot: Bot) -> None:
    [reply] = bot.replies_to(bot.command(SAM, "/update", "help"))

    said = all_text(reply)
    assert "*Improvement* (`improvement`): `not_started`" in said
    assert "*Strategy 2020-23* (`strategy`): `not_started`" in said
    assert "`major_delay` needs a note" in said
    assert "`amber` and `red` need a note" in said
    assert "Scottish" not in said  # not Sam's


def test_the_update_button_naming_its_plan_opens_that_plans_form(bot: Bot) -> None:
    bot.interact(block_actions(NIA, button_press("scottish:ACT-1"), response_url=None))

    view = bot.opened_view()
    meta = UpdateFormMeta.from_json(view["private_metadata"])
    assert (meta.plan, meta.ref) == ("scottish", "ACT-1")
    assert "Bring the Scottish ledger onto the shared system" in all_text(view)


def test_a_reminder_dms_update_button_opens_the_plan_its_block_names(bot: Bot) -> None:
    """A reminder DM's buttons carry the bare ref; their block names the plan."""
    press = {**button_press("ACT-1"), "block_id": button_block_id("scottish", "ACT-1")}
    bot.interact(block_actions(NIA, press, response_url=None))

    meta = UpdateFormMeta.from_json(bot.opened_view()["private_metadata"])
    assert (meta.plan, meta.ref) == ("scottish", "ACT-1")


def test_the_home_of_a_person_in_two_plans_names_the_plan_in_its_update_buttons(
    bot: Bot,
) -> None:
    bot.event(app_home_opened(NIA))
    home = bot.home_of(NIA)
    values = sorted(
        block["accessory"]["value"]
        for block in home["blocks"]
        if block.get("accessory", {}).get("action_id") == "open_update"
    )
    assert values == ["improvement:ACT-1", "scottish:ACT-1"]


def test_no_change_naming_its_plan_is_looked_for_in_that_plan_only(bot: Bot) -> None:
    press = button_press("scottish:ACT-1", action_id="no_change")
    url = bot.fake.response_url("no-change-nia")

    [reply] = bot.replies_to(bot.interact(block_actions(NIA, press, response_url=url)))

    # Not "in 2 of your plans": the Scottish ACT-1, which has nothing to repeat yet.
    assert "ACT-1 has no update from an earlier quarter to repeat" in all_text(reply)
    assert update_count(bot.db) == 0


# -- the grammar -------------------------------------------------------------------------------


def _strategy_scheme() -> StatusScheme:
    columns = ("status", "label", "colour", "rank", "synonyms", "needs_note", "completes")
    statuses = [status_from_texts(dict(zip(columns, row, strict=True)))[0] for row in ROWS]
    return StatusScheme(tuple(s for s in statuses if s is not None))


@pytest.mark.parametrize(
    ("text", "plan", "ref", "status", "note"),
    [
        ("SP-1 minor delay Late", "", "SP-1", "minor delay", "Late"),
        ("strategy SP-1 minor delay Late", "strategy", "SP-1", "minor delay", "Late"),
        ("STRATEGY sp1 amber", "strategy", "sp1", "amber", ""),
        (
            "Strategy  2020-23 SP-1 major_delay Cut",
            "Strategy 2020-23",
            "SP-1",
            "major_delay",
            "Cut",
        ),
        ("improvement ACT 1 on hold Paused", "improvement", "ACT-1", "on hold", "Paused"),
        ("strategist SP-1 green", "", "strategist", "SP-1", "green"),  # no plan of that name
    ],
)
def test_the_update_grammar_reads_a_plan_named_first(
    text: str, plan: str, ref: str, status: str, note: str
) -> None:
    words = StatusWords((DEFAULT_SCHEME, _strategy_scheme()))
    plans = ["strategy", "Strategy 2020-23", "improvement"]

    request = parse_update(text, today=dt.date(2026, 11, 20), scheme=words, plans=plans)

    assert (request.plan, request.ref, request.status, request.note) == (plan, ref, status, note)


def test_the_plan_alone_opens_the_picker_for_that_plan() -> None:
    request = parse_update(
        "strategy", today=dt.date(2026, 11, 20), scheme=DEFAULT_SCHEME, plans=["strategy"]
    )

    assert (request.kind, request.plan) == ("pick", "strategy")


def test_someone_in_none_of_the_plans_is_told_whom_to_ask(bot: Bot) -> None:
    [reply] = bot.replies_to(bot.command("U0NOBODY01", "/update", "ACT-1 green Done"))

    assert "You are not on the list of people in any plan here" in all_text(reply)
    assert update_count(bot.db) == 0


def test_away_and_back_apply_in_every_plan_of_the_caller(bot: Bot) -> None:
    """Sam owns actions in the improvement plan and the strategy: one `/planbot away`
    covers both, with Omar as delegate where Omar is one of the plan's people (the
    strategy), and `/planbot back` ends it in both."""
    response = bot.command(SAM, "/planbot", "away 14/12/2026 18/12/2026 <@U0OMAR0001|omar>")
    assert response.status_code == 200
    bot.wait_idle()
    assert "away" in all_text(bot.replies_to(response)[0]).lower()
    with bot.db.read_session() as session:
        rows = session.execute(
            select(m.Plan.key, m.Person.away_from, m.Person.away_to, m.Person.delegate_id)
            .join(m.Person, m.Person.plan_id == m.Plan.id)
            .where(m.Person.slack_id == SAM)
            .order_by(m.Plan.key)
        ).all()
    assert [(key, start, end) for key, start, end, _ in rows] == [
        ("improvement", dt.date(2026, 12, 14), dt.date(2026, 12, 18)),
        ("strategy", dt.date(2026, 12, 14), dt.date(2026, 12, 18)),
    ]
    assert [delegate is not None for *_, delegate in rows] == [False, True]

    assert bot.command(SAM, "/planbot", "back").status_code == 200
    bot.wait_idle()
    with bot.db.read_session() as session:
        away = session.scalars(select(m.Person.away_from).where(m.Person.slack_id == SAM)).all()
    assert away == [None, None]
