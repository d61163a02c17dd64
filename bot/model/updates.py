"""Updates as plain data: the form's draft, and what was recorded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

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
    duplicate: bool = False
    owner_slack_id: str = ""
    author_slack_id: str = ""
    notified: tuple[str, ...] = field(default=())
