"""The scheduler: APScheduler 3 running the tick every few minutes in the plan's time zone.

The jobs only ask the services what is due; the database decides, so a restart, a missed
tick or a second replica changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import logging
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import Runtime
from jobs import reminders, signoff

log = logging.getLogger(__name__)

TICK_JOB_ID = "planbot-tick"


@functools.cache
def _digest_tick() -> Callable[[Runtime], Any] | None:
    """`jobs.digest.tick`, imported when it is there (it is written alongside this module)."""
    try:
        module = importlib.import_module("jobs.digest")
    except ModuleNotFoundError as exc:
        if exc.name != "jobs.digest":
            raise
        log.info("jobs.digest is not available; the tick runs the reminders only")
        return None
    found: Callable[[Runtime], Any] | None = getattr(module, "tick", None)
    return found


def run_jobs(runtime: Runtime) -> None:
    """One tick: reminders, sign-off, then the digest job; a failure in one stops no other."""
    try:
        reminders.tick(runtime)
    except Exception:
        log.exception("the reminder tick failed")
    try:
        signoff.tick(runtime)
    except Exception:
        log.exception("the sign-off tick failed")
    digest = _digest_tick()
    if digest is None:
        return
    try:
        digest(runtime)
    except Exception:
        log.exception("the digest tick failed")


def start_scheduler(runtime: Runtime, *, start: bool = True) -> BackgroundScheduler:
    """A started BackgroundScheduler running `run_jobs` every PLANBOT_TICK_MINUTES minutes.

    The first tick runs at once, so a bot coming back from downtime catches up straight
    away; missed ticks are coalesced into one and never overlap.
    """
    minutes = runtime.settings.planbot_tick_minutes
    scheduler = BackgroundScheduler(timezone=runtime.cycle.tz)
    scheduler.add_job(
        run_jobs,
        trigger=IntervalTrigger(minutes=minutes, timezone=runtime.cycle.tz),
        args=[runtime],
        id=TICK_JOB_ID,
        name="reminders and digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=minutes * 60,
        next_run_time=dt.datetime.now(runtime.cycle.tz),
        replace_existing=True,
    )
    if start:
        scheduler.start()
    return scheduler
