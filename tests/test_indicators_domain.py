"""Indicator rules with no I/O: RAG at and around the tolerance line, trends, values as typed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.domain.indicators import (
    Polarity,
    Rag,
    Trend,
    Unit,
    format_value,
    looks_like_value,
    parse_polarity,
    parse_unit,
    rag,
    read_value,
    trend,
)
from bot.errors import InvalidInput

D = Decimal
HIGHER, LOWER = Polarity.HIGHER, Polarity.LOWER


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("100.1", Rag.GREEN),  # better than target
        ("100", Rag.GREEN),  # at target
        ("99.9", Rag.AMBER),  # just short
        ("90.01", Rag.AMBER),  # inside the tolerance
        ("90", Rag.AMBER),  # exactly at the tolerance line: still amber
        ("89.99", Rag.RED),  # just beyond it
        ("0", Rag.RED),
    ],
)
def test_higher_is_better_rag_at_target_and_either_side_of_the_tolerance(
    actual: str, expected: Rag
) -> None:
    assert rag(D(actual), D(100), HIGHER, D(10)) is expected


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("9.9", Rag.GREEN),  # fewer days than target is better
        ("10", Rag.GREEN),  # at target
        ("10.01", Rag.AMBER),
        ("11", Rag.AMBER),  # exactly at the tolerance line (10 + 10% of 10)
        ("11.01", Rag.RED),
    ],
)
def test_lower_is_better_rag_is_the_mirror(actual: str, expected: Rag) -> None:
    assert rag(D(actual), D(10), LOWER, D(10)) is expected


def test_tolerance_is_a_share_of_the_targets_size_and_defaults_to_ten_per_cent() -> None:
    # 96.4 × 10% = 9.64: the line is 86.76 exactly (no float rounding pushes it to red).
    assert rag(D("86.76"), D("96.4"), HIGHER) is Rag.AMBER
    assert rag(D("86.75"), D("96.4"), HIGHER) is Rag.RED
    # A negative target (a budget variance): the band is 10% of |−200| = 20.
    assert rag(D(-220), D(-200), HIGHER) is Rag.AMBER
    assert rag(D(-221), D(-200), HIGHER) is Rag.RED
    assert rag(D(-180), D(-200), LOWER) is Rag.AMBER
    assert rag(D(-179), D(-200), LOWER) is Rag.RED
    # A wider tolerance of the indicator's own.
    assert rag(D(75), D(100), HIGHER, D(25)) is Rag.AMBER


def test_a_zero_target_has_no_amber_band() -> None:
    assert rag(D(0), D(0), LOWER) is Rag.GREEN
    assert rag(D("0.01"), D(0), LOWER) is Rag.RED
    assert rag(D(0), D(0), HIGHER) is Rag.GREEN
    assert rag(D("-0.01"), D(0), HIGHER) is Rag.RED


def test_no_actual_or_no_target_is_no_data() -> None:
    assert rag(None, D(95), HIGHER) is Rag.NO_DATA
    assert rag(None, D(10), LOWER) is Rag.NO_DATA
    assert rag(D(95), None, HIGHER) is Rag.NO_DATA


@pytest.mark.parametrize(
    ("current", "earlier", "polarity", "expected"),
    [
        ("96.4", "95.1", HIGHER, Trend.IMPROVED),
        ("94", "95.1", HIGHER, Trend.WORSE),
        ("95.1", "95.10", HIGHER, Trend.SAME),
        ("8.2", "9.5", LOWER, Trend.IMPROVED),
        ("9.6", "9.5", LOWER, Trend.WORSE),
        ("9.5", "9.5", LOWER, Trend.SAME),
    ],
)
def test_trends_by_polarity(
    current: str, earlier: str, polarity: Polarity, expected: Trend
) -> None:
    assert trend(D(current), D(earlier), polarity) is expected


def test_a_trend_with_a_missing_side_is_none() -> None:
    assert trend(D(96), None, HIGHER) is Trend.NONE  # no actual a year before
    assert trend(None, D(96), LOWER) is Trend.NONE  # no actual now


@pytest.mark.parametrize(
    ("typed", "unit", "value"),
    [
        ("96.4", Unit.PERCENT, "96.4"),
        ("96.4%", Unit.PERCENT, "96.4"),
        ("96.40 %", Unit.PERCENT, "96.4"),
        ("£1,250", Unit.POUNDS, "1250"),
        ("£1.2m", Unit.POUNDS, "1200000"),
        ("1250", Unit.THOUSANDS, "1250"),
        ("£1.2m", Unit.THOUSANDS, "1200"),
        ("£850k", Unit.THOUSANDS, "850"),
        ("£1.2m", Unit.MILLIONS, "1.2"),
        ("12.5 days", Unit.DAYS, "12.5"),
        ("12.5", Unit.DAYS, "12.5"),
        ("1,250", Unit.NUMBER, "1250"),
        ("-3", Unit.NUMBER, "-3"),
        ("1.5", Unit.RATIO, "1.5"),
    ],
)
def test_values_are_read_as_people_write_them(typed: str, unit: Unit, value: str) -> None:
    assert read_value(typed, unit) == D(value)
    assert str(read_value(typed, unit)) == value


@pytest.mark.parametrize(
    ("typed", "unit", "reason"),
    [
        ("ninety", Unit.PERCENT, "is not a number"),
        ("12.5 days", Unit.PERCENT, "does not fit"),
        ("£1,250", Unit.PERCENT, "does not fit"),
        ("96.4%", Unit.DAYS, "does not fit"),
        ("96.4%", Unit.POUNDS, "does not fit"),
        ("£5", Unit.NUMBER, "does not fit"),
        ("5k", Unit.DAYS, "does not fit"),
        ("1" * 30, Unit.NUMBER, "too long"),
    ],
)
def test_a_value_that_is_not_a_number_or_does_not_fit_is_refused(
    typed: str, unit: Unit, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason) as refused:
        read_value(typed, unit)
    assert refused.value.hint is not None and "Write the value like" in refused.value.hint


def test_what_looks_like_a_value() -> None:
    assert all(looks_like_value(t) for t in ("96.4", "£1,250", "12.5days", "n/a", "-3", ".5%"))
    assert not any(looks_like_value(t) for t in ("green", "ACT-12", "on", "1.2.3", ""))


def test_values_are_shown_in_their_unit() -> None:
    assert format_value(D("96.4"), Unit.PERCENT) == "96.4%"
    assert format_value(D(96), Unit.PERCENT, 1) == "96.0%"
    assert format_value(D(1250), Unit.POUNDS) == "£1,250"
    assert format_value(D(1250), Unit.THOUSANDS) == "£1,250k"
    assert format_value(D("1.2"), Unit.MILLIONS) == "£1.2m"
    assert format_value(D("12.5"), Unit.DAYS) == "12.5 days"
    assert format_value(D(1), Unit.DAYS) == "1 day"
    assert format_value(D(-3), Unit.NUMBER) == "-3"
    assert format_value(None, Unit.PERCENT) == "no data"


def test_units_and_polarities_are_read_or_refused() -> None:
    assert parse_unit(" £K ") is Unit.THOUSANDS
    assert parse_unit("Days") is Unit.DAYS
    assert parse_polarity("Lower") is LOWER
    with pytest.raises(InvalidInput, match="not a unit"):
        parse_unit("furlongs")
    with pytest.raises(InvalidInput, match="not a polarity"):
        parse_polarity("up")
