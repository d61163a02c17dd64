"""`planbot plans`: every plan in the database, with its size and the rules it runs by."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from bot.model.plans import PlanOverview
from bot.services.context import RequestContext
from bot.services.plan_rules import stored_settings, stored_statuses
from storage import models as m


def _count_by_plan(
    session: Session, plan_id: InstrumentedAttribute[int], *where: ColumnElement[bool]
) -> dict[int, int]:
    rows = session.execute(select(plan_id, func.count()).where(*where).group_by(plan_id))
    return dict(rows.tuples().all())


def plans_overview(ctx: RequestContext) -> tuple[PlanOverview, ...]:
    """Every plan in the database (whatever plan `ctx` names), by key."""
    with ctx.db.read_session() as session:
        actions = _count_by_plan(session, m.Action.plan_id)
        indicators = _count_by_plan(session, m.Indicator.plan_id)
        people = _count_by_plan(session, m.Person.plan_id, m.Person.active.is_(True))
        plans = session.scalars(select(m.Plan).order_by(m.Plan.key)).all()
        return tuple(
            PlanOverview(
                key=plan.key,
                name=plan.name,
                actions=actions.get(plan.id, 0),
                indicators=indicators.get(plan.id, 0),
                people=people.get(plan.id, 0),
                rules=ctx.rules(plan),
                settings=stored_settings(plan),
                own_scheme=bool(stored_statuses(plan)),
            )
            for plan in plans
        )
