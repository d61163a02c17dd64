"""At the sizes a council meets, Slack takes every message, modal and Home the bot sends, and
each person is told of everything they owe: listed, or counted with a way to see the rest.

One plan of 300 actions, loaded as `planbot import` would, driven through the real bot (signed
HTTP, Bolt, slack_sdk) against the strict fake Slack, which refuses what Slack refuses:

- Bea Busy owns 60 open actions with 170-character titles (her reminder DM);
- the Finance director has 80 outstanding actions in one directorate (the escalation DM);
- Pat Picker may update 150 open actions (the `/update` picker: more than a menu holds);
- `/digest`, `/actions` and the App Home over all 300.

Q3 2019/20 collects (meeting Fri 7 Feb 2020: reminder Thu 16 Jan, escalation Mon 27 Jan);
Q2 has history, a third of it missing. Every check uses the fake's own rule book
(`support.slackrules`), the one the strict fake refuses calls with.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from support.fakeslack import FakeSlack
from support.slackapp import (
    Bot,
    all_text,
    app_home_opened,
    block_actions,
    running_bot,
)
from support.slackrules import message_problems, view_problems

from bot.delivery.reminders import run_tick
from bot.domain.planfile import ActionRow, HistoryRow, MeetingRow, PersonRow, PlanFile
from bot.render.blockkit import BLOCK_TEXT_BUDGET, escape_mrkdwn
from bot.render.fitting import message_cost
from bot.services.plans import load_plan
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
Q1, Q2, Q3 = "2019-20-Q1", "2019-20-Q2", "2019-20-Q3"

ADMIN = "U0SZADM01"
DIRECTOR = "U0SZDIR00"  # director of FINANCE
BUSY = "U0SZBUSY1"  # owns ACT-1..60
PICKER = "U0SZPICK1"  # owns ACT-81..230
FINANCE = "Finance & <Resources> (shared service)"
LEGAL = "Legal & Governance"
OTHERS = [f"Directorate {d} & Co" for d in range(7)]

BUSY_REFS = [f"ACT-{n}" for n in range(1, 61)]
FINANCE_REFS = [f"ACT-{n}" for n in range(1, 81)]  # Bea's 60 and one each for 20 others
PICKER_REFS = [f"ACT-{n}" for n in range(81, 231)]
ALL_REFS = [f"ACT-{n}" for n in range(1, 301)]
# ACT-238, 245... were completed in Q2 (closed): 294 stay open.
OPEN_REFS = [f"ACT-{n}" for n in range(1, 301) if not (n > 230 and n % 7 == 0 and n % 3)]
HOSTILE = "& <procurement> "


def title(n: int) -> str:
    """A 170-character title, with characters mrkdwn must have escaped."""
    text = f"Action {n}: review the shared service's {HOSTILE}contracts and savings plan, "
    return (text + "agree the recovery with the boroughs " * 5)[:170]


def owner_of(n: int) -> str:
    if n <= 60:
        return BUSY
    if n <= 80:
        return f"U0SZFIN{n - 60:02d}"
    if n <= 230:
        return PICKER
    return f"U0SZOWN{(n - 231) // 2:02d}"


def directorate_of(n: int) -> str:
    if n <= 80:
        return FINANCE
    if n <= 230:
        return LEGAL
    return OTHERS[(n - 231) % len(OTHERS)]


def sized_plan() -> PlanFile:
    people = [
        PersonRow(ADMIN, "Ada Admin", "ada@x.example", "admin", "Programme Office"),
        PersonRow(DIRECTOR, "Dora Director", "dora@x.example", "director", FINANCE),
        PersonRow("U0SZDIRLG", "Len Legal", "len@x.example", "director", LEGAL),
        PersonRow(BUSY, "Bea Busy-Longname", "bea@x.example", "owner", FINANCE),
        PersonRow(PICKER, "Pat Picker", "pat@x.example", "owner", LEGAL),
    ]
    people += [
        PersonRow(
            f"U0SZFIN{i:02d}", f"Finance Owner {i} Hyphen-Ated", f"f{i}@x.example", "owner", FINANCE
        )
        for i in range(1, 21)
    ]
    people += [
        PersonRow(f"U0SZOWN{i:02d}", f"Other Owner {i}", f"o{i}@x.example", "owner", OTHERS[0])
        for i in range(35)
    ]
    actions, history = [], []
    for n in range(1, 301):
        ref = f"ACT-{n}"
        actions.append(
            ActionRow(
                ref,
                title(n),
                f"Theme {n % 15}: a priority & <aim> of the plan",
                directorate_of(n),
                owner_of(n),
                dt.date(2020, 12, 31),
                dt.date(2021, 3, 31) if n % 4 == 0 else None,
            )
        )
        history.append(HistoryRow(ref, Q1, "green", "Started."))
        if n % 3:  # a third have no Q2 update
            status = ["green", "amber", "red", "on_hold"][n % 4]
            if f"ACT-{n}" not in OPEN_REFS:
                status = "complete"
            note = f"Supplier {HOSTILE}late; recovery agreed with the board. " * 3
            history.append(HistoryRow(ref, Q2, status, note))
    return PlanFile(
        key="sizes",
        name="Shared Services Improvement Plan",
        people=people,
        actions=actions,
        meetings=[
            MeetingRow(Q1, dt.date(2019, 7, 19), "Joint Committee"),
            MeetingRow(Q2, dt.date(2019, 10, 18), "Joint Committee"),
            MeetingRow(Q3, dt.date(2020, 2, 7), "Joint Committee"),
        ],
        history=history,
    )


@pytest.fixture(scope="module")
def plan_file() -> PlanFile:
    return sized_plan()


@pytest.fixture
def bot(sqlite_url: str, fake_slack: FakeSlack, plan_file: PlanFile) -> Iterator[Bot]:
    db = Database(sqlite_url)
    db.create_all()
    load_plan(db=db, plan_file=plan_file, now=dt.datetime(2019, 12, 2, 9, tzinfo=dt.UTC))
    with running_bot(db, fake_slack) as running:
        yield running
    db.dispose()


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2020, month, day, 9, 30, tzinfo=LONDON)


# -- what Slack takes, and what the person is told --------------------------------------------


def assert_slack_takes_message(message: dict[str, Any]) -> None:
    """Slack's rules accept it, with the block-text budget, and with room to spare (each
    block's container charged too: 11,341 characters over 45 blocks have been refused)."""
    blocks = message.get("blocks") or []
    assert message_problems(blocks, message.get("text")) == (None, [])
    assert message_cost(blocks) <= BLOCK_TEXT_BUDGET


