"""Sign-off as plain data: what awaits a director's decision, and what a decision did."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SignOffState(StrEnum):
    """Where an action's update for a period stands, in a plan whose sign-off is on."""

    APPROVED = "approved"
    AWAITING = "awaiting sign-off"
    RETURNED = "returned"


APPROVED, RETURNED = "approved", "returned"  # the decisions stored in `signoffs`


@dataclass(frozen=True)
class AwaitingItem:
    """One update awaiting someone's sign-off."""

    update_id: int
    plan_key: str
    plan_name: str
    period_key: str
    ref: str
    title: str
    directorate: str
    owner_name: str
    status_label: str
    status_emoji: str
    note: str
    author_name: str


@dataclass(frozen=True)
class AwaitingList:
    """Everything a director (or their delegate, or an admin) has to sign off, by plan."""

    items: tuple[AwaitingItem, ...]
    acting_for: tuple[str, ...] = ()  # names of the away directors a delegate stands in for


@dataclass(frozen=True)
class Decision:
    """What an approval or a return did (`already`: a repeat that changed nothing)."""

    update_id: int
    decision: str  # approved | returned
    plan_key: str
    ref: str
    title: str
    period_key: str
    status_label: str
    comment: str
    by_name: str
    owner_slack_id: str
    owner_name: str
    already: bool = False
