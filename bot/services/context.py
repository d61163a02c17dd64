"""One request's context: what every service is called with (the database, the calendar, the
moment, the plan and who is asking), built once at the edge (`Runtime.request`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.calendar import Cycle
from bot.domain.plan_rules import PlanRules
from bot.errors import PlanbotError
from bot.services import people as ppl
from bot.services.plan_rules import RuleBook
from bot.services.plans import resolve_plan
from storage import models as m
from storage.db import Database

T = TypeVar("T")


class SeveralPlans(PlanbotError):
    """The person asking belongs to several plans and did not say which one they mean."""

    def __init__(self, plans: list[m.Plan]) -> None:
        self.plans = plans
        names = ", ".join(f"{plan.name} (`{plan.key}`)" for plan in plans)
        super().__init__(
            f"You are in several plans: {names}.",
            hint="Name the plan first, for example "
            f"`/update {plans[0].key} ACT-12 green Contract signed`.",
        )


@dataclass(frozen=True)
class RequestContext:
    """Where and when a service runs, and for whom.

    `plan_key` None means the only plan there is (or, for the scheduled services, every
    plan); `actor` is the Slack ID of the person asking ("" for the scheduler and the CLI).
    `default_cycle` is the environment's calendar; each plan's own rules (`rules`) start from
    it. `book` remembers them across requests (the runtime's); by default, this request's own.
    """

    db: Database
    default_cycle: Cycle
    now: dt.datetime
    plan_key: str | None = None
    actor: str = ""
    book: RuleBook | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.book is None:
            object.__setattr__(self, "book", RuleBook(self.default_cycle))

    def rules(self, plan: m.Plan) -> PlanRules:
        """The plan's own rules: its status scheme, calendar, ladder, tolerance, sign-off."""
        assert self.book is not None
        return self.book.rules(plan)

    def cycle(self, plan: m.Plan) -> Cycle:
        """The plan's calendar and reminder ladder."""
        return self.rules(plan).cycle

    @property
    def local_today(self) -> dt.date:
        """The date now in the environment's time zone: for reading the dates and periods
        people type before it is known which plan they mean."""
        return self.default_cycle.local_date(self.now)

    def today(self, plan: m.Plan) -> dt.date:
        """The date now in the plan's time zone."""
        return self.cycle(plan).local_date(self.now)

    def for_plan(self, plan_key: str | None) -> RequestContext:
        """The same request, for the plan `plan_key`."""
        return replace(self, plan_key=plan_key)

    def plan(self, session: Session) -> m.Plan:
        """The plan this request is for (refused with a hint when there is none, or several)."""
        return resolve_plan(session, self.plan_key)

    def plans(self, session: Session) -> list[m.Plan]:
        """The plan this request names, or every plan when it names none (the scheduler's)."""
        if self.plan_key:
            return [self.plan(session)]
        return list(session.scalars(select(m.Plan).order_by(m.Plan.key)))

    def due_in_each_plan(self, find: Callable[[Session, m.Plan], Iterable[T]]) -> list[T]:
        """What `find` says is due in each plan this request covers (`plans`), in one read;
        nothing from a plan where no message may go out now (a weekend or a bank holiday of
        its calendar, before its send time). The scheduler's services share it."""
        with self.db.read_session() as session:
            return [
                item
                for plan in self.plans(session)
                if self.cycle(plan).can_send_now(self.now)
                for item in find(session, plan)
            ]

    def memberships(self, session: Session) -> list[tuple[m.Plan, m.Person]]:
        """Each plan the person asking is one of the (active) people of, with them in it, by
        plan key; only the plan this request names, when it names one."""
        query = (
            select(m.Plan, m.Person)
            .join(m.Person, m.Person.plan_id == m.Plan.id)
            .where(m.Person.slack_id == self.actor, m.Person.active.is_(True))
            .order_by(m.Plan.key)
        )
        if self.plan_key:
            query = query.where(m.Plan.key == self.plan_key)
        return [(plan, person) for plan, person in session.execute(query).tuples()]

    def member(self, session: Session) -> tuple[m.Plan, m.Person]:
        """The plan and the person asking, refused when they are not one of its people.

        With no plan named: the one plan there is, or the one plan of several the person
        belongs to; one of several they belong to must be named."""
        if self.plan_key or self.actor == "":
            plan = self.plan(session)
            return plan, ppl.require_member(session, plan, self.actor)
        mine = self.memberships(session)
        if len(mine) == 1:
            return mine[0]
        if not mine:
            plan = self.plan(session)  # the only plan (they are not in it), or "say which"
            return plan, ppl.require_member(session, plan, self.actor)
        raise SeveralPlans([plan for plan, _ in mine])
