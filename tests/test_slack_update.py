# Over 400 lines: every path of /update (one line, form, picker, refusals) through the real app.
"""`/update` over HTTP as people use it: one line, or the form; picked, prefilled, fixed inline.

The real Bolt app behind the real waitress server, signed requests sent with httpx, the real
WebClient talking to the fake Slack Web API; assertions on what the person sees and what the
database holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from support.fakeslack import FakeSlack
from support.slackapp import (
    KWAME,
    MARK,
    PRIYA,
    SINEAD,
    TOM,
    Bot,
    all_text,
    block_actions,
    input_values,
    running_bot,
    update_count,
    updates_of,
    view_submission,
    wait_for,
)

from bot.render.update_form_meta import UpdateFormMeta
from storage import models as m
from storage.db import Database

Q3 = "2019-20-Q3"


@pytest.fixture
def bot(sample_db: Database, fake_slack: FakeSlack) -> Iterator[Bot]:
    with running_bot(sample_db, fake_slack) as running:
        yield running


def blocks_of(view: dict[str, Any], block_type: str) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if b["type"] == block_type]


def input_block(view: dict[str, Any], base: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id", "").split(".")[0] == base)


# -- one line ----------------------------------------------------------------------------------


def test_owner_updates_in_one_line_and_is_told_privately_what_changed(bot: Bot) -> None:
    response = bot.command(SINEAD, "/update", "ACT-12 green Contract signed")

    assert response.status_code == 200
    assert response.text == ""  # an empty ack: Slack shows nothing in the channel
    [reply] = bot.replies_to(response)
    assert reply["response_type"] == "ephemeral"
    seen = all_text(reply)
    assert "Raise appraisal completion and agree a training plan" in seen
    assert ":large_yellow_circle: At risk → :large_green_circle: On track" in seen
    assert "Q3 2019/20 (October–December 2019)" in seen
    assert ">Contract signed" in seen
    latest = updates_of(bot.db, "ACT-12")[-1]
    assert (latest.status, latest.note, latest.source) == ("green", "Contract signed", "command")
    assert latest.period_key == Q3
    assert latest.author == SINEAD
    assert latest.on_behalf_of is None
    assert bot.fake.calls_to("views.open") == []


def test_a_note_at_the_limit_is_confirmed_whole_across_sections(bot: Bot) -> None:
    words = "Savings of £1.2m & more confirmed by the section 151 officer; "
    note = (words * 60)[:3000].strip()
    response = bot.command(SINEAD, "/update", f"ACT-12 green {note}")

    [reply] = bot.replies_to(response)
    quoted = [
        b["text"]["text"]
        for b in reply["blocks"]
        if b["type"] == "section" and b.get("text", {}).get("text", "").startswith(("*Note*", ">"))
    ]
    assert len(quoted) >= 2 and all(len(text) <= 3000 for text in quoted)
    shown = "\n".join(quoted).removeprefix("*Note*\n")
    lines = [line.removeprefix(">") for line in shown.splitlines()]
    unescaped = " ".join(lines).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert " ".join(unescaped.split()) == " ".join(note.split())
    assert updates_of(bot.db, "ACT-12")[-1].note == note


@pytest.mark.parametrize(
    ("text", "status", "note"),
    [
        ("12 g Done the training plan", "green", "Done the training plan"),
        ("act12 on-track Training plan agreed", "green", "Training plan agreed"),
        ("ACT 12 on track Training plan agreed", "green", "Training plan agreed"),
        ("ACT-12 done All appraisals complete", "complete", "All appraisals complete"),
    ],
)
def test_short_refs_and_status_words_are_understood(
    bot: Bot, text: str, status: str, note: str
) -> None:
    response = bot.command(SINEAD, "/update", text)

    bot.replies_to(response)
    latest = updates_of(bot.db, "ACT-12")[-1]
    assert (latest.status, latest.note) == (status, note)


def test_the_same_command_delivered_twice_records_one_update(bot: Bot) -> None:
    before = update_count(bot.db)

    said = bot.command_twice(SINEAD, "/update", "ACT-12 green Contract signed")

    assert "Recorded ACT-12" in said
    bot.home_of(SINEAD)
    assert update_count(bot.db) == before + 1
    assert len(bot.fake.calls_to("response_url")) == 1


def test_complete_closes_the_action(bot: Bot) -> None:
    response = bot.command(SINEAD, "/update", "ACT-12 complete Appraisals at 95%")

    [reply] = bot.replies_to(response)
    assert "ACT-12 is now closed as complete" in all_text(reply)
    with bot.db.session() as session:
        action = session.scalar(select(m.Action).where(m.Action.ref == "ACT-12"))
        assert action is not None and action.closed


def test_a_revised_date_can_be_typed_after_the_note(bot: Bot) -> None:
    response = bot.command(KWAME, "/update", "ACT-13 red Shortfall now £0.6m revised 31/03/2021")

    [reply] = bot.replies_to(response)
    assert "Revised target date: 31 Mar 2021" in all_text(reply)
    latest = updates_of(bot.db, "ACT-13")[-1]
    assert (latest.status, latest.note) == ("red", "Shortfall now £0.6m")
    assert latest.revised_target_date == dt.date(2021, 3, 31)


def test_director_updates_for_the_owner_who_is_told(bot: Bot) -> None:
    response = bot.command(MARK, "/update", "ACT-12 green Checked with Sinead: 91% done")

    [reply] = bot.replies_to(response)
    assert "By Mark Doyle for Sinead O'Brien" in all_text(reply)
    [told] = bot.dms_to(SINEAD)
    assert "Mark Doyle updated ACT-12 for you" in all_text(told)
    latest = updates_of(bot.db, "ACT-12")[-1]
    assert latest.author == MARK
    assert latest.on_behalf_of == SINEAD


def test_update_help_explains_the_grammar(bot: Bot) -> None:
    response = bot.command(SINEAD, "/update", "help")

    [reply] = bot.replies_to(response)
    seen = all_text(reply)
    assert "/update ACT-12 green Contract signed" in seen
    assert "revised <date>" in seen.replace("&lt;", "<").replace("&gt;", ">")
    assert "`amber` and `red` need a note" in seen
    assert update_count(bot.db) == 40


# -- the form when something is missing ------------------------------------------------------


def test_amber_without_a_note_records_nothing_and_opens_the_form_prefilled(bot: Bot) -> None:
    before = update_count(bot.db)

    response = bot.command(SINEAD, "/update", "ACT-12 amber")

    view = bot.opened_view()
    assert update_count(bot.db) == before
    assert bot.fake.calls_to("response_url") == []
    status = input_block(view, "status_block")["element"]
    assert status["initial_option"]["value"] == "amber"
    assert "needs a note" in all_text(view)
    meta = UpdateFormMeta.from_json(view["private_metadata"])
    assert (meta.ref, meta.period, meta.last_status) == ("ACT-12", Q3, "amber")
    assert response.status_code == 200

    submitted = bot.interact(
        view_submission(
            SINEAD, view, input_values(view, status="amber", note="Completion stuck at 70%")
        )
    )

    assert submitted.status_code == 200 and submitted.text == ""
    [confirmation] = bot.dms_to(SINEAD)
    assert "Recorded ACT-12" in all_text(confirmation)
    latest = updates_of(bot.db, "ACT-12")[-1]
    assert (latest.status, latest.note, latest.source) == (
        "amber",
        "Completion stuck at 70%",
        "modal",
    )


def test_amber_with_a_note_is_recorded_at_once(bot: Bot) -> None:
    response = bot.command(SINEAD, "/update", "ACT-12 amber Completion stuck at 70%")

    [reply] = bot.replies_to(response)
    assert ":large_yellow_circle: At risk (unchanged)" in all_text(reply)
    assert updates_of(bot.db, "ACT-12")[-1].note == "Completion stuck at 70%"


def test_worse_status_without_a_revised_date_asks_for_one_in_the_form(bot: Bot) -> None:
    before = update_count(bot.db)

    bot.command(KWAME, "/update", "ACT-13 red Shortfall now £0.6m")

    view = bot.opened_view()
    assert update_count(bot.db) == before
    assert "give a revised target date" in all_text(view)
    note = input_block(view, "note_block")["element"]
    assert note["initial_value"] == "Shortfall now £0.6m"

    bot.interact(
        view_submission(
            KWAME,
            view,
            input_values(
                view, status="red", note="Shortfall now £0.6m", revised=dt.date(2020, 6, 30)
            ),
        )
    )

    bot.dms_to(KWAME)
    latest = updates_of(bot.db, "ACT-13")[-1]
    assert (latest.status, latest.revised_target_date) == ("red", dt.date(2020, 6, 30))


def test_form_shows_whats_missing_on_the_fields_and_records_nothing(bot: Bot) -> None:
    bot.command(SINEAD, "/update", "ACT-12")
    view = bot.opened_view()
    before = update_count(bot.db)

    response = bot.interact(
        view_submission(
            SINEAD, view, input_values(view, status="red", revised=dt.date(2019, 12, 1))
        )
    )

    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {
        "note_block.ACT-12.2019-20-Q3": (
            "Off track needs a note: say what the problem is and how it will be recovered."
        ),
        "revised_target_date_block.ACT-12.2019-20-Q3": (
            "The revised target date must be today or later."
        ),
    }
    assert update_count(bot.db) == before
    assert bot.fake.calls_to("chat.postMessage") == []


# -- the form on purpose -----------------------------------------------------------------------


def test_update_with_a_ref_opens_the_form_prefilled_with_the_last_update(bot: Bot) -> None:
    bot.command(SINEAD, "/update", "act12")

    view = bot.opened_view()
    assert view["title"]["text"] == "Update ACT-12"
    assert view["callback_id"] == "update_modal"
    status = input_block(view, "status_block")["element"]
    assert status["initial_option"]["value"] == "amber"
    assert [o["value"] for o in status["options"]] == [
        "not_started",
        "green",
        "amber",
        "red",
        "complete",
        "on_hold",
    ]
    assert status["options"][1]["text"]["text"] == ":large_green_circle: On track"
    note = input_block(view, "note_block")["element"]
    assert note["initial_value"].startswith("Completion at 62% against a 90% target")
    assert note["multiline"] is True and note["max_length"] == 3000
    assert input_block(view, "revised_target_date_block")["element"]["type"] == "datepicker"
    assert "period_block" not in str(view["blocks"])  # only the programme office picks periods


def test_update_alone_offers_a_picker_of_only_the_callers_open_actions(bot: Bot) -> None:
    bot.command(SINEAD, "/update", "")

    view = bot.opened_view()
    picker = input_block(view, "pick_action_block")
    assert picker["element"]["type"] == "static_select"
    assert [o["value"] for o in picker["element"]["options"]] == ["ACT-9", "ACT-12"]  # 11 is done
    assert picker["dispatch_action"] is True


def test_picking_an_action_prefills_the_form_and_submitting_records_it(bot: Bot) -> None:
    bot.command(TOM, "/update")
    view = bot.opened_view()
    assert [o["value"] for o in input_block(view, "pick_action_block")["element"]["options"]] == [
        "ACT-3",
        "ACT-6",
    ]

    bot.interact(
        block_actions(
            TOM,
            {
                "type": "static_select",
                "action_id": "pick_action",
                "block_id": "pick_action_block",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "ACT-6"},
                    "value": "ACT-6",
                },
            },
            view=view,
        )
    )

    [redraw] = bot.fake.wait_for_calls("views.update")
    assert redraw.args["view_id"] == view["id"] and redraw.args["hash"] == view["hash"]
    redrawn = bot.fake.view(view["id"])
    assert redrawn is not None
    assert (
        input_block(redrawn, "pick_action_block")["element"]["initial_option"]["value"] == "ACT-6"
    )
    assert input_block(redrawn, "status_block")["element"]["initial_option"]["value"] == "green"
    assert UpdateFormMeta.from_json(redrawn["private_metadata"]).ref == "ACT-6"

    bot.interact(
        view_submission(
            TOM,
            redrawn,
            input_values(redrawn, picked="ACT-6", status="green", note="Second survey out"),
        )
    )

    bot.dms_to(TOM)
    latest = updates_of(bot.db, "ACT-6")[-1]
    assert (latest.status, latest.note, latest.source) == ("green", "Second survey out", "modal")


def test_the_same_form_submitted_twice_records_one_update(bot: Bot) -> None:
    bot.command(SINEAD, "/update", "ACT-12")
    view = bot.opened_view()
    values = input_values(view, status="green", note="All appraisals booked")
    before = update_count(bot.db)

    first = bot.interact(view_submission(SINEAD, view, values))
    second = bot.interact(view_submission(SINEAD, view, values))

    assert first.status_code == second.status_code == 200
    bot.dms_to(SINEAD)
    wait_for(lambda: bot.fake.calls_to("views.publish"), count=1)
    assert update_count(bot.db) == before + 1
    assert (
        len([c for c in bot.fake.calls_to("chat.postMessage") if c.args["channel"] == SINEAD]) == 1
    )


def test_a_form_slack_no_longer_lets_us_open_is_explained(bot: Bot) -> None:
    bot.fake.fail_next("views.open", error="expired_trigger_id")  # over 3 s since the command

    response = bot.command(SINEAD, "/update", "ACT-12")

    [reply] = bot.replies_to(response)
    assert "Please run the command again" in all_text(reply)
    assert reply["response_type"] == "ephemeral"


def test_the_update_button_opens_the_form(bot: Bot) -> None:
    response = bot.interact(
        block_actions(
            SINEAD,
            {"type": "button", "action_id": "open_update", "block_id": "b", "value": "ACT-9"},
            response_url=bot.fake.response_url("button"),
        )
    )

    assert response.status_code == 200
    view = bot.opened_view()
    assert view["title"]["text"] == "Update ACT-9"


def test_more_than_100_actions_are_offered_through_a_searchable_menu(bot: Bot) -> None:
    with bot.db.session() as session:
        plan = session.scalar(select(m.Plan))
        template = session.scalar(select(m.Action).where(m.Action.ref == "ACT-1"))
        assert plan is not None and template is not None
        for number in range(101, 221):
            session.add(
                m.Action(
                    plan_id=plan.id,
                    ref=f"ACT-{number}",
                    number=number,
                    title=f"Extra action {number}",
                    theme_id=template.theme_id,
                    directorate_id=template.directorate_id,
                    owner_id=template.owner_id,
                    target_date=dt.date(2020, 3, 31),
                )
            )
    bot.command(PRIYA, "/update")  # the programme office may update every action

    view = bot.opened_view()
    picker = input_block(view, "pick_action_block")["element"]
    assert picker["type"] == "external_select"
    assert "options" not in picker

    options = bot.interact(
        {
            "type": "block_suggestion",
            "user": {"id": PRIYA, "name": "priya", "team_id": "T0PLANBOT"},
            "team": {"id": "T0PLANBOT", "domain": "planbot-test"},
            "api_app_id": "A0PLANBOT",
            "token": "unused",
            "action_id": "pick_action",
            "block_id": "pick_action_block",
            "value": "extra action 20",
            "container": {"type": "view", "view_id": view["id"]},
            "view": view,
        }
    )

    assert options.status_code == 200
    values = [o["value"] for o in options.json()["options"]]
    assert values == [f"ACT-{n}" for n in range(200, 210)]
    assert all(len(o["text"]["text"]) <= 75 for o in options.json()["options"])


def test_admin_amends_a_locked_period_with_a_reason(bot: Bot) -> None:
    with bot.db.session() as session:
        q2 = session.scalar(select(m.Period).where(m.Period.key == "2019-20-Q2"))
        assert q2 is not None
        q2.locked_at = dt.datetime(2019, 10, 18, 17, 0, tzinfo=dt.UTC)
    bot.command(PRIYA, "/update", "ACT-12")
    view = bot.opened_view()
    period = input_block(view, "period_block")
    assert [o["value"] for o in period["element"]["options"]][:2] == [Q3, "2019-20-Q2"]
    assert period["element"]["initial_option"]["value"] == Q3

    bot.interact(
        block_actions(
            PRIYA,
            {
                "type": "static_select",
                "action_id": "period",
                "block_id": period["block_id"],
                "selected_option": {
                    "text": {"type": "plain_text", "text": "Q2"},
                    "value": "2019-20-Q2",
                },
            },
            view=view,
        )
    )
    bot.fake.wait_for_calls("views.update")
    redrawn = bot.fake.view(view["id"])
    assert redrawn is not None
    assert "is published and locked" in all_text(redrawn)
    values = input_values(
        redrawn, status="amber", note="Corrected figure: 64%", period="2019-20-Q2"
    )

    refused = bot.interact(view_submission(PRIYA, redrawn, values))

    assert refused.json()["errors"] == {
        "amendment_reason_block.ACT-12.2019-20-Q2": (
            "Q2 2019/20 (July–September 2019) is locked: give a reason for the amendment."
        )
    }

    values = input_values(
        redrawn,
        status="amber",
        note="Corrected figure: 64%",
        period="2019-20-Q2",
        amendment_reason="HR system report was a week out of date",
    )
    bot.interact(view_submission(PRIYA, redrawn, values))

    bot.dms_to(PRIYA)
    latest = updates_of(bot.db, "ACT-12")[-1]
    assert latest.period_key == "2019-20-Q2"
    assert latest.amendment_reason == "HR system report was a week out of date"
    assert latest.on_behalf_of == SINEAD
