"""Two quarters of updates to the strategy of tests/support/three_plans.py, recorded through
the services as /update records them, in the words people type: Sam's SP-1 goes from on track
(Q2) to a major delay (Q3, which needs a note); Omar's SP-2 from a major delay to `amber`, the
strategy's word for a minor delay."""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Any

from bot.model.updates import Source
from bot.services.updates import record_update
from storage.db import Database
from support.context import ctx
from support.three_plans import OMAR, SAM

IN_Q2_WINDOW = dt.datetime(2026, 10, 20, 10, 0, tzinfo=dt.UTC)  # Q2's updates still come in
IN_Q3_WINDOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.UTC)
AFTER_Q3_DEADLINE = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)  # Wed 25 Nov has passed


def record(
    db: Database, now: dt.datetime, actor: str, ref: str, status: str, **kwargs: Any
) -> None:
    """An update to the strategy, recorded as /update does, in the words the person types."""
    context = ctx(db, now, actor, plan_key="strategy")
    if "scheme" in inspect.signature(record_update).parameters:
        # Where the service is still told the scheme, it is the plan's own.
        with db.read_session() as session:
            kwargs["scheme"] = context.rules(context.plan(session)).scheme
    record_update(context, ref=ref, status=status, source=Source.COMMAND, **kwargs)


def strategy_quarters(db: Database) -> None:
    """Q2: SP-1 on track, SP-2 a major delay; Q3: SP-1 a major delay, SP-2 `amber`."""
    record(db, IN_Q2_WINDOW, SAM, "SP-1", "on track", note="Drafting with the finance leads")
    record(
        db,
        IN_Q2_WINDOW,
        OMAR,
        "SP-2",
        "major delay",
        note="The surveyor's contract fell through",
        revised_target_date=dt.date(2027, 5, 31),
    )
    record(
        db,
        IN_Q3_WINDOW,
        SAM,
        "SP-1",
        "major_delay",
        note="A £2m gap found; a recovery plan goes to Cabinet in January",
        revised_target_date=dt.date(2027, 6, 30),
    )
    record(db, IN_Q3_WINDOW, OMAR, "SP-2", "amber", note="New surveyor; two months behind")
