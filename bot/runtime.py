"""The runtime: what a running planbot hands to its handlers, jobs and commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.domain.calendar import Cycle
from bot.notifier import Notifier, make_client
from bot.settings import Settings
from storage.db import Database


def utc_now() -> dt.datetime:
    """The real clock; tests pass their own."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Runtime:
    """Settings, database, calendar, Slack and the clock, built once at start-up."""

    settings: Settings
    db: Database
    cycle: Cycle
    notifier: Notifier
    clock: Callable[[], dt.datetime] = field(default=utc_now)

    @property
    def plan_key(self) -> str | None:
        return self.settings.planbot_plan

    def now(self) -> dt.datetime:
        return self.clock()


def build_runtime(
    settings: Settings,
    *,
    db: Database | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    notifier: Notifier | None = None,
) -> Runtime:
    """Wire the parts together from settings (the composition root for everything but Bolt)."""
    if notifier is None:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        notifier = Notifier(make_client(token=token, base_url=settings.slack_api_url))
    return Runtime(
        settings=settings,
        db=db or Database(settings.database_url),
        cycle=settings.cycle(),
        notifier=notifier,
        clock=clock,
    )
