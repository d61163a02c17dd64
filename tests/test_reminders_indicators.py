"""Reminders list indicators due beside actions: still one DM per person per step."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from support.context import ctx
from support.fakeslack import FakeSlack
from test_reminders import (
    GARY,
    KWAME,
    MARK,
    Q3_OUTSTANDING,
    RACHEL,
    SINEAD,
    TOM,
    at,
    dms,
    dms_to,
    header_of,
    make_runtime,
    recipients,
    refs_in,
    texts_of,
    tick,
    utc,
)

from bot.model.updates import Source
from bot.planio import SAMPLE_PLAN, read_plan
from bot.runtime import Runtime
from bot.services.indicators import record_measure
from bot.services.plans import load_plan
from storage.db import Database

# Each indicator owner's indicators (none has a Q3 actual in the sample plan).
Q3_INDICATORS = {
    GARY: {"PI-1", "PI-2"},
    SINEAD: {"PI-3"},
    "U0IT00002": {"PI-4"},  # Aisha
    "U0LG00001": {"PI-5"},  # Fatima
    MARK: {"PI-6"},
    KWAME: {"PI-7"},
    TOM: {"PI-8"},
}


@pytest.fixture
def full_db(sqlite_url: str) -> Iterator[Database]:
    """The sample plan with its eight indicators."""
    db = Database(sqlite_url)
    db.create_all()
    load_plan(db=db, plan_file=read_plan(SAMPLE_PLAN), now=utc(2019, 12, 2, 9, 0))
    yield db
    db.dispose()


@pytest.fixture
def runtime(full_db: Database, fake_slack: FakeSlack) -> Runtime:
    return make_runtime(full_db, fake_slack)


def indicator_refs_in(texts: list[str]) -> set[str]:
    return {ref for text in texts for ref in re.findall(r"\*(PI-\d+)\*", text)}


def test_one_reminder_dm_lists_a_persons_actions_and_indicators(
    runtime: Runtime, full_db: Database, fake_slack: FakeSlack
) -> None:
    record_measure(
        ctx(full_db, at(2020, 1, 9, 8), SINEAD), ref="PI-3", value="2.1", source=Source.COMMAND
    )

    tick(runtime, at(2020, 1, 9))

    everyone = set(Q3_OUTSTANDING) | set(Q3_INDICATORS)
    assert recipients(dms(fake_slack)) == dict.fromkeys(everyone, 1)  # one DM each
    [kwame] = dms_to(fake_slack, KWAME)
    texts = texts_of(kwame)
    assert refs_in(kwame) == {"ACT-13", "ACT-15"}
    assert indicator_refs_in(texts) == {"PI-7"}
    assert "2 actions and 1 indicator need an update" in texts[1]
    assert any(
        "*PI-7* Council tax collected in year — target 84.0%, last 56.0% (Q2 2019/20)" in t
        for t in texts
    )
    assert "PI-7" in kwame.args["text"] and "ACT-13" in kwame.args["text"]
    # Gary owns no action, only indicators: one DM for both of them.
    [gary] = dms_to(fake_slack, GARY)
    assert refs_in(gary) == set()
    assert indicator_refs_in(texts_of(gary)) == {"PI-1", "PI-2"}
    assert "2 indicators need an update" in texts_of(gary)[1]
    # Sinead reported PI-3 already: her DM is about her actions only.
    [sinead] = dms_to(fake_slack, SINEAD)
    assert indicator_refs_in(texts_of(sinead)) == set()
    assert refs_in(sinead) == Q3_OUTSTANDING[SINEAD]


def test_escalation_and_the_admin_summary_list_indicators_with_no_figure(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    report = tick(runtime, at(2020, 1, 27))  # escalation day

    assert report.sent
    counts = Counter(str(call.args["channel"]) for call in dms(fake_slack))
    assert max(counts.values()) == 1  # still one DM per person at this step
    finance = [
        call for call in dms_to(fake_slack, RACHEL) if header_of(call).startswith("Escalation")
    ]
    [escalation] = finance
    texts = texts_of(escalation)
    assert refs_in(escalation) == {"ACT-13", "ACT-14", "ACT-15"}
    assert indicator_refs_in(texts) == {"PI-7"}
    assert any("— Kwame Mensah" in t for t in texts)  # whose figure it is
    summary = next(call for call in dms_to(fake_slack, "U0PO00001"))
    assert indicator_refs_in(texts_of(summary)) == {f"PI-{n}" for n in range(1, 9)}
