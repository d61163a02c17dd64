"""`/digest [plan] [period] [scope]`, `/digest publish [plan] [period]` and `planbot digest
--plan` with the three plans of the several-plans issue in one database.

Over signed HTTP against the strict fake Slack: a plan is named by its key or its name; with
none named, a person in one plan gets theirs and one in several is asked which (nothing is
sent); publishing the strategy locks the strategy's period and no other plan's.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select
from support.context import ctx
from support.fakeslack import FakeSlack
from support.slackapp import Bot, all_text, running_bot
from support.strategy_updates import AFTER_Q3_DEADLINE, strategy_quarters
from support.three_plans import NIA, OMAR, PERIOD, PRIYA, ROSS, SAM, load_three_plans
from typer.testing import CliRunner

from bot.cli import app
from bot.errors import InvalidInput, PeriodLocked
from bot.model.updates import Source
from bot.services.digest_requests import parse_digest_request
from bot.services.updates import record_update
from bot.settings import get_settings
from storage import models as m
from storage.db import Database

DIGEST_CHANNEL = "C0DIGEST1"
UPLOADS = "files.completeUploadExternal"


@pytest.fixture
def plans_db(db: Database, tmp_path: Path) -> Database:
    load_three_plans(db, tmp_path)
    strategy_quarters(db)
    return db


@pytest.fixture
def bot(plans_db: Database, fake_slack: FakeSlack) -> Iterator[Bot]:
    with running_bot(
        plans_db, fake_slack, clock=lambda: AFTER_Q3_DEADLINE, digest_channel=DIGEST_CHANNEL
    ) as running:
        yield running


def said(bot: Bot, user: str, text: str) -> str:
    [reply] = bot.replies_to(bot.command(user, "/digest", text))
    assert reply["response_type"] == "ephemeral"
    return all_text(reply)


def locked(db: Database) -> dict[str, bool]:
    """Whether each plan's Q3 is locked."""
    with db.read_session() as session:
        rows = session.execute(
            select(m.Plan.key, m.Period.locked_at)
            .join(m.Period, m.Period.plan_id == m.Plan.id)
            .where(m.Period.key == PERIOD)
        ).all()
    return {key: at is not None for key, at in rows}


def channel_posts(bot: Bot) -> list[str]:
    return [
        all_text(c.args)
        for c in bot.fake.calls_to("chat.postMessage")
        if c.args["channel"] == DIGEST_CHANNEL
    ]


def test_a_person_in_two_plans_names_one_by_key_or_by_name(bot: Bot) -> None:
    # Sam owns actions in the improvement plan and in the strategy: which report?
    asked = said(bot, SAM, "")
    assert "You are in several plans:" in asked and "nothing was done" in asked
    assert "one of: improvement, strategy." in asked
    assert "`/digest improvement`" in asked

    strategy = said(bot, SAM, "strategy")
    assert "Progress report Q3 2026/27" in strategy
    assert "Strategy 2020-23 · Whole plan · 2 actions" in strategy
    assert ":red_circle: Major delay: *1* (1 in 2026-27-Q2)" in strategy
    assert ":large_yellow_circle: Minor delay: *1*" in strategy
    assert "*Exceptions: major delay (1)*" in strategy
    assert "At risk" not in strategy and "Off track" not in strategy

    english = said(bot, SAM, "Improvement Q3")  # the key, in any case
    assert "*No update received (2)*" in english and "Major delay" not in english
    time.sleep(0.2)  # an owner gets no files: give a wrongly started upload time to show
    assert bot.fake.calls_to(UPLOADS) == []


def test_a_person_in_one_plan_gets_it_and_an_admin_names_it_by_its_name(bot: Bot) -> None:
    omar = said(bot, OMAR, "")  # the strategy is Omar's only plan
    assert ":red_circle: Major delay: *1*" in omar and "Minor delay" in omar

    refused = said(bot, ROSS, "strategy")  # Ross is in the Scottish plan only
    assert "You are not on the list of people in the plan 'Strategy 2020-23'" in refused

    draft = said(bot, PRIYA, "Strategy 2020-23 Q3 2026/27")
    assert draft.startswith("Draft progress report, Q3 2026/27")
    [upload] = bot.fake.wait_for_calls(UPLOADS, timeout=10)
    names = sorted(f["name"] for f in upload.response["files"])
    assert names == [
        "strategy-2026-27-Q3-chart.png",
        "strategy-2026-27-Q3.docx",
        "strategy-2026-27-Q3.pdf",
        "strategy-2026-27-Q3.xlsx",
    ]
    document = Document(io.BytesIO(bot.fake.uploaded_files["strategy-2026-27-Q3.docx"]))
    statuses = [row.cells[5].text for row in document.tables[-1].rows[2:]]
    assert statuses == ["Major delay", "Minor delay"]


