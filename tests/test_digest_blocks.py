"""The Slack summary of the report: within Block Kit's limits at any size, typed text inert."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from support.context import ctx
from support.slackrules import message_problems

from bot.domain.periods import Period
from bot.domain.planfile import ActionRow, HistoryRow, MeetingRow, PersonRow, PlanFile
from bot.model.report import Digest, ReportAudience
from bot.render.blockkit import BLOCK_TEXT_BUDGET
from bot.render.blockkit import MAX_MESSAGE_BLOCKS as MAX_BLOCKS
from bot.render.fitting import message_cost
from bot.render.report_blocks import render_blocks, summary_text
from bot.services.digest import compile_digest
from bot.services.plans import load_plan
from storage.db import Database

NOW = dt.datetime(2020, 1, 30, 16, 0, tzinfo=dt.UTC)
Q2 = Period(2019, 2)
HOSTILE = "<!channel> <@U0PO00001> <https://evil.example|click> & *bold* "


def big_plan(actions: int = 300, *, owners: int = 120, themes: int = 15) -> PlanFile:
    """A plan of `actions` actions: long titles and notes, many owners, half missing in Q2."""
    people = [PersonRow("U0ADMIN01", "Ada Admin", "a@x.example", "admin", "Office")] + [
        PersonRow(
            f"U0OWN{i:04d}",
            f"Owner {i} with a rather long double-barrelled name-{'x' * 40}",
            f"o{i}@x.example",
            "owner",
            f"Directorate {i % 9} & <Services>",
        )
        for i in range(owners)
    ]
    rows, history = [], []
    statuses = ["red", "amber", "green", "complete", "on_hold"]
    for n in range(1, actions + 1):
        ref = f"ACT-{n}"
        rows.append(
            ActionRow(
                ref,
                f"Action {n}: {HOSTILE}" + "a very long title " * 12,
                f"Theme {n % themes} & <priorities> " + "y" * 60,
                f"Directorate {n % 9} & <Services>",
                f"U0OWN{n % owners:04d}",
                dt.date(2019, 9, 30),
                dt.date(2020, 6, 30) if n % 3 else None,
            )
        )
        history.append(HistoryRow(ref, "2019-20-Q1", statuses[n % 3], "Earlier note."))
        if n % 2:  # every other action has a Q2 update: the rest are "no update"
            history.append(HistoryRow(ref, Q2.key, statuses[n % 5], HOSTILE + "n" * 2900))
    return PlanFile(
        key="big",
        name="A big plan & <co>",
        people=people,
        actions=rows,
        meetings=[MeetingRow(Q2.key, dt.date(2019, 10, 18), "Committee")],
        history=history,
    )


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('big') / 'big.db'}")
    db.create_all()
    load_plan(db=db, plan_file=big_plan(), now=NOW)
    return db


def compiled(db: Database, audience: ReportAudience) -> Digest:
    return compile_digest(ctx(db, NOW, plan_key="big"), period=Q2, audience=audience)


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text a person could see in the blocks."""
    found: list[str] = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            found.append(element["text"])
        for field in block.get("fields", []):
            found.append(field["text"])
    return found


def assert_within_slack_limits(blocks: list[dict[str, Any]]) -> None:
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
            assert block["text"]["type"] == "plain_text"
        elif block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= 3000
        elif block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])
    assert len(json.dumps({"blocks": blocks})) < 50_000


@pytest.mark.parametrize("audience", [ReportAudience.DRAFT, ReportAudience.COMMITTEE])
def test_summary_of_a_300_action_plan_stays_within_slack_limits(
    big_db: Database, audience: ReportAudience
) -> None:
    digest = compiled(big_db, audience)
    assert digest.total == 300
    blocks = render_blocks(digest, files_note="Files attached & <more>.")

    assert_within_slack_limits(blocks)
    assert message_problems(blocks, summary_text(digest)) == (None, [])  # Slack takes it
    assert message_cost(blocks) <= BLOCK_TEXT_BUDGET  # with room to spare
    shown = "\n".join(texts(blocks))
    assert "more" in shown  # long lists are summarised with "…and N more"
    assert f"*Exceptions: off track and at risk ({len(digest.exceptions)})*" in shown
    assert f"*No update received ({len(digest.no_update)})*" in shown
    assert len(summary_text(digest)) <= 3000


def test_typed_text_never_pings_or_links(big_db: Database) -> None:
    blocks = render_blocks(compiled(big_db, ReportAudience.DRAFT))
    for text in texts(blocks):
        assert "<!channel>" not in text
        assert "<@U" not in text
        assert "<https://" not in text
        assert "&lt;!channel&gt;" in text or "<" not in text


def test_names_of_people_who_have_not_replied_only_for_directors_and_admins(
    big_db: Database,
) -> None:
    draft = "\n".join(texts(render_blocks(compiled(big_db, ReportAudience.DRAFT))))
    committee = "\n".join(texts(render_blocks(compiled(big_db, ReportAudience.COMMITTEE))))
    assert "with a rather long double-barrelled name" in draft
    assert "Owner " not in committee
    assert "Directorate" in committee


def test_small_summary_shows_counts_with_the_previous_period(sample_db: Database) -> None:
    digest = compile_digest(ctx(sample_db, NOW), period=Q2)
    blocks = render_blocks(digest)
    assert_within_slack_limits(blocks)
    shown = "\n".join(texts(blocks))
    assert ":red_circle: Off track: *1* (0 in 2019-20-Q1)" in shown
    assert ":large_green_circle: On track: *8* (9 in 2019-20-Q1)" in shown
    assert "*ACT-14* Reduce the non-shared overspend forecast for Newham services" in shown
    assert "none, every action has an update" in shown
    assert blocks[0]["text"]["text"].startswith("Draft: Progress report Q2 2019/20")
