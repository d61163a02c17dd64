"""A plan as it stands in a spreadsheet: plain rows, read and written by bot.planio."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain.indicators import DEFAULT_TOLERANCE
from bot.domain.status import StatusDef


@dataclass(frozen=True)
class PersonRow:
    slack_id: str
    name: str
    email: str
    role: str  # owner | director | admin
    directorate: str
    delegate: str = ""  # Slack ID of the delegate, if any
    away_from: dt.date | None = None
    away_to: dt.date | None = None
    active: bool = True


@dataclass(frozen=True)
class ActionRow:
    ref: str  # normalised, e.g. "ACT-12"
    title: str
    theme: str
    directorate: str
    owner: str  # Slack ID (an e-mail in the file is resolved to the Slack ID)
    target_date: dt.date
    revised_target_date: dt.date | None = None
    closed: bool = False


@dataclass(frozen=True)
class MeetingRow:
    period: str  # period key, e.g. "2019-20-Q3"
    meeting_date: dt.date
    committee: str = ""


@dataclass(frozen=True)
class HistoryRow:
    """The status reported for one action in one period (the latest update of that period)."""

    ref: str
    period: str
    status: str  # a status key of the scheme
    note: str = ""


@dataclass(frozen=True)
class IndicatorRow:
    """A performance indicator as the indicators sheet defines it."""

    ref: str  # normalised, e.g. "PI-7"
    title: str
    theme: str
    directorate: str
    owner: str  # Slack ID
    unit: str  # a bot.domain.indicators.Unit value
    polarity: str  # higher | lower
    tolerance: Decimal = DEFAULT_TOLERANCE  # per cent of the target
    decimals: int = 0  # the most decimal places its values are written with


@dataclass(frozen=True)
class IndicatorValueRow:
    """One indicator's target, actual and note for one period (the latest actual counts).

    `actual` None with `not_available` False: no data yet; with it True: `n/a`."""

    ref: str
    period: str
    target: Decimal | None = None
    actual: Decimal | None = None
    not_available: bool = False
    note: str = ""


@dataclass(frozen=True)
class SignOffRow:
    """A director's decision on the update that counts for one action in one period."""

    ref: str
    period: str
    decision: str  # approved | returned
    by: str  # Slack ID
    on: dt.date
    comment: str = ""


@dataclass(frozen=True)
class PlanFile:
    """Everything a plan file holds, validated."""

    key: str
    name: str
    people: list[PersonRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    meetings: list[MeetingRow] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    indicator_values: list[IndicatorValueRow] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)  # key → checked text (settings sheet)
    statuses: list[StatusDef] = field(default_factory=list)  # empty: the default scheme
    signoffs: list[SignOffRow] = field(default_factory=list)  # the sign-off record


@dataclass(frozen=True)
class CellError:
    """One problem in a plan file, located as a spreadsheet shows it (header = row 1)."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"
