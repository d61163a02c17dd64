"""Contexts for calling services in tests, as `Runtime.request` builds them in planbot."""

from __future__ import annotations

import datetime as dt

from bot.domain.calendar import Cycle
from bot.services.context import RequestContext
from storage.db import Database


def ctx(
    db: Database,
    now: dt.datetime,
    actor: str = "",
    *,
    plan_key: str | None = None,
    cycle: Cycle | None = None,
) -> RequestContext:
    """`actor` asking at `now`, in the only plan of `db` (or `plan_key`), on England's calendar
    unless `cycle` says otherwise."""
    return RequestContext(db, cycle or Cycle(), now, plan_key=plan_key, actor=actor)
