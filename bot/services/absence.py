"""`/planbot away` and `/planbot back`: an owner's absence, and who stands in meanwhile."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from bot.errors import InvalidInput, NotFound
from bot.model.views import Absence
from bot.services import people as ppl
from bot.services.context import RequestContext
from storage import models as m


def set_away(
    ctx: RequestContext, *, start: dt.date, end: dt.date, delegate_slack_id: str | None
) -> Absence:
    """Record the caller's absence and, when named, the delegate who reports for them: in
    every plan the caller is one of the people of (the delegate where they are one too)."""
    if end < start:
        raise InvalidInput(
            f"You'd be back ({end:%-d %b %Y}) before you leave ({start:%-d %b %Y}).",
            hint="Give the first day away, then the last: `/planbot away 13/01/2020 17/01/2020`.",
        )
    if end < ctx.local_today:
        raise InvalidInput(f"{end:%-d %b %Y} has already passed.", hint="Give dates to come.")
    with ctx.db.session() as session:
        mine = _mine(ctx, session)
        delegates: dict[int, m.Person] = {}
        if delegate_slack_id is not None:
            for plan, _ in mine:
                found = ppl.find_person(session, plan, delegate_slack_id)
                if found is not None and found.active:
                    delegates[plan.id] = found
            if not delegates:
                plan = mine[0][0]
                raise NotFound(
                    "Your delegate must be one of the plan's people; nothing was changed.",
                    hint=f"Choose someone else, or ask {ppl.programme_office(session, plan)} "
                    "to add them.",
                )
            if delegate_slack_id == ctx.actor:
                raise InvalidInput("You can't be your own delegate; nothing was changed.")
        for plan, person in mine:
            if plan.id in delegates:
                person.delegate = delegates[plan.id]
            person.away_from, person.away_to = start, end
        session.flush()
        return _absence(session, *mine[0])


def back(ctx: RequestContext) -> Absence:
    """Clear the caller's absence in each of their plans (their delegate stays named for next
    time)."""
    with ctx.db.session() as session:
        mine = _mine(ctx, session)
        for _, person in mine:
            person.away_from = person.away_to = None
        session.flush()
        return _absence(session, *mine[0])


def _mine(ctx: RequestContext, session: Session) -> list[tuple[m.Plan, m.Person]]:
    """Every plan the caller is one of the people of, with them in it (refused as
    `ctx.member` refuses when they are in none)."""
    return ctx.memberships(session) or [ctx.member(session)]


def _absence(session: Session, plan: m.Plan, person: m.Person) -> Absence:
    directors = (
        ppl.directors_of(session, plan, person.directorate_id) if person.directorate_id else []
    )
    return Absence(
        name=person.name,
        away_from=person.away_from,
        away_to=person.away_to,
        delegate_name=person.delegate.name if person.delegate else None,
        director_names=tuple(d.name for d in directors if d.id != person.id),
    )