def assert_slack_takes_view(view: dict[str, Any]) -> None:
    assert view_problems(view) == []


def assert_nothing_refused(fake: FakeSlack) -> None:
    """The strict fake refused no call the bot made (a refusal is recorded as a fault)."""
    assert [(f.method, f.error) for f in fake.faults] == []


def shown_refs(text: str) -> set[str]:
    return set(re.findall(r"\bACT-\d+\b", text))


def assert_told_of(text: str, refs: list[str], *, pointer: str) -> None:
    """Every ref is listed; or those not listed are counted and the person is told where to
    see them (`pointer`)."""
    missing = [ref for ref in refs if ref not in shown_refs(text)]
    if missing:
        counts = [int(n) for n in re.findall(r"and (\d+) more", text)]
        assert len(missing) in counts, (missing[:5], counts)
        assert pointer in text


def dm_to(fake: FakeSlack, user: str) -> dict[str, Any]:
    [call] = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == user]
    return call.args


def reply(bot: Bot, user: str, command: str, text: str = "") -> dict[str, Any]:
    response = bot.command(user, command, text)
    assert response.status_code == 200
    [answer] = bot.replies_to(response)
    return answer


def sent_view(fake: FakeSlack, method: str, count: int = 1) -> dict[str, Any]:
    """The view of the `count`-th call to `method`, as the bot sent it."""
    view: dict[str, Any] = fake.wait_for_calls(method, count=count)[count - 1].args["view"]
    return view


def home(bot: Bot, user: str) -> dict[str, Any]:
    """The Home tab the bot publishes when `user` opens it."""
    assert bot.event(app_home_opened(user)).status_code == 200
    bot.home_of(user)
    [call] = [c for c in bot.fake.calls_to("views.publish") if c.args["user_id"] == user]
    view: dict[str, Any] = call.args["view"]
    return view


