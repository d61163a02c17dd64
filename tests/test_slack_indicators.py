"""`/update PI-7 96.4 note` over HTTP: an indicator's actual recorded for the open period and
answered privately with the target, the RAG and both trends; every wrong value refused.

The real Bolt app behind the real server, signed requests, the strict fake Slack; the sample
plan on SQLite and PostgreSQL (the clock is in the Q3 2019/20 window).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from support.fakeslack import FakeSlack
from support.slackapp import (
    KWAME,
    MARK,
    PRIYA,
    SINEAD,
    TOM,
    Bot,
    all_text,
    running_bot,
    update_count,
)

from storage import models as m
from storage.db import Database

RACHEL = "U0FN00001"  # director, Finance (PI-7 is Kwame's, in Finance)
GARY = "U0ET00001"  # director, Exchequer & Transactional; owns PI-1 and PI-2
Q3 = "2019-20-Q3"


@pytest.fixture
def bot(sample_db: Database, fake_slack: FakeSlack) -> Iterator[Bot]:
    with running_bot(sample_db, fake_slack) as running:
        yield running


@dataclass(frozen=True)
class MeasureRow:
    ref: str
    period_key: str
    value: Decimal | None
    note: str
    author: str | None
    on_behalf_of: str | None
    source: str


def measures_of(db: Database, ref: str) -> list[MeasureRow]:
    """Every measure of one indicator, oldest first."""
    with db.session() as session:
        rows = session.scalars(
            select(m.Measure).join(m.Indicator).where(m.Indicator.ref == ref).order_by(m.Measure.id)
        )
        return [
            MeasureRow(
                ref=r.indicator.ref,
                period_key=r.period.key,
                value=r.value,
                note=r.note,
                author=r.author.slack_id if r.author else None,
                on_behalf_of=r.on_behalf_of.slack_id if r.on_behalf_of else None,
                source=r.source,
            )
            for r in rows
        ]


def measure_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(m.Measure)) or 0)


def recorded(bot: Bot, user: str, text: str) -> str:
    """Send `/update text`; the private reply's text."""
    response = bot.command(user, "/update", text)
    assert (response.status_code, response.text) == (200, "")
    [reply] = bot.replies_to(response)
    assert reply["response_type"] == "ephemeral"
    return all_text(reply)


def refused(bot: Bot, user: str, text: str) -> str:
    """Send `/update text`; the private reply's text, after checking nothing was recorded."""
    measures, updates = measure_count(bot.db), update_count(bot.db)
    said = recorded(bot, user, text)
    assert (measure_count(bot.db), update_count(bot.db)) == (measures, updates)
    assert bot.fake.calls_to("chat.postMessage") == []
    assert bot.fake.calls_to("views.open") == []
    assert ":no_entry:" in said
    return said


def test_owner_records_an_actual_and_sees_target_rag_and_both_trends(bot: Bot) -> None:
    said = recorded(bot, KWAME, "PI-7 84.3 On profile after the October recovery run")

    assert "Recorded PI-7 for Q3 2019/20 (October–December 2019)" in said
    assert "Council tax collected in year" in said
    assert "*Actual*\n84.3%" in said
    assert "*Target*\n84.0%" in said
    assert "*RAG*\n:large_green_circle: On target" in said
    assert "*Against last quarter*\n:arrow_up: Improved (56.0% in Q2 2019/20)" in said
    assert "*Against a year before*\n:arrow_up: Improved (83.5% in Q3 2018/19)" in said
    assert ">On profile after the October recovery run" in said
    [latest] = [row for row in measures_of(bot.db, "PI-7") if row.period_key == Q3]
    assert latest == MeasureRow(
        "PI-7",
        Q3,
        Decimal("84.3"),
        "On profile after the October recovery run",
        KWAME,
        None,
        "command",
    )