def test_publishing_the_strategy_leaves_the_other_plans_unlocked(bot: Bot) -> None:
    db = bot.runtime.db
    asked = said(bot, PRIYA, "publish")  # Priya is an admin of all three
    assert "one of: improvement, scottish, strategy." in asked
    assert "`/digest publish improvement`" in asked
    assert not any(locked(db).values()) and channel_posts(bot) == []

    done = said(bot, PRIYA, "publish strategy Q3 2026/27")
    assert done.startswith("Published Q3 2026/27")
    assert "locked the period (plan: Strategy 2020-23)" in done
    assert locked(db) == {"improvement": False, "scottish": False, "strategy": True}
    [post] = channel_posts(bot)
    assert "Major delay" in post and "At risk" not in post

    # The strategy is locked; the improvement plan still takes updates for Q3.
    with pytest.raises(PeriodLocked):
        record_update(
            ctx(db, AFTER_Q3_DEADLINE, SAM, plan_key="strategy"),
            ref="SP-1",
            status="complete",
            period=PERIOD,
            source=Source.COMMAND,
        )
    recorded = record_update(
        ctx(db, AFTER_Q3_DEADLINE, NIA, plan_key="improvement"),
        ref="ACT-1",
        status="green",
        period=PERIOD,
        source=Source.COMMAND,
    )
    assert recorded.period_key == PERIOD

    # Its own publication is claimed apart from the strategy's (the first of its own).
    again = said(bot, PRIYA, "publish improvement Q3 2026/27")
    assert again.startswith("Published Q3 2026/27") and "(plan: Improvement)" in again
    assert locked(db) == {"improvement": True, "scottish": False, "strategy": True}
    assert len(channel_posts(bot)) == 2


def test_the_cli_needs_a_plan_when_the_database_holds_several(
    cli_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLANBOT_PLAN", raising=False)
    db = Database(cli_database_url)
    db.create_all()
    load_three_plans(db, tmp_path / "plans")
    db.dispose()

    refused = CliRunner().invoke(app, ["digest", "--period", PERIOD, "--format", "json"])
    assert refused.exit_code == 1
    assert "several plans" in refused.stderr
    assert "improvement, scottish, strategy" in refused.stderr
    assert refused.stdout == ""

    chosen = CliRunner().invoke(
        app, ["digest", "--plan", "strategy", "--period", PERIOD, "--format", "json"]
    )
    assert chosen.exit_code == 0, chosen.output
    data = json.loads(chosen.stdout)
    assert data["plan"] == {"key": "strategy", "name": "Strategy 2020-23"}
    assert [s["label"] for s in data["statuses"]][1:4] == ["On track", "Minor delay", "Major delay"]

    monkeypatch.setenv("PLANBOT_PLAN", "scottish")  # the default plan for the command line
    get_settings.cache_clear()
    default = CliRunner().invoke(app, ["digest", "--period", PERIOD, "--format", "json"])
    assert default.exit_code == 0, default.output
    assert json.loads(default.stdout)["plan"]["key"] == "scottish"
    assert dt.date.fromisoformat(json.loads(default.stdout)["period"]["update_deadline"]) == (
        dt.date(2026, 11, 24)  # St Andrew's Day counted
    )


PLANS = [("improvement", "Improvement"), ("strategy", "Strategy 2020-23"), ("strat", "Strat")]


@pytest.mark.parametrize(
    ("text", "plan", "publish", "period", "scope"),
    [
        ("", None, False, None, None),
        ("strategy", "strategy", False, None, None),
        ("STRATEGY q3", "strategy", False, "2026-27-Q3", None),
        ("Strategy 2020-23 theme:Finance", "strategy", False, None, "theme:Finance"),
        ("strat all", "strat", False, None, "all"),
        ("publish strategy 2026-27-Q3", "strategy", True, "2026-27-Q3", None),
        ("publish Strategy  2020-23", "strategy", True, None, None),
        ("Q2 2026/27 directorate:Finance", None, False, "2026-27-Q2", "directorate:Finance"),
    ],
)
def test_digest_requests_may_name_a_plan_first(
    text: str, plan: str | None, publish: bool, period: str | None, scope: str | None
) -> None:
    request = parse_digest_request(text, today=dt.date(2026, 11, 26), plans=PLANS)

    assert (request.plan_key, request.publish) == (plan, publish)
    assert (request.period.key if request.period else None) == period
    assert (request.scope.key if request.scope else None) == scope


@pytest.mark.parametrize("text", ["strategic Q3", "publish strategy theme:Finance"])
def test_a_word_that_is_no_plan_period_or_scope_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_digest_request(text, today=dt.date(2026, 11, 26), plans=PLANS)
