"""Reminders as plain data: who is owed which message, and the calendar shown to the office.

A `Reminder` is one plan's share of a message: what one person is owed by one plan at one
step, and the unit that is claimed (its `deliveries` row). A `ReminderDM` is the message they
get: every plan's share of the same step (or of the same day's summary), grouped by plan, so
a person in several plans gets one DM per step, never one per plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from bot.domain.calendar import Step
from bot.domain.indicators import Unit
from bot.model.heading import PlanPeriod


class ReminderAudience(StrEnum):
    """Who a reminder message is written for."""

    OWNER = "owner"  # the ladder DM, to the owner or whoever stands in for them
    DIRECTOR = "director"  # the escalation DM: the directorate's outstanding actions
    ADMIN = "admin"  # the programme office's "still outstanding" summary


@dataclass(frozen=True)
class OutstandingAction:
    """An open action with no update yet for the period, as a reminder shows it."""

    ref: str
    title: str
    directorate: str
    owner_name: str
    owner_slack_id: str
    target_date: dt.date
    last_status: str | None
    last_note: str
    last_period_key: str | None
    # Whether "No change since last quarter" can record last quarter's status as it is:
    # a status that needs no new reason, on an action whose target date has not passed.
    no_change_ok: bool
    # The last status in the plan's own words: its label and emoji in the plan's scheme.
    last_label: str = ""
    last_emoji: str = ""


@dataclass(frozen=True)
class OutstandingIndicator:
    """An indicator with no actual yet for the period, as a reminder lists it."""

    ref: str
    title: str
    directorate: str
    owner_name: str
    owner_slack_id: str
    unit: Unit
    decimals: int
    target: Decimal | None  # this period's
    last_actual: Decimal | None  # the latest reported before the period
    last_period_key: str | None


@dataclass(frozen=True)
class Recipient:
    slack_id: str
    name: str


@dataclass(frozen=True)
class Reminder:
    """One message owed to one person for one period: the unit that is claimed and sent."""

    plan_id: int
    plan_key: str
    plan_name: str
    period_key: str
    period_label: str
    kind: str  # the claim's kind: a ladder step, "escalation", "summary:<date>"...
    step: Step
    audience: ReminderAudience
    recipient: Recipient
    day: dt.date  # the plan-local day it is (or would be) sent
    update_deadline: dt.date
    actions: tuple[OutstandingAction, ...]
    # The status an update most often gives in the plan's scheme (its on-track status, `green`
    # by default), for the "/update ACT-n green" hint.
    status_word: str
    # Why the recipient gets someone else's actions ("Tom Ellis is away until 31 Jan 2020").
    notes: tuple[str, ...] = ()
    open_actions: int = 0  # open actions in the plan, for "12 of 20 outstanding"
    escalated: bool = False  # an admin summary sent with the directors' escalation
    # Indicators with no actual for the period, listed beside the actions in the same DM.
    indicators: tuple[OutstandingIndicator, ...] = ()

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(a.ref for a in self.actions)

    @property
    def indicator_refs(self) -> tuple[str, ...]:
        return tuple(i.ref for i in self.indicators)


@dataclass(frozen=True)
class ReminderDM:
    """One message to one person: each plan's share of one step (or of one day's summary),
    grouped by plan in plan order. Each share is claimed on its own row, all at once, so the
    message is sent once however many plans it covers."""

    recipient: Recipient
    audience: ReminderAudience
    kind: str  # the shares' claim kind: the step's, or the summary's
    parts: tuple[Reminder, ...]

    @property
    def step(self) -> Step:
        """The ladder step (the latest of the shares', for a summary of several plans)."""
        return max((part.step for part in self.parts), key=lambda step: step.rank)

    @property
    def several(self) -> bool:
        return len(self.parts) > 1

    def only(self, kept: Sequence[int]) -> ReminderDM:
        """The same message with only the shares at `kept` (those this process claimed)."""
        return replace(self, parts=tuple(self.parts[i] for i in kept))


@dataclass(frozen=True)
class Unreachable:
    """A person the bot could not message, to be reported to an admin once per period."""

    plan_id: int
    plan_key: str
    plan_name: str
    period_key: str
    slack_id: str
    name: str
    error: str
    admin: Recipient


@dataclass(frozen=True)
class Unanswered:
    """A request planbot acknowledged and could not finish within 30 minutes (its process
    stopped, and no other took it up in time), to be reported to an admin once."""

    plan_id: int
    plan_key: str
    period_key: str
    item_id: int
    slack_id: str
    name: str
    what: str  # "/update ACT-12 green Contract signed", or the kind of request
    received_at: dt.datetime
    admin: Recipient


@dataclass(frozen=True)
class PreviewStep:
    step: Step
    day: dt.date
    at: dt.datetime  # plan-local send time
    working_day: bool
    holiday: str | None
    messages: tuple[Reminder, ...]


@dataclass(frozen=True)
class ReminderPreview(PlanPeriod):
    """A period's reminder calendar and who would get what on each step."""

    meeting_date: dt.date | None
    publication_deadline: dt.date | None
    update_deadline: dt.date
    locked: bool
    timezone: str
    calendar: str
    outstanding: int
    open_actions: int
    admin_daily_summary: bool
    steps: tuple[PreviewStep, ...]
    # The bank holidays of the plan's calendar on weekdays from the window's opening to the
    # meeting: the days its working-day counts skip (St Andrew's Day, for a Scottish plan).
    holidays: tuple[tuple[dt.date, str], ...] = ()
