"""The runtime: what a running planbot hands to its handlers, jobs and commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.domain.calendar import Cycle
from bot.notifier import Notifier, make_client
from bot.services.context import RequestContext
from bot.services.plan_rules import RuleBook
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
    cycle: Cycle  # the environment's calendar; each plan's rules start from it (`book`)
    notifier: Notifier
    clock: Callable[[], dt.datetime] = field(default=utc_now)
    book: RuleBook = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "book", RuleBook(self.cycle))

    def now(self) -> dt.datetime:
        return self.clock()

    def request(
        self, actor: str = "", *, now: dt.datetime | None = None, plan_key: str | None = None
    ) -> RequestContext:
        """What a service is called with: this runtime's database and calendars, for the plan
        `plan_key` (None: every plan, or the one the person asking belongs to; the bot serves
        every plan in its database, and PLANBOT_PLAN is only the command line's default),
        `actor` asking, at `now` (the clock read now, by default)."""
        return RequestContext(
            db=self.db,
            default_cycle=self.cycle,
            now=self.now() if now is None else now,
            plan_key=plan_key,
            actor=actor,
            book=self.book,
        )


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
