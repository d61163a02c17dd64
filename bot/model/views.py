"""What people see of the plan in Slack, as plain data: lists, history, the App Home, forms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.refs import plan_ref
from bot.domain.status import StatusScheme
from bot.model.signoff import AwaitingList
from bot.model.updates import UpdateDraft


@dataclass(frozen=True)
class PeriodInfo:
    """The period updates count for now, and its dates."""

    key: str
    label: str
    due_date: dt.date
    window_opens: dt.date
    meeting_date: dt.date | None
    locked: bool
    previous_key: str
    previous_label: str


@dataclass(frozen=True)
class ListedAction:
    """One action as a list shows it: this period's status (or that it is due) and the last."""

    ref: str
    title: str
    theme: str
    directorate: str
    owner_name: str
    owner_slack_id: str
    target_date: dt.date
    revised_target_date: dt.date | None
    closed: bool
    status: str | None  # this period's, None while it is outstanding
    note: str
    last_status: str | None  # the previous period's
    overdue_target: bool  # the target date has passed on an open action
    delegated: bool  # the viewer acts for the owner as their delegate
    owner_away: bool
    may_update: bool

    @property
    def effective_target(self) -> dt.date:
        return self.revised_target_date or self.target_date

    @property
    def outstanding(self) -> bool:
        return self.status is None


@dataclass(frozen=True)
class ActionsList:
    """The answer to `/actions` in one plan: a titled list for one person, directorate or the
    whole plan, with the plan's status scheme (its labels and emoji)."""

    title: str
    scope: str  # mine | person | directorate | all
    period: PeriodInfo
    actions: tuple[ListedAction, ...]
    viewer_role: str
    plan_key: str
    plan_name: str
    scheme: StatusScheme

    @property
    def updated(self) -> int:
        return sum(1 for a in self.actions if not a.outstanding)


@dataclass(frozen=True)
class ActionsByPlan:
    """The answer to `/actions`: one list for each plan it covers (one plan: as it always was),
    in plan key order."""

    lists: tuple[ActionsList, ...]


@dataclass(frozen=True)
class HistoryEntry:
    period_key: str
    period_label: str
    status: str
    note: str
    revised_target_date: dt.date | None
    author_name: str  # "import" for history loaded from a plan file
    on_behalf_of: str | None  # the owner's name when someone else wrote it
    recorded_at: dt.datetime  # plan-local
    source: str
    amendment_reason: str | None
    superseded: bool  # a later update in the same period counts instead


@dataclass(frozen=True)
class ActionHistory:
    ref: str
    title: str
    theme: str
    directorate: str
    owner_name: str
    target_date: dt.date
    revised_target_date: dt.date | None
    closed: bool
    entries: tuple[HistoryEntry, ...]  # newest first
    scheme: StatusScheme  # the plan's
    plan_name: str | None = None  # named when the person asking is in several plans


@dataclass(frozen=True)
class DirectorateProgress:
    name: str
    updated: int
    total: int
    outstanding: tuple[ListedAction, ...]


@dataclass(frozen=True)
class Home:
    """Everything one person's App Home shows of one plan, for their role in it, with the
    plan's status scheme (its labels and emoji)."""

    plan_key: str
    plan_name: str
    scheme: StatusScheme
    person_name: str
    slack_id: str
    role: str
    period: PeriodInfo
    mine: tuple[ListedAction, ...]  # owned, and those of owners they are delegate for
    away_from: dt.date | None
    away_to: dt.date | None
    delegate_name: str | None
    directorate: str | None
    team: tuple[ListedAction, ...]  # a director's directorate
    status_counts: dict[str, int]  # a director's directorate, an admin's whole plan
    updated: int
    total: int
    by_directorate: tuple[DirectorateProgress, ...]  # admins only


@dataclass(frozen=True)
class HomeTab:
    """One person's App Home: a part for each plan they are one of the people of, in plan key
    order (one plan: the Home as it always was)."""

    homes: tuple[Home, ...]
    # What this person may sign off now, in plans with sign-off (None: nothing, or no such plan).
    signoff: AwaitingList | None = None


@dataclass(frozen=True)
class ActionChoice:
    ref: str
    title: str
    owner_name: str
    own: bool
    # Set when the caller is in several plans: the menu names the plan, and its value too.
    plan_key: str = ""
    plan_name: str = ""

    @property
    def value(self) -> str:
        """What the menu's option carries: `ACT-12`, or `strategy:SP-1` with a plan named."""
        return plan_ref(self.plan_key or None, self.ref)


@dataclass(frozen=True)
class PlanPeriod:
    """The period updates count for in one of the caller's plans."""

    plan_name: str
    period: PeriodInfo


@dataclass(frozen=True)
class PickerForm:
    """The update form before an action is chosen: the actions the caller may update, in
    every plan of theirs. `period`: the first plan's; `plan_periods`: each plan's, when the
    caller has several. `scheme`: the statuses the form offers before an action is chosen,
    None when the caller's plans have different ones (the form asks once one is chosen)."""

    choices: tuple[ActionChoice, ...]
    period: PeriodInfo
    scheme: StatusScheme | None = None
    plan_periods: tuple[PlanPeriod, ...] = ()


@dataclass(frozen=True)
class PeriodChoice:
    key: str
    label: str
    locked: bool


@dataclass(frozen=True)
class UpdateForm:
    """The update form for one action: the draft, and for admins the periods they may pick."""

    draft: UpdateDraft
    periods: tuple[PeriodChoice, ...]


@dataclass(frozen=True)
class Absence:
    name: str
    away_from: dt.date | None
    away_to: dt.date | None
    delegate_name: str | None
    director_names: tuple[str, ...]
