"""Updates as plain data: the form's draft, and what was recorded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.refs import plan_ref
from bot.domain.status import DEFAULT_SCHEME, StatusScheme, StatusWords
from bot.errors import PlanbotError

MAX_NOTE_CHARS = 3000  # the most a Slack plain-text input holds; longer notes are refused


class Source(StrEnum):
    COMMAND = "command"
    MODAL = "modal"
    BUTTON = "button"
    IMPORT = "import"
    DEMO = "demo"


@dataclass(frozen=True)
class UpdateDraft:
    """What the update form shows: the action, the period, and the values to start from."""

    plan_key: str
    ref: str
    title: str
    owner_name: str
    directorate: str
    target_date: dt.date
    revised_target_date: dt.date | None
    period_key: str
    period_label: str
    due_date: dt.date
    locked: bool
    status: str | None
    note: str
    last_status: str | None
    last_period_key: str | None
    caller_is_admin: bool
    on_behalf: bool
    # The action's target as it stands before this update (revised or original).
    current_target: dt.date | None = None
    # The plan's own statuses (what the form offers and checks against).
    scheme: StatusScheme = DEFAULT_SCHEME
    plan_name: str = ""
    several_plans: bool = False  # the caller is in several plans: the form names this one

    @property
    def action_value(self) -> str:
        """What names this action in a button or menu: with its plan when the caller has
        several (`strategy:SP-1`), else the ref alone."""
        return plan_ref(self.plan_key if self.several_plans else None, self.ref)


class IncompleteUpdate(PlanbotError):
    """The update is missing something a person must add; nothing was recorded."""

    def __init__(self, errors: dict[str, str], draft: UpdateDraft) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors
        self.draft = draft


@dataclass(frozen=True)
class RecordedUpdate:
    """What was recorded, for the confirmation the person sees."""

    ref: str
    title: str
    period_key: str
    period_label: str
    status: str
    previous_status: str | None
    note: str
    revised_target_date: dt.date | None
    author_name: str
    owner_name: str
    on_behalf: bool
    amendment_reason: str | None
    closed_action: bool
    scheme: StatusScheme  # the plan's statuses, to show `status` and `previous_status`
    plan_key: str
    plan_name: str
    several_plans: bool = False  # the author is in several plans: the reply names this one
    duplicate: bool = False
    owner_slack_id: str = ""
    author_slack_id: str = ""
    notified: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class PlanStatuses:
    """One plan as `/update` may name it, with its statuses."""

    key: str
    name: str
    scheme: StatusScheme


@dataclass(frozen=True)
class UpdateVocabulary:
    """What `/update` reads for one person: the status words of their plans (every plan's, when
    they are in none) and the words that name a plan (every plan's key and name)."""

    plans: tuple[PlanStatuses, ...]  # the caller's plans, by key
    plan_words: dict[str, str] = field(default_factory=dict)  # key or name -> plan key

    @property
    def words(self) -> StatusWords:
        return StatusWords(tuple(plan.scheme for plan in self.plans))

    def plan_key(self, word: str) -> str:
        """The key of the plan `word` (one of `plan_words`) names."""
        return self.plan_words[word]

    def named(self, word: str) -> tuple[PlanStatuses, ...]:
        """The plans help should list: the one `word` names, else all of the caller's."""
        key = self.plan_words.get(word) if word else None
        chosen = tuple(plan for plan in self.plans if plan.key == key)
        return chosen or self.plans