# -- an owner with 60 open actions ------------------------------------------------------------


def test_an_owner_with_60_long_titled_actions_is_reminded_of_every_one(bot: Bot) -> None:
    report = run_tick(bot.runtime, at(1, 16), pace=0)

    assert BUSY in {o.recipient.slack_id for o in report.sent}
    message = dm_to(bot.fake, BUSY)
    assert_slack_takes_message(message)
    seen = all_text(message)
    assert "60 actions need an update" in seen
    assert_told_of(seen, BUSY_REFS, pointer="open planbot to see them all")
    assert "&amp; &lt;procurement&gt;" in seen  # titles escaped, not refused
    updates = [b["accessory"]["value"] for b in message["blocks"] if "accessory" in b]
    assert updates and set(updates) <= set(BUSY_REFS)  # an Update button on the first ones
    assert any(
        e.get("action_id") == "open_home"
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )
    assert_nothing_refused(bot.fake)


def test_the_home_tab_an_owners_reminder_points_to_lists_all_60(bot: Bot) -> None:
    view = home(bot, BUSY)

    assert_slack_takes_view(view)
    seen = all_text(view)
    assert shown_refs(seen) >= set(BUSY_REFS)
    buttons = {b["accessory"]["value"] for b in view["blocks"] if "accessory" in b}
    assert buttons == set(BUSY_REFS)  # 60 fit a Home tab each with its Update button
    assert_nothing_refused(bot.fake)


def test_actions_for_an_owner_with_60_lists_every_one(bot: Bot) -> None:
    answer = reply(bot, BUSY, "/actions")

    assert_slack_takes_message(answer)
    assert_told_of(all_text(answer), BUSY_REFS, pointer="Home* tab")
    assert_nothing_refused(bot.fake)


# -- a director with 80 outstanding -------------------------------------------------------------


def test_a_director_with_80_outstanding_is_told_every_owner_and_the_count(bot: Bot) -> None:
    run_tick(bot.runtime, at(1, 16), pace=0)  # the ladder so far
    bot.fake.reset()

    report = run_tick(bot.runtime, at(1, 27), pace=0)  # escalation day

    assert DIRECTOR in {o.recipient.slack_id for o in report.sent}
    message = dm_to(bot.fake, DIRECTOR)
    assert_slack_takes_message(message)
    seen = all_text(message)
    assert "Escalation: 80 actions have no Q3 2019/20 update" in seen
    assert "these 21 owners" in seen
    assert "Bea Busy-Longname (60)" in seen
    for i in range(1, 21):
        assert f"Finance Owner {i} Hyphen-Ated (1)" in seen
    assert_told_of(seen, FINANCE_REFS, pointer="Home tab")
    assert shown_refs(seen) <= set(FINANCE_REFS)  # the directorate's own, no other
    assert_nothing_refused(bot.fake)


def test_the_directors_home_lists_all_80_outstanding(bot: Bot) -> None:
    view = home(bot, DIRECTOR)

    assert_slack_takes_view(view)
    assert shown_refs(all_text(view)) >= set(FINANCE_REFS)
    assert_nothing_refused(bot.fake)


# -- a 300-action plan ------------------------------------------------------------------------


@pytest.mark.parametrize("user", [ADMIN, DIRECTOR])
def test_digest_of_a_300_action_plan_fits_one_message_with_every_count(bot: Bot, user: str) -> None:
    answer = reply(bot, user, "/digest", "Q2 2019/20")

    assert_slack_takes_message(answer)
    seen = all_text(answer)
    missing = 100 if user == ADMIN else 26  # a third of all, or of Finance's 80
    assert f"*No update received ({missing})*" in seen
    assert re.search(r"\*Exceptions: off track and at risk \(\d+\)\*", seen)
    assert "more" in seen  # what does not fit is counted, not dropped
    bot.fake.wait_for_calls("files.completeUploadExternal", timeout=30)
    assert_nothing_refused(bot.fake)


