"""Indicators as plain data: a measure just recorded, and an indicator's line in the report."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain.indicators import Polarity, Rag, Trend, Unit


@dataclass(frozen=True)
class RecordedMeasure:
    """What was recorded for an indicator, with what the person sees of it: the target, the
    RAG and both trends."""

    ref: str
    title: str
    period_key: str
    period_label: str
    unit: Unit
    polarity: Polarity
    decimals: int
    value: Decimal | None  # None: not available (n/a)
    target: Decimal | None
    tolerance: Decimal
    status: Rag
    short_trend: Trend
    long_trend: Trend
    previous_value: Decimal | None  # the actual of the quarter before
    previous_label: str  # "Q2 2019/20"
    year_ago_value: Decimal | None  # the actual of the same quarter a year before
    year_ago_label: str
    note: str
    author_name: str
    owner_name: str
    on_behalf: bool
    duplicate: bool = False
    owner_slack_id: str = ""
    author_slack_id: str = ""


@dataclass(frozen=True)
class IndicatorPoint:
    """An indicator's target and actual in one quarter, for the report's chart."""

    period_key: str
    label: str  # short: "Q3 2019/20"
    target: Decimal | None
    actual: Decimal | None


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator as the report shows it for the period."""

    ref: str
    title: str
    theme: str
    directorate: str
    owner: str
    unit: Unit
    polarity: Polarity
    decimals: int
    target: Decimal | None
    actual: Decimal | None
    not_available: bool
    status: Rag
    short_trend: Trend
    long_trend: Trend
    note: str
    # The last quarters up to the period, oldest first (filled for the report's chart).
    history: tuple[IndicatorPoint, ...] = ()
