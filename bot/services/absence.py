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
    """Record the caller's absence and, when named, the delegate who reports for them."""
    if end < start:
        raise InvalidInput(
            f"You'd be back ({end:%-d %b %Y}) before you leave ({start:%-d %b %Y}).",
            hint="Give the first day away, then the last: `/planbot away 13/01/2020 17/01/2020`.",
        )
    if end < ctx.local_today:
        raise InvalidInput(f"{end:%-d %b %Y} has already passed.", hint="Give dates to come.")
    with ctx.db.session() as session:
        plan, person = ctx.member(session)
        if delegate_slack_id is not None:
            delegate = ppl.find_person(session, plan, delegate_slack_id)
            if delegate is None or not delegate.active:
                raise NotFound(
                    "Your delegate must be one of the plan's people; nothing was changed.",
                    hint=f"Choose someone else, or ask {ppl.programme_office(session, plan)} "
                    "to add them.",
                )
            if delegate.id == person.id:
                raise InvalidInput("You can't be your own delegate; nothing was changed.")
            person.delegate = delegate
        person.away_from, person.away_to = start, end
        session.flush()
        return _absence(session, plan, person)


def back(ctx: RequestContext) -> Absence:
    """Clear the caller's absence (their delegate stays named for next time)."""
    with ctx.db.session() as session:
        plan, person = ctx.member(session)
        person.away_from = person.away_to = None
        session.flush()
        return _absence(session, plan, person)


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
