"""Callback, action and block IDs shared by the view builders and the handlers."""

from __future__ import annotations

from enum import StrEnum


class Command(StrEnum):
    UPDATE = "/update"
    ACTIONS = "/actions"
    DIGEST = "/digest"
    PLANBOT = "/planbot"


class CallbackId(StrEnum):
    UPDATE_MODAL = "update_modal"
    SIGNOFF_RETURN_MODAL = "signoff_return_modal"


class ActionId(StrEnum):
    OPEN_UPDATE = "open_update"  # button: value is the action ref
    NO_CHANGE = "no_change"  # button: value is the action ref; records last quarter's status
    OPEN_HOME = "open_home"  # button linking to the App Home
    PICK_ACTION = "pick_action"
    STATUS = "status"
    NOTE = "note"
    REVISED_DATE = "revised_target_date"
    PERIOD = "period"
    AMENDMENT_REASON = "amendment_reason"
    SIGNOFF_APPROVE = "signoff_approve"  # button: value is the update's id
    SIGNOFF_RETURN = "signoff_return"  # button: opens the Return form for the update's id
    SIGNOFF_APPROVE_ALL = "signoff_approve_all"  # button: value is the update ids, comma-separated
    SIGNOFF_COMMENT = "signoff_comment"


class BlockId(StrEnum):
    PICK_ACTION = "pick_action_block"
    STATUS = "status_block"
    NOTE = "note_block"
    REVISED_DATE = "revised_target_date_block"
    PERIOD = "period_block"
    AMENDMENT_REASON = "amendment_reason_block"
    SIGNOFF_ALL = "signoff_all_block"
    SIGNOFF_CHASE = "signoff_chase_block"
    SIGNOFF_COMMENT = "signoff_comment_block"
