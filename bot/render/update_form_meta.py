"""What the update form carries in `private_metadata`: the action, its plan and that plan's
statuses, so a submission is checked before its ack without the database and recorded in
the plan the form was for."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from bot.domain.status import StatusDef, StatusScheme
from bot.render.blockkit import MAX_PRIVATE_METADATA

# A status as the form carries it to check a submission: key, label, rank, needs a note,
# completes the action.
FormStatus = tuple[str, str, int | None, bool, bool]


def form_statuses(scheme: StatusScheme) -> tuple[FormStatus, ...]:
    return tuple((s.key, s.label, s.rank, s.needs_note, s.closes) for s in scheme.statuses)


def _read_statuses(value: object) -> tuple[FormStatus, ...] | None:
    """The statuses as the form carried them back, or None for anything else."""
    if not isinstance(value, list) or not value:
        return None
    statuses: list[FormStatus] = []
    for item in value:
        if not isinstance(item, list) or len(item) != 5:
            return None
        key, label, rank, needs_note, closes = item
        if not (isinstance(key, str) and key and isinstance(label, str)):
            return None
        if not (rank is None or type(rank) is int) or not (
            type(needs_note) is bool and type(closes) is bool
        ):
            return None
        statuses.append((key, label, rank, needs_note, closes))
    return tuple(statuses)


@dataclass(frozen=True)
class UpdateFormMeta:
    """What the update form carries in `private_metadata` to check a submission before ack:
    the action, its plan and that plan's statuses among it."""

    ref: str | None = None
    period: str | None = None
    last_status: str | None = None
    target: str | None = None  # ISO date of the action's current target
    locked: bool = False
    admin: bool = False
    tag: str = ""  # suffix of this rendering's block ids
    plan: str | None = None  # the plan's key
    statuses: tuple[FormStatus, ...] = ()  # the plan's (or the picker's) statuses

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in (None, False, "", ())}
        text = json.dumps(data, separators=(",", ":"))
        if len(text) > MAX_PRIVATE_METADATA:  # a scheme of long labels: checked after the ack
            text = json.dumps({**data, "statuses": []}, separators=(",", ":"))
        return text[:MAX_PRIVATE_METADATA]

    @property
    def scheme(self) -> StatusScheme | None:
        """The statuses the form offered, to check a submission with (None: not carried)."""
        if not self.statuses:
            return None
        return StatusScheme(
            tuple(
                StatusDef(key, label, "BFBFBF", "", rank, needs_note=needs_note, closes=closes)
                for key, label, rank, needs_note, closes in self.statuses
            )
        )

    @classmethod
    def from_json(cls, text: str | None) -> UpdateFormMeta:
        """The metadata, or an empty one for anything unreadable (it came over the wire)."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        known: dict[str, type] = {
            "ref": str,
            "period": str,
            "last_status": str,
            "target": str,
            "locked": bool,
            "admin": bool,
            "tag": str,
            "plan": str,
        }
        kept: dict[str, Any] = {
            k: v for k, v in data.items() if k in known and isinstance(v, known[k])
        }
        statuses = _read_statuses(data.get("statuses"))
        if statuses is not None:
            kept["statuses"] = statuses
        return cls(**kept)

    @property
    def target_date(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.target) if self.target else None
        except ValueError:
            return None
