"""Statuses, periods and refs as people type them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.periods import Period, parse_period
from bot.domain.refs import normalise_ref, resolve_ref
from bot.domain.status import DEFAULT_SCHEME, Direction
from bot.errors import InvalidInput, NotFound

TODAY = dt.date(2020, 1, 10)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("green", "green"),
        ("g", "green"),
        ("On-Track", "green"),
        ("on track", "green"),
        ("A", "amber"),
        ("at-risk", "amber"),
        ("r", "red"),
        ("off-track", "red"),
        ("blue", "complete"),
        ("done", "complete"),
        ("Completed", "complete"),
        ("hold", "on_hold"),
        ("paused", "on_hold"),
        ("not-started", "not_started"),
        ("not_started", "not_started"),
    ],
)
def test_status_synonyms(typed: str, key: str) -> None:
    assert DEFAULT_SCHEME.parse(typed) == key


def test_unknown_status_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidInput) as raised:
        DEFAULT_SCHEME.parse("purple")
    assert "purple" in str(raised.value)
    for key in DEFAULT_SCHEME.keys:
        assert key in str(raised.value)


def test_direction_of_travel() -> None:
    direction = DEFAULT_SCHEME.direction
    assert direction("amber", "green") is Direction.IMPROVED
    assert direction("green", "complete") is Direction.IMPROVED
    assert direction("green", "amber") is Direction.WORSE
    assert direction("green", "green") is Direction.SAME
    assert direction(None, "green") is Direction.NEW
    assert direction("green", "on_hold") is None
    assert direction("on_hold", "on_hold") is Direction.SAME


def test_amber_and_red_need_a_note() -> None:
    assert DEFAULT_SCHEME.needs_note("amber") and DEFAULT_SCHEME.needs_note("red")
    assert not DEFAULT_SCHEME.needs_note("green")


@pytest.mark.parametrize("typed", ["2019-20-Q3", "2019/20 Q3", "Q3 2019/20", "q3 2019/2020", "Q3"])
def test_period_forms(typed: str) -> None:
    assert parse_period(typed, today=TODAY) == Period(2019, 3)


@pytest.mark.parametrize("typed", ["2019-21-Q3", "Q5", "2019/21 Q1", "last quarter", ""])
def test_unreadable_periods_are_refused_with_the_forms_to_use(typed: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_period(typed, today=TODAY)
    assert "2019-20-Q3" in str(raised.value)


def test_period_label() -> None:
    assert Period(2019, 3).label == "Q3 2019/20 (October–December 2019)"
    assert Period(2019, 4).label == "Q4 2019/20 (January–March 2020)"
    assert Period(1999, 4).key == "1999-00-Q4"


@pytest.mark.parametrize("typed", ["ACT-12", "act-12", "ACT12", "act 12", "12", " 12 ", "act_012"])
def test_ref_forms(typed: str) -> None:
    assert normalise_ref(typed) == "ACT-12"


def test_unknown_ref_suggests_the_closest() -> None:
    with pytest.raises(NotFound) as raised:
        resolve_ref("ACT-21", ["ACT-1", "ACT-2", "ACT-20", "ACT-12"])
    assert "ACT-21" in raised.value.message
    assert raised.value.hint is not None and "ACT-2" in raised.value.hint
    assert resolve_ref("12", ["ACT-12"]) == "ACT-12"
