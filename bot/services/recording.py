"""What recording an action's update and an indicator's measure share: the note's limit, and
one record per idempotency key however often a command or form is delivered."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import InvalidInput
from bot.model.updates import MAX_NOTE_CHARS
from bot.services.context import RequestContext

Recorded = TypeVar("Recorded")


def checked_note(note: str) -> str:
    """`note` stripped; refused, recording nothing, when it is over the limit."""
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(
            f"Your note is {len(note):,} characters long; the limit is {MAX_NOTE_CHARS:,}. "
            "Nothing was recorded.",
            hint="Shorten it (a summary for the committee) and send it again.",
        )
    return note


def record_once(
    ctx: RequestContext,
    idempotency_key: str | None,
    *,
    already_recorded: Callable[[Session, str], Recorded | None],
    record: Callable[[Session], Recorded],
) -> Recorded:
    """`record` in one transaction, unless `idempotency_key` was recorded already: then what
    `already_recorded` finds for it, also when a race for the key was lost."""
    try:
        with ctx.db.session() as session:
            if idempotency_key and (done := already_recorded(session, idempotency_key)):
                return done
            return record(session)
    except IntegrityError:
        # The same command or submission raced in from another worker or replica and won.
        if idempotency_key:
            with ctx.db.session() as session:
                if done := already_recorded(session, idempotency_key):
                    return done
        raise
