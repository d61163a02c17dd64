"""People: who someone is in a plan, and who may act on an action."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import NotAllowed
from bot.model.reminders import Recipient
from storage import models as m

ADMIN, DIRECTOR, OWNER = "admin", "director", "owner"


def find_person(session: Session, plan: m.Plan, slack_id: str) -> m.Person | None:
    return session.scalar(
        select(m.Person).where(m.Person.plan_id == plan.id, m.Person.slack_id == slack_id)
    )


def admins(session: Session, plan: m.Plan) -> list[m.Person]:
    return list(
        session.scalars(
            select(m.Person)
            .where(m.Person.plan_id == plan.id, m.Person.role == ADMIN, m.Person.active)
            .order_by(m.Person.id)
        )
    )


def admins_to_tell(session: Session, plan: m.Plan, about: str) -> list[Recipient]:
    """The plan's admins who are to be told something about the person `about` (Slack ID):
    every admin but that person."""
    return [Recipient(a.slack_id, a.name) for a in admins(session, plan) if a.slack_id != about]


def directors_of(session: Session, plan: m.Plan, directorate_id: int) -> list[m.Person]:
    return list(
        session.scalars(
            select(m.Person)
            .where(
                m.Person.plan_id == plan.id,
                m.Person.role == DIRECTOR,
                m.Person.directorate_id == directorate_id,
                m.Person.active,
            )
            .order_by(m.Person.id)
        )
    )


def programme_office(session: Session, plan: m.Plan) -> str:
    """Who to ask, named for a refusal: the admins, or 'the programme office'."""
    names = [p.name for p in admins(session, plan)]
    return f"the programme office ({', '.join(names)})" if names else "the programme office"


def require_member(session: Session, plan: m.Plan, slack_id: str) -> m.Person:
    """The caller as a person of the plan; refuses anyone the plan does not know."""
    person = find_person(session, plan, slack_id)
    if person is None or not person.active:
        raise NotAllowed(
            f"You are not on the list of people in the plan '{plan.name}'.",
            hint=f"Ask {programme_office(session, plan)} to add you.",
        )
    return person


def may_update(person: m.Person, action: m.Action | m.Indicator) -> bool:
    """Owner, the owner's delegate, the director of the action's (or indicator's)
    directorate, or an admin."""
    if person.role == ADMIN or person.id == action.owner_id:
        return True
    if action.owner.delegate_id is not None and action.owner.delegate_id == person.id:
        return True
    return person.role == DIRECTOR and person.directorate_id == action.directorate_id


def require_may_update(
    session: Session, plan: m.Plan, person: m.Person, action: m.Action | m.Indicator
) -> None:
    if may_update(person, action):
        return
    directors = directors_of(session, plan, action.directorate_id)
    director = f" ({', '.join(d.name for d in directors)})" if directors else ""
    raise NotAllowed(
        f"{action.ref} belongs to {action.owner.name} ({action.directorate.name}); "
        "only the owner, their delegate, the directorate's director"
        f"{director} or the programme office can update it.",
        hint=f"Ask {action.owner.name} to update it, or ask {programme_office(session, plan)} "
        "to make you the delegate.",
    )


def require_role(session: Session, plan: m.Plan, person: m.Person, *roles: str) -> None:
    if person.role not in roles:
        wanted = " or ".join(roles)
        raise NotAllowed(
            f"Only a {wanted} can do that, and you are listed as {person.role}.",
            hint=f"Ask {programme_office(session, plan)}.",
        )
