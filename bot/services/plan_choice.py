"""Which plan an update is for, when the person asking is in several: the one of theirs that
has the ref (asked, recording nothing, when two have it), or the one they named first
(`/update strategy SP-1 …`); and the words `/update` reads before the plan is known."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.domain.indicators import INDICATOR_PREFIX
from bot.domain.refs import normalise_ref
from bot.errors import NotAllowed, NotFound, PlanbotError
from bot.model.updates import PlanStatuses, UpdateVocabulary
from bot.services import people as ppl
from bot.services.context import RequestContext
from storage import models as m

_NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five"}


class RefInSeveralPlans(PlanbotError):
    """The ref is in more than one of the caller's plans and they did not say which."""

    def __init__(self, ref: str, plans: list[m.Plan]) -> None:
        self.plans = plans
        named = _and([f"{plan.name} (`{plan.key}`)" for plan in plans])
        count = _NUMBERS.get(len(plans), str(len(plans)))
        super().__init__(
            f"{ref} is in {count} of your plans: {named}. Nothing was recorded.",
            hint="Name the plan first: "
            + " or ".join(f"`/update {plan.key} {ref} …`" for plan in plans)
            + ".",
        )


@dataclass(frozen=True)
class ChosenPlan:
    """The plan an update is for, the caller in it, and whether they are in other plans too
    (then what they see names the plan)."""

    plan: m.Plan
    person: m.Person
    several: bool


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def indicator_refs(text: str) -> list[str]:
    """The refs `text` may mean: as an indicator's (`7` → PI-7) and as an action's."""
    found = [normalise_ref(text, prefix=INDICATOR_PREFIX), normalise_ref(text)]
    return list(dict.fromkeys(ref for ref in found if ref is not None))


def find_indicator(session: Session, plan: m.Plan, ref_text: str) -> m.Indicator | None:
    """The plan's indicator `ref_text` names, with its owner and directorate; None if none."""
    refs = indicator_refs(ref_text)
    if not refs:
        return None
    return session.scalar(
        select(m.Indicator)
        .where(m.Indicator.plan_id == plan.id, m.Indicator.ref.in_(refs))
        .options(
            joinedload(m.Indicator.owner, innerjoin=True),
            joinedload(m.Indicator.directorate, innerjoin=True),
        )
        .limit(1)
    )


def find_item(session: Session, plan: m.Plan, ref_text: str) -> m.Action | m.Indicator | None:
    """The plan's action or indicator `ref_text` names exactly (`12` is ACT-12), or None."""
    ref = normalise_ref(ref_text)
    if ref is not None:
        action = session.scalar(
            select(m.Action).where(m.Action.plan_id == plan.id, m.Action.ref == ref)
        )
        if action is not None:
            return action
    return find_indicator(session, plan, ref_text)


def in_several_plans(session: Session, ctx: RequestContext) -> bool:
    """Whether the person asking is one of the people of more than one plan."""
    return bool(ctx.actor) and len(ctx.for_plan(None).memberships(session)) > 1


def my_plans(session: Session, ctx: RequestContext) -> list[tuple[m.Plan, m.Person]]:
    """The plans of the person asking, with them in each (only the plan `ctx` names, when it
    names one); refused, saying whom to ask, when they are in none."""
    mine = ctx.memberships(session)
    if mine:
        return mine
    if not ctx.plan_key and len(session.scalars(select(m.Plan.id).limit(2)).all()) > 1:
        raise NotAllowed(
            "You are not on the list of people in any plan here.",
            hint="Ask the programme office to add you to your plan.",
        )
    return [ctx.member(session)]  # refused: the plan says who to ask


def choose_plan(session: Session, ctx: RequestContext, ref_text: str) -> ChosenPlan:
    """The plan `ref_text` is to be updated in, and the caller in it.

    A plan named (`ctx.plan_key`) is that plan, refused if the caller is not one of its
    people. Otherwise: the caller's one plan; of several, the one that has the ref (of two
    that have it, the one where the caller may update it); refused, naming them, when two
    still have it, and with the nearest refs when none has it."""
    several = in_several_plans(session, ctx)
    if ctx.plan_key or not ctx.actor:
        plan, person = ctx.member(session)
        return ChosenPlan(plan, person, several)
    mine = my_plans(session, ctx)
    if len(mine) == 1:
        return ChosenPlan(*mine[0], several)
    found = [
        (plan, person, item)
        for plan, person in mine
        if (item := find_item(session, plan, ref_text)) is not None
    ]
    if not found:
        raise _nowhere(session, ref_text, [plan for plan, _ in mine])
    updatable = [row for row in found if ppl.may_update(row[1], row[2])]
    if len(found) == 1 or len(updatable) == 1:
        plan, person, _ = found[0] if len(found) == 1 else updatable[0]
        return ChosenPlan(plan, person, several)
    raise RefInSeveralPlans(found[0][2].ref, [plan for plan, _, _ in found])


def _nowhere(session: Session, ref_text: str, plans: list[m.Plan]) -> NotFound:
    """The refusal of a ref none of the caller's plans has, with the nearest refs there are."""
    names = {plan.id: plan.key for plan in plans}
    known: dict[str, list[str]] = {}
    for model in (m.Action, m.Indicator):
        for plan_id, ref in session.execute(
            select(model.plan_id, model.ref).where(model.plan_id.in_(names))
        ).tuples():
            known.setdefault(ref, []).append(names[plan_id])
    wanted = (normalise_ref(ref_text) or ref_text.strip()).upper()
    close = difflib.get_close_matches(wanted, list(known), n=3, cutoff=0.5)
    hint = (
        "Did you mean " + ", ".join(f"{ref} ({' or '.join(known[ref])})" for ref in close) + "?"
        if close
        else "Try `/actions` to see your actions."
    )
    return NotFound(
        f"There is no action or indicator '{ref_text.strip()[:40]}' in your plans "
        f"({_and([plan.name for plan in plans])}).",
        hint=hint,
    )


def update_vocabulary(ctx: RequestContext) -> UpdateVocabulary:
    """What `/update` reads for the person asking: their plans' statuses (every plan's when
    they are in none) and every plan's key and name."""
    with ctx.db.read_session() as session:
        every = list(session.scalars(select(m.Plan).order_by(m.Plan.key)))
        mine = [plan for plan, _ in ctx.memberships(session)] or every
        words: dict[str, str] = {}
        names = [plan.name.casefold() for plan in every]
        keys = {plan.key.casefold() for plan in every}
        for plan in every:
            folded = plan.name.casefold()
            # A name two plans share names neither; a key always names its own plan.
            if names.count(folded) == 1 and folded not in keys:
                words[plan.name] = plan.key
        for plan in every:
            words[plan.key] = plan.key
        return UpdateVocabulary(
            plans=tuple(PlanStatuses(p.key, p.name, ctx.rules(p).scheme) for p in mine),
            plan_words=words,
        )
