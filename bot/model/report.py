"""The committee report as plain data: compiled once by the digest service, read by every format."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.errors import InvalidInput
from bot.model.heading import PlanPeriod
from bot.model.indicators import IndicatorLine

NO_UPDATE = "no_update"  # the pseudo-status of an open action with no update this period
NO_UPDATE_LABEL = "No update received"
NO_UPDATE_COLOUR = "FFFFFF"


class ReportAudience(StrEnum):
    """Who the report is for: drafts name the people who have not replied; committee ones not."""

    DRAFT = "draft"
    COMMITTEE = "committee"


class ScopeKind(StrEnum):
    ALL = "all"
    THEME = "theme"
    DIRECTORATE = "directorate"


class Flag(StrEnum):
    """What the report calls out about an action."""

    NO_UPDATE = "no_update"
    GREEN_BUT_OVERDUE = "green_but_overdue"
    SLIPPED = "slipped"
    COMPLETED_THIS_PERIOD = "completed_this_period"
    CARRIED_FORWARD = "carried_forward"
    NEW = "new"
    AMENDED = "amended"


@dataclass(frozen=True)
class Scope:
    """The whole plan, one theme or one directorate."""

    kind: ScopeKind = ScopeKind.ALL
    name: str = ""

    @property
    def key(self) -> str:
        return "all" if self.kind is ScopeKind.ALL else f"{self.kind}:{self.name}"

    @property
    def label(self) -> str:
        if self.kind is ScopeKind.ALL:
            return "Whole plan"
        return f"{self.kind.value.capitalize()}: {self.name}"


ALL = Scope()


def parse_scope(text: str | None) -> Scope:
    """Read `all`, `theme:<name>` or `directorate:<name>` (names are matched when compiling)."""
    cleaned = " ".join((text or "").split())
    if not cleaned or cleaned.lower() in {"all", "plan", "whole", "whole plan"}:
        return ALL
    kind_text, sep, name = cleaned.partition(":")
    kind_text = kind_text.strip().lower()
    kinds = {"theme": ScopeKind.THEME, "directorate": ScopeKind.DIRECTORATE}
    kind = kinds.get(kind_text)
    if not sep or kind is None or not name.strip():
        raise InvalidInput(
            f"'{cleaned}' is not a scope.",
            hint="Use all, theme:<name> or directorate:<name>.",
        )
    return Scope(kind, name.strip())


@dataclass(frozen=True)
class StatusInfo:
    """A status as the renderers show it (the scheme's statuses, then `no_update`)."""

    key: str
    label: str
    colour: str  # hex RGB without '#'
    emoji: str
    needs_note: bool = False
    rank: int | None = None  # higher is better; None: no order


@dataclass(frozen=True)
class Amendment:
    """A change made by an admin after the period was published."""

    reason: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class ReportLine:
    """One action as the report shows it for the period."""

    ref: str
    title: str
    theme: str
    directorate: str
    owner: str
    target_date: dt.date
    revised_target_date: dt.date | None
    status: str | None  # None: no update received this period
    status_period: str | None  # where `status` was reported (an earlier one when carried forward)
    previous_status: str | None
    previous_status_period: str | None
    direction: str | None
    note: str
    updated_by: str | None
    updated_at: dt.datetime | None
    on_behalf_of: str | None
    source: str | None
    amendment: Amendment | None
    flags: tuple[str, ...]

    @property
    def status_key(self) -> str:
        """The status, or `no_update`."""
        return self.status or NO_UPDATE

    @property
    def effective_target(self) -> dt.date:
        return self.revised_target_date or self.target_date

    def has(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class GroupCounts:
    """Counts by status (with `no_update`) for a theme or directorate, now and last period."""

    name: str
    counts: dict[str, int]
    previous_counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class TrendPoint:
    period_key: str
    label: str  # short: "Q3 2019/20"
    counts: dict[str, int]


@dataclass(frozen=True)
class MissingGroup:
    """Actions with no update: by owner in drafts, by directorate only in committee versions."""

    directorate: str
    owner: str | None
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Digest(PlanPeriod):
    """The committee report for one period and scope: every format is rendered from this."""

    previous_period_key: str
    previous_period_label: str
    committee: str
    meeting_date: dt.date | None
    update_deadline: dt.date
    publication_deadline: dt.date | None
    as_of: dt.date  # targets before this date count as passed ("green but overdue")
    published_at: dt.datetime | None
    published_by: str | None
    scope: Scope
    audience: ReportAudience
    generated_at: dt.datetime
    statuses: tuple[StatusInfo, ...]
    counts: dict[str, int]
    previous_counts: dict[str, int]
    by_theme: tuple[GroupCounts, ...]
    by_directorate: tuple[GroupCounts, ...]
    actions: tuple[ReportLine, ...]
    trend: tuple[TrendPoint, ...]
    missing: tuple[MissingGroup, ...]
    # The plan's indicators in scope, for the period (not yet shown by every format).
    indicators: tuple[IndicatorLine, ...] = ()
    # The plan's best status of an open action (green by default): past its target date it
    # is "green but overdue". None when the plan's scheme has no such status.
    on_track: str | None = None

    @property
    def title(self) -> str:
        return f"{self.plan_name}: progress report, {self.period_label}"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None

    @property
    def total(self) -> int:
        return len(self.actions)

    @property
    def status_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.statuses)

    def status(self, key: str) -> StatusInfo:
        for info in self.statuses:
            if info.key == key:
                return info
        raise KeyError(key)

    def label(self, key: str | None) -> str:
        return self.status(key or NO_UPDATE).label

    @property
    def exception_statuses(self) -> tuple[StatusInfo, ...]:
        """The statuses that need a narrative (off track, at risk by default), the worst
        first: the report's exceptions are the actions in them."""
        return tuple(sorted((s for s in self.statuses if s.needs_note), key=lambda s: s.rank or 0))

    @property
    def exceptions(self) -> tuple[ReportLine, ...]:
        """Actions whose status needs a narrative (red, amber), the worst first."""
        rank = {s.key: s.rank or 0 for s in self.exception_statuses}
        chosen = [a for a in self.actions if a.status in rank]
        return tuple(sorted(chosen, key=lambda a: rank[a.status_key]))

    @property
    def on_track_label(self) -> str:
        """How the plan names its on-track status (`On track`)."""
        return self.label(self.on_track) if self.on_track else "On track"

    def flagged(self, flag: str) -> tuple[ReportLine, ...]:
        return tuple(a for a in self.actions if a.has(flag))

    @property
    def completed_this_period(self) -> tuple[ReportLine, ...]:
        return self.flagged(Flag.COMPLETED_THIS_PERIOD)

    @property
    def no_update(self) -> tuple[ReportLine, ...]:
        return self.flagged(Flag.NO_UPDATE)

    @property
    def amended(self) -> tuple[ReportLine, ...]:
        return self.flagged(Flag.AMENDED)