@pytest.mark.parametrize(
    ("user", "text", "ref", "value", "shown", "rag", "short", "long"),
    [
        (KWAME, "PI-7 82.5%", "PI-7", "82.5", "82.5%", "Within tolerance", "Improved", "Worse"),
        (KWAME, "pi7 81 %", "PI-7", "81", "81.0%", "Off target", "Improved", "Worse"),
        (
            MARK,
            "PI-6 £1.25m",
            "PI-6",
            "1250",
            "£1,250k",
            "Within tolerance",
            "Improved",
            "Improved",
        ),
        (MARK, "PI-6 £1,310", "PI-6", "1310", "£1,310k", "Within tolerance", "Same", "Improved"),
        (GARY, "PI-2 12.5 days", "PI-2", "12.5", "12.5 days", "On target", "Improved", "Improved"),
        (
            SINEAD,
            "PI 3 2.6days Flu season",
            "PI-3",
            "2.6",
            "2.6 days",
            "Off target",
            "Worse",
            "Same",
        ),
    ],
)
def test_values_are_read_in_the_indicators_unit_and_judged_by_its_polarity(
    bot: Bot,
    user: str,
    text: str,
    ref: str,
    value: str,
    shown: str,
    rag: str,
    short: str,
    long: str,
) -> None:
    said = recorded(bot, user, text)

    assert f"*Actual*\n{shown}" in said
    assert "*RAG*\n" in said and rag in said
    assert "*Against last quarter*\n" in said
    assert (
        said.split("*Against last quarter*\n")[1].split("\n")[0].split(" ", 1)[1].startswith(short)
    )
    assert (
        said.split("*Against a year before*\n")[1].split("\n")[0].split(" ", 1)[1].startswith(long)
    )
    assert measures_of(bot.db, ref)[-1].value == Decimal(value)
    assert measures_of(bot.db, ref)[-1].period_key == Q3


def test_a_director_and_the_programme_office_record_for_the_owner(bot: Bot) -> None:
    by_director = recorded(bot, RACHEL, "PI-7 84.1 Figures from the revenues system")
    by_admin = recorded(bot, PRIYA, "PI-7 84.2 Corrected after the December reconciliation")

    assert "By Rachel Green for Kwame Mensah" in by_director
    assert "By Priya Shah for Kwame Mensah" in by_admin
    first, second = measures_of(bot.db, "PI-7")[-2:]
    assert (first.value, first.author, first.on_behalf_of) == (Decimal("84.1"), RACHEL, KWAME)
    assert (second.value, second.author, second.on_behalf_of) == (Decimal("84.2"), PRIYA, KWAME)


def test_someone_elses_indicator_is_refused_naming_the_owner(bot: Bot) -> None:
    said = refused(bot, TOM, "PI-7 84.3")

    assert "PI-7 belongs to Kwame Mensah (Finance)" in said
    assert "Ask Kwame Mensah to update it" in said


@pytest.mark.parametrize(
    ("user", "text", "why", "next_step"),
    [
        (KWAME, "PI-7 ninety", "it takes a number, not 'ninety'", "`/update PI-7 96.4"),
        (KWAME, "PI-7 green On track", "PI-7 is an indicator", "`/update PI-7 96.4"),
        (KWAME, "PI-7 12.5 days", "'12.5 days' does not fit", "Write the value like 96.4"),
        (KWAME, "PI-7 £1,250", "'£1,250' does not fit", "Write the value like 96.4"),
        (MARK, "PI-6 96.4%", "'96.4%' does not fit", "£1.2m"),
        (GARY, "PI-2 £5", "'£5' does not fit", "12.5 days"),
        (KWAME, "PI-7 n/a", "Say why there is no figure for PI-7", "`/update PI-7 n/a"),
        (SINEAD, "ACT-12 96.4 Appraisals", "ACT-12 is an action: it takes a status", "green"),
        (KWAME, "PI-77 84.3", "There is no indicator 'PI-77'", "Did you mean PI-7"),
    ],
)
def test_a_value_that_does_not_fit_records_nothing_and_says_what_to_do(
    bot: Bot, user: str, text: str, why: str, next_step: str
) -> None:
    said = refused(bot, user, text)

    assert why in said
    assert next_step in said
    assert "Nothing was recorded" in said or "There is no indicator" in said


def test_not_available_with_a_reason_is_recorded_as_no_data(bot: Bot) -> None:
    said = recorded(bot, KWAME, "PI-7 n/a Revenues system migration; figures due in January")

    assert "*Actual*\nn/a (no figure)" in said
    assert ":white_circle: No data" in said
    latest = measures_of(bot.db, "PI-7")[-1]
    assert (latest.value, latest.note) == (
        None,
        "Revenues system migration; figures due in January",
    )


def test_the_same_command_delivered_twice_records_one_measure(bot: Bot) -> None:
    before = measure_count(bot.db)

    said = bot.command_twice(KWAME, "/update", "PI-7 84.3")

    assert "Recorded PI-7" in said
    bot.wait_idle()
    assert measure_count(bot.db) == before + 1
    assert len(bot.fake.calls_to("response_url")) == 1


def test_an_indicator_ref_alone_says_to_give_the_value_in_one_line(bot: Bot) -> None:
    said = refused(bot, KWAME, "PI-7")

    assert "PI-7 is an indicator (Council tax collected in year): it takes a number" in said
    assert "`/update PI-7 96.4" in said