def test_the_admins_home_over_300_actions_counts_every_directorate(bot: Bot) -> None:
    view = home(bot, ADMIN)

    assert_slack_takes_view(view)
    seen = all_text(view)
    assert f"*0 of {len(OPEN_REFS)}* updated" in seen
    for name in [FINANCE, LEGAL, *OTHERS]:
        escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert f"*{escaped}*: 0 of" in seen
    assert_nothing_refused(bot.fake)


def test_actions_all_over_300_lists_every_ref_or_counts_them(bot: Bot) -> None:
    answer = reply(bot, ADMIN, "/actions", "all")

    assert_slack_takes_message(answer)
    assert_told_of(all_text(answer), OPEN_REFS, pointer="/actions directorate:&lt;name&gt;")
    assert_nothing_refused(bot.fake)


def test_the_admins_summary_on_escalation_day_fits_and_counts(bot: Bot) -> None:
    run_tick(bot.runtime, at(1, 27), pace=0)

    for call in bot.fake.calls_to("chat.postMessage"):
        assert_slack_takes_message(call.args)
    summary = dm_to(bot.fake, ADMIN)
    seen = all_text(summary)
    assert f"{len(OPEN_REFS)} of {len(OPEN_REFS)} open actions have no update" in seen
    assert_told_of(seen, OPEN_REFS, pointer="Home tab")
    # Each directorate is named with its count, even where its actions are shown by ref.
    directorates = Counter(directorate_of(int(ref.split("-")[1])) for ref in OPEN_REFS)
    for name, count in directorates.items():
        assert f"*{escape_mrkdwn(name)}* ({count})" in seen, name
    assert_nothing_refused(bot.fake)


# -- a picker for 150 open actions --------------------------------------------------------------


def suggestion(view: dict[str, Any], user: str, value: str) -> dict[str, Any]:
    return {
        "type": "block_suggestion",
        "user": {"id": user, "name": user.lower(), "team_id": "T0PLANBOT"},
        "team": {"id": "T0PLANBOT", "domain": "planbot-test"},
        "api_app_id": "A0PLANBOT",
        "token": "unused",
        "action_id": "pick_action",
        "block_id": "pick_action_block",
        "value": value,
        "container": {"type": "view", "view_id": view["id"]},
        "view": view,
    }


def test_the_picker_for_150_open_actions_searches_them_all(bot: Bot) -> None:
    bot.command(PICKER, "/update")
    view = bot.opened_view()

    assert_slack_takes_view(sent_view(bot.fake, "views.open"))
    [picker] = [b for b in view["blocks"] if b.get("block_id") == "pick_action_block"]
    assert picker["element"]["type"] == "external_select"  # a static menu holds 100
    assert "You can update 150 actions" in all_text(view)

    first = bot.interact(suggestion(view, PICKER, "")).json()["options"]
    assert len(first) == 100
    assert all(len(o["text"]["text"]) <= 75 and len(o["value"]) <= 150 for o in first)
    assert {o["value"] for o in first} <= set(PICKER_REFS)
    found = bot.interact(suggestion(view, PICKER, "230")).json()["options"]
    assert [o["value"] for o in found] == ["ACT-230"]  # the 150th, beyond the first 100

    chosen = {
        "type": "external_select",
        "action_id": "pick_action",
        "block_id": "pick_action_block",
    }
    chosen["selected_option"] = found[0]
    bot.interact(block_actions(PICKER, chosen, view=view))
    redrawn = sent_view(bot.fake, "views.update")
    assert_slack_takes_view(redrawn)
    assert redrawn["title"]["text"] == "Update ACT-230"
    assert "ACT-230" in json.dumps(redrawn["blocks"][0]["element"]["initial_option"])
    assert_nothing_refused(bot.fake)


def test_actions_for_150_lists_every_one_or_counts_them(bot: Bot) -> None:
    answer = reply(bot, PICKER, "/actions")

    assert_slack_takes_message(answer)
    assert_told_of(all_text(answer), PICKER_REFS, pointer="Home* tab")
    view = home(bot, PICKER)
    assert_slack_takes_view(view)
    assert_told_of(all_text(view), PICKER_REFS, pointer="`/update ACT-n` updates any")
    assert_nothing_refused(bot.fake)
