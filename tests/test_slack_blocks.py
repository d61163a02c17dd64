"""The pure parts of the Slack side: reading what people type, and Block Kit within Slack's
limits whatever the data (long titles, huge plans, hostile text)."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from support.slackrules import message_problems, view_problems

from bot.domain.dates import long_date, short_date, utc_date_time, weekday_date
from bot.domain.grammar import (
    parse_actions,
    parse_day,
    parse_planbot,
    parse_update,
    plain_from_slack,
)
from bot.domain.status import DEFAULT_SCHEME
from bot.errors import InvalidInput, NotFound
from bot.model.updates import UpdateDraft
from bot.model.views import (
    ActionChoice,
    ActionsList,
    DirectorateProgress,
    Home,
    HomeTab,
    ListedAction,
    PeriodInfo,
)
from bot.render.action_lists import render_actions_list
from bot.render.blockkit import (
    BLOCK_TEXT_BUDGET,
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    button,
    confirm_dialog,
    context,
    divider,
    escape_mrkdwn,
    escaped_line,
    modal,
    plain_text_input,
    section,
    shorten,
    shorten_line,
    shorten_mrkdwn,
)
from bot.render.fitting import (
    MESSAGE_ROOM,
    Entry,
    Room,
    block_text,
    fit_entries,
    message_cost,
)
from bot.render.home import render_home
from bot.render.replies import render_help, render_refusal
from bot.render.update_form import render_picker_modal, render_update_modal
from bot.render.update_form_meta import UpdateFormMeta

TODAY = dt.date(2020, 1, 10)
PERIOD = PeriodInfo(
    key="2019-20-Q3",
    label="Q3 2019/20 (October–December 2019)",
    due_date=dt.date(2020, 1, 23),
    window_opens=dt.date(2020, 1, 9),
    meeting_date=dt.date(2020, 2, 7),
    locked=False,
    previous_key="2019-20-Q2",
    previous_label="Q2 2019/20 (July–September 2019)",
)
HOSTILE = "<!channel> & <@U123> " * 400  # 8,400 characters of trouble


def line(n: int, title: str = "An action", status: str | None = None) -> ListedAction:
    return ListedAction(
        ref=f"ACT-{n}",
        title=title,
        theme="Theme",
        directorate="Finance & <Resources>",
        owner_name="Owner & <Co>",
        owner_slack_id="U1",
        target_date=dt.date(2020, 3, 31),
        revised_target_date=None,
        closed=False,
        status=status,
        note="",
        last_status="amber",
        overdue_target=False,
        delegated=False,
        owner_away=False,
        may_update=True,
    )


def draft(**changes: object) -> UpdateDraft:
    values: dict[str, object] = {
        "plan_key": "osip",
        "ref": "ACT-12",
        "title": HOSTILE,
        "owner_name": "Sinead",
        "directorate": "HR & OD",
        "target_date": dt.date(2020, 3, 31),
        "revised_target_date": None,
        "period_key": "2019-20-Q3",
        "period_label": PERIOD.label,
        "due_date": PERIOD.due_date,
        "locked": False,
        "status": "amber",
        "note": "Last quarter's note",
        "last_status": "amber",
        "last_period_key": "2019-20-Q2",
        "caller_is_admin": False,
        "on_behalf": False,
        "current_target": dt.date(2020, 3, 31),
    }
    values.update(changes)
    return UpdateDraft(**values)  # type: ignore[arg-type]


def every_text(value: object) -> list[tuple[str, dict[str, object]]]:
    """Every text object ({"type": "plain_text"|"mrkdwn", "text": ...}) with its parent."""
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(value, dict):
        if value.get("type") in {"plain_text", "mrkdwn"} and isinstance(value.get("text"), str):
            found.append((str(value["type"]), value))
        for item in value.values():
            found += every_text(item)
    elif isinstance(value, list):
        for item in value:
            found += every_text(item)
    return found


def assert_within_limits(blocks: list[dict[str, object]], max_blocks: int) -> None:
    assert len(blocks) <= max_blocks
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000  # type: ignore[index]
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150  # type: ignore[index]
        if block["type"] == "context":
            assert len(block["elements"]) <= 10  # type: ignore[arg-type]
    for kind, text in every_text(blocks):
        if kind == "mrkdwn":
            assert "<!" not in text["text"] and "<@" not in text["text"]  # type: ignore[operator]


# -- escaping and cutting ----------------------------------------------------------------------


def test_escape_mrkdwn_turns_slacks_control_characters_into_entities() -> None:
    assert escape_mrkdwn("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_shorten_never_exceeds_the_limit() -> None:
    assert shorten("abcdef", 4) == "abc…"
    assert shorten("abc", 4) == "abc"


def test_a_typed_line_is_folded_shortened_then_escaped() -> None:
    assert shorten_line("a\n  b\tc", 10) == "a b c"
    assert escaped_line("<!channel>\n&  more", 20) == "&lt;!channel&gt; &amp; more"
    assert escaped_line("<!channel>\n& more text", 12) == "&lt;!channel&gt;…"


def test_shortened_mrkdwn_never_ends_in_half_an_entity() -> None:
    assert shorten_mrkdwn("ab &amp; cd", 6) == "ab…"


def test_dates_read_the_same_in_every_output() -> None:
    assert short_date(dt.date(2020, 1, 23)) == "23 Jan 2020"
    assert short_date(None) == "–"
    assert weekday_date(dt.date(2020, 1, 23)) == "Thu 23 Jan 2020"
    assert long_date(dt.date(2020, 2, 7)) == "Friday 7 February 2020"
    moment = dt.datetime(2020, 1, 31, 14, 5, tzinfo=ZoneInfo("Europe/London"))
    assert utc_date_time(moment) == "31 Jan 2020 14:05 UTC"


def test_builders_keep_to_slacks_limits_whatever_they_are_given() -> None:
    long = "x" * 5000
    assert len(button(long, "a", long)["value"]) == 2000
    text_input = plain_text_input("a", max_length=10_000, initial_value=long)
    assert text_input["max_length"] == len(text_input["initial_value"]) == 3000
    dialog = confirm_dialog(long, long, confirm=long, deny=long)
    lengths = [len(dialog[k]["text"]) for k in ("title", "text", "confirm", "deny")]
    assert lengths == [100, 300, 30, 30]
    assert len(modal(long, [divider()] * 120, close="Close")["blocks"]) == MAX_VIEW_BLOCKS


def test_refusal_escapes_what_the_person_typed() -> None:
    message = render_refusal(InvalidInput("'<!here>' is not a status.", hint="Use green & co."))

    assert "&lt;!here&gt;" in message.text and "<!here>" not in json.dumps(message.blocks)


# -- limits ----------------------------------------------------------------------------------


def test_a_list_of_300_long_titled_actions_stays_within_a_message() -> None:
    actions = ActionsList(
        title="Every action " * 40,
        scope="all",
        period=PERIOD,
        actions=tuple(line(n, title=HOSTILE) for n in range(300)),
        viewer_role="admin",
        plan_key="plan",
        plan_name="Plan",
        scheme=DEFAULT_SCHEME,
    )

    message = render_actions_list(actions)

    assert_within_limits(message.blocks, MAX_MESSAGE_BLOCKS)
    assert message_cost(message.blocks) <= BLOCK_TEXT_BUDGET
    shown = json.dumps(message.blocks)
    assert re.search(r"and \d+ more: ACT-", shown)  # the rest by ref, after what fits
    assert all(re.search(rf"\bACT-{n}\b", shown) for n in range(300))


def test_an_admin_home_of_300_actions_stays_within_a_home_tab() -> None:
    lines = tuple(line(n, title=HOSTILE) for n in range(300))
    home = Home(
        plan_key="plan",
        plan_name="Plan " * 50,
        scheme=DEFAULT_SCHEME,
        person_name="Priya",
        slack_id="U1",
        role="admin",
        period=PERIOD,
        mine=lines[:150],
        away_from=None,
        away_to=None,
        delegate_name=None,
        directorate=None,
        team=(),
        status_counts={"green": 3},
        updated=3,
        total=300,
        by_directorate=tuple(
            DirectorateProgress(f"Directorate {n}", 0, 30, lines[:30]) for n in range(40)
        ),
    )

    view = render_home(HomeTab((home,)))

    assert view["type"] == "home"
    assert_within_limits(view["blocks"], MAX_VIEW_BLOCKS)
    assert view_problems(view) == []
    shown = json.dumps(view)
    assert all(re.search(rf"\bACT-{n}\b", shown) for n in range(150))  # every one of hers


def test_an_admin_home_of_300_actions_in_each_of_three_plans_stays_within_a_home_tab() -> None:
    lines = tuple(line(n, title=HOSTILE) for n in range(300))
    homes = tuple(
        Home(
            plan_key=f"plan{p}",
            plan_name=f"Plan {p} " * 30,
            scheme=DEFAULT_SCHEME,
            person_name="Priya",
            slack_id="U1",
            role="admin",
            period=PERIOD,
            mine=lines[:150],
            away_from=TODAY,
            away_to=None,
            delegate_name=HOSTILE,
            directorate=None,
            team=(),
            status_counts={"green": 3},
            updated=3,
            total=300,
            by_directorate=tuple(
                DirectorateProgress(f"Directorate {n}", 0, 30, lines[:30]) for n in range(40)
            ),
        )
        for p in range(3)
    )

    view = render_home(HomeTab(homes))

    assert_within_limits(view["blocks"], MAX_VIEW_BLOCKS)
    assert view_problems(view) == []
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert len(headers) == 3
    for part in json.dumps(view).split('"type": "header"')[1:]:
        assert all(re.search(rf"\bACT-{n}\b", part) for n in range(150))  # every one of hers


def test_the_update_modal_keeps_to_slacks_limits_with_hostile_text() -> None:
    view = render_update_modal(
        draft(title=HOSTILE, owner_name=HOSTILE, note=HOSTILE), DEFAULT_SCHEME
    )

    assert len(view["title"]["text"]) <= 24
    assert len(view["private_metadata"]) <= 3000
    assert_within_limits(view["blocks"], MAX_VIEW_BLOCKS)
    note = next(b for b in view["blocks"] if b.get("block_id", "").startswith("note_block"))
    assert len(note["element"]["initial_value"]) <= 3000


def test_the_picker_offers_at_most_100_options_then_searches() -> None:
    few = [ActionChoice(f"ACT-{n}", HOSTILE, "Owner", own=n % 2 == 0) for n in range(100)]
    many = [*few, ActionChoice("ACT-100", "One more", "Owner", own=True)]

    static = render_picker_modal(few, PERIOD, DEFAULT_SCHEME)["blocks"][1]["element"]
    external = render_picker_modal(many, PERIOD, DEFAULT_SCHEME)["blocks"][1]["element"]

    assert static["type"] == "static_select" and len(static["options"]) == 100
    assert all(len(o["text"]["text"]) <= 75 for o in static["options"])
    assert external["type"] == "external_select" and "options" not in external


def entries(count: int, *, line_chars: int = 200) -> list[Entry]:
    return [
        Entry(
            key=f"ACT-{n}",
            line=f"*ACT-{n}* " + "l" * line_chars,
            full=(section(f"*ACT-{n}* " + "f" * 600),),
        )
        for n in range(count)
    ]


def test_a_list_that_fits_is_shown_whole_and_in_full() -> None:
    blocks = fit_entries(entries(5), MESSAGE_ROOM, pointer="See the Home tab.")

    assert len(blocks) == 5 and "See the Home tab." not in json.dumps(blocks)


@pytest.mark.parametrize("count", [30, 60, 150, 400])
def test_a_long_list_names_every_entry_within_one_message(count: int) -> None:
    blocks = fit_entries(entries(count), MESSAGE_ROOM, pointer="See the Home tab.")
    shown = json.dumps(blocks)

    assert MESSAGE_ROOM.holds(blocks) and message_cost(blocks) <= BLOCK_TEXT_BUDGET
    assert all(re.search(rf"\bACT-{n}\b", shown) for n in range(count))
    assert blocks[-1]["elements"][0]["text"] == "See the Home tab."


def test_a_list_too_long_even_for_its_refs_is_counted() -> None:
    blocks = fit_entries(entries(3000), MESSAGE_ROOM, more="…and {n} more")

    assert MESSAGE_ROOM.holds(blocks)
    counted = [int(n) for n in re.findall(r"and (\d+) more", json.dumps(blocks))]
    shown = len(set(re.findall(r"ACT-\d+", json.dumps(blocks))))
    assert counted and shown + counted[0] == 3000


def test_a_view_is_laid_out_within_its_bytes() -> None:
    big = entries(300, line_chars=2000)
    room = Room(100, size=20_000)

    assert room.holds(fit_entries(big, room))


def test_block_text_counts_every_text_string_as_slack_does() -> None:
    blocks = [
        section("abc", accessory=button("Update", "open_update", "ACT-1")),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "12345"}]},
        context("xy"),
    ]

    assert block_text(blocks) == 3 + len("Update") + 5 + 2


def test_a_message_like_one_slack_refused_is_not_laid_out() -> None:
    # bolt-js #2867: 11,341 characters of text over 45 blocks, refused msg_blocks_too_long.
    refused = [section("x" * 252) for _ in range(45)]
    assert block_text(refused) == 11_340

    assert not MESSAGE_ROOM.holds(refused)
    assert MESSAGE_ROOM.holds(refused[:30])


@pytest.mark.parametrize("topic", ["update", "actions", "planbot"])
def test_help_is_valid_mrkdwn(topic: str) -> None:
    message = render_help(topic, DEFAULT_SCHEME)

    assert message_problems(message.blocks, message.text) == (None, [])
    assert "&lt;" in json.dumps(message.blocks) or topic == "actions"


def test_form_metadata_survives_the_round_trip_and_garbage() -> None:
    meta = UpdateFormMeta(ref="ACT-12", period="2019-20-Q3", last_status="amber", locked=True)

    assert UpdateFormMeta.from_json(meta.to_json()) == meta
    assert UpdateFormMeta.from_json("not json") == UpdateFormMeta()
    assert UpdateFormMeta.from_json('{"ref": 12, "locked": "yes"}') == UpdateFormMeta()


# -- reading commands ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "ref", "status", "note"),
    [
        ("", "pick", "", "", ""),
        ("help", "help", "", "", ""),
        ("ACT-12", "open", "ACT-12", "", ""),
        ("12", "open", "12", "", ""),
        ("act 12", "open", "act-12", "", ""),
        ("ACT-12 g", "record", "ACT-12", "g", ""),
        ("12 at risk Supplier late", "record", "12", "at risk", "Supplier late"),
        ("12 not started Waiting for budget", "record", "12", "not started", "Waiting for budget"),
        ("ACT12 green Line one\nLine two", "record", "ACT12", "green", "Line one\nLine two"),
        ("12 green Q&amp;A held &lt;3", "record", "12", "green", "Q&A held <3"),
    ],
)
def test_update_grammar(text: str, kind: str, ref: str, status: str, note: str) -> None:
    request = parse_update(text, today=TODAY, scheme=DEFAULT_SCHEME)

    assert (request.kind, request.ref, request.status, request.note) == (kind, ref, status, note)


@pytest.mark.parametrize(
    ("text", "note", "revised"),
    [
        ("12 amber Supplier late revised 31/03/2020", "Supplier late", dt.date(2020, 3, 31)),
        ("12 amber Supplier late revised to 2020-06-30.", "Supplier late", dt.date(2020, 6, 30)),
        ("12 red Late new target 30 Sep 2020", "Late", dt.date(2020, 9, 30)),
        ("12 amber Done by 31/03/2020", "Done by 31/03/2020", None),  # only "revised" sets it
    ],
)
def test_a_revised_date_ends_the_note(text: str, note: str, revised: dt.date | None) -> None:
    request = parse_update(text, today=TODAY, scheme=DEFAULT_SCHEME)

    assert (request.note, request.revised) == (note, revised)


def test_an_impossible_revised_date_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'31/02/2020' is not a date"):
        parse_update("12 amber Late revised 31/02/2020", today=TODAY, scheme=DEFAULT_SCHEME)


def test_slack_markup_becomes_readable_text() -> None:
    assert (
        plain_from_slack(
            "<!channel> <!here|here> <@U1|sam> <@U2> <#C1|general> <https://x.gov.uk|site> "
            "<mailto:a@b.gov.uk> <!subteam^S1|@finance> &lt;3 &amp; &gt;"
        )
        == "@channel @here @sam @U2 #general site (https://x.gov.uk) mailto:a@b.gov.uk "
        "@finance <3 & >"
    )


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("31/03/2020", dt.date(2020, 3, 31)),
        ("31-3-20", dt.date(2020, 3, 31)),
        ("2020-03-31", dt.date(2020, 3, 31)),
        ("31 March 2020", dt.date(2020, 3, 31)),
        ("1 sept 2020", dt.date(2020, 9, 1)),
        ("today", TODAY),
        ("tomorrow", dt.date(2020, 1, 11)),
    ],
)
def test_days_as_people_write_them(text: str, day: dt.date) -> None:
    assert parse_day(text, today=TODAY) == day


def test_actions_grammar() -> None:
    assert parse_actions("").kind == "mine"
    assert parse_actions("<@U0HR00002|sinead>").value == "U0HR00002"
    assert parse_actions("U0HR00002").value == "U0HR00002"
    assert parse_actions("directorate:HR &amp; OD").value == "HR & OD"
    assert parse_actions("all").kind == "all"
    assert (parse_actions("act12").kind, parse_actions("act12").value) == ("history", "act12")
    with pytest.raises(InvalidInput, match="can't tell who @sinead is"):
        parse_actions("@sinead")


def test_planbot_grammar() -> None:
    away = parse_planbot("away 13/01/2020 17/01/2020 <@U0BS00002|tom>", today=TODAY)

    assert (away.kind, away.start, away.end, away.delegate) == (
        "away",
        dt.date(2020, 1, 13),
        dt.date(2020, 1, 17),
        "U0BS00002",
    )
    assert parse_planbot("away 13/01/2020", today=TODAY).end == dt.date(2020, 1, 13)
    assert parse_planbot("back", today=TODAY).kind == "back"
    assert parse_planbot("", today=TODAY).kind == "help"
    with pytest.raises(InvalidInput, match="first and last days"):
        parse_planbot("away", today=TODAY)


def test_refusal_for_not_found_keeps_its_hint() -> None:
    message = render_refusal(NotFound("There is no action 'ACT-99'.", hint="Did you mean ACT-9?"))

    assert message.blocks[1]["elements"][0]["text"] == "Did you mean ACT-9?"
