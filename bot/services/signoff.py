"""Sign-off: directors approve their directorate's updates, or return them with a comment
(DESIGN, "Sign-off"). Only in plans whose `signoff` setting is on.

Who may decide on an update (the permission table, tests/test_signoff.py):
- never its owner, nor whoever wrote it;
- an admin, on anything;
- a director, on their own directorate's;
- a director's delegate, while that director is away;
- nobody else.

One decision an update: a second click on Approve changes nothing, and an update that has
been superseded (the owner updated again, or an admin amended it) cannot be decided on;
the newer update awaits sign-off of its own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.dates import short_date
from bot.errors import InvalidInput, NotAllowed, NotFound, PeriodLocked
from bot.model.signoff import (
    APPROVED,
    RETURNED,
    AwaitingItem,
    AwaitingList,
    Decision,
    SignOffState,
)
from bot.services import people as ppl
from bot.services.context import RequestContext
from bot.services.plans import open_period
from storage import models as m

IMPORTED = "import"  # updates loaded from a plan file: the programme office's own, not signed off


def _latest_in_period(session: Session, action_id: int, period_id: int) -> m.Update | None:
    return session.scalar(
        select(m.Update)
        .where(m.Update.action_id == action_id, m.Update.period_id == period_id)
        .order_by(m.Update.id.desc())
        .limit(1)
    )


def _latest_states(
    session: Session, plan: m.Plan, period_key: str
) -> list[tuple[int, int, SignOffState]]:
    """(update id, action id, state) of the update that counts for each action with one in
    the period."""
    latest_ids = (
        select(func.max(m.Update.id))
        .join(m.Action, m.Update.action_id == m.Action.id)
        .join(m.Period, m.Update.period_id == m.Period.id)
        .where(m.Action.plan_id == plan.id, m.Period.key == period_key)
        .group_by(m.Update.action_id)
    )
    rows = session.execute(
        select(m.Update.id, m.Update.action_id, m.Update.source, m.SignOff.decision)
        .outerjoin(m.SignOff, m.SignOff.update_id == m.Update.id)
        .where(m.Update.id.in_(latest_ids))
    ).all()
    found: list[tuple[int, int, SignOffState]] = []
    for update_id, action_id, source, decision in rows:
        if decision == RETURNED:
            state = SignOffState.RETURNED
        elif decision == APPROVED or source == IMPORTED:  # a file's updates need no sign-off
            state = SignOffState.APPROVED
        else:
            state = SignOffState.AWAITING
        found.append((update_id, action_id, state))
    return found


def states(session: Session, plan: m.Plan, period_key: str) -> dict[int, SignOffState]:
    """The sign-off state of each action with an update in the period (by action id)."""
    return {action_id: state for _, action_id, state in _latest_states(session, plan, period_key)}


def unapproved(session: Session, plan: m.Plan, period_key: str) -> dict[str, list[str]]:
    """The refs whose update for the period is not approved, by directorate (for publishing)."""
    pending = {
        action_id
        for action_id, state in states(session, plan, period_key).items()
        if state is not SignOffState.APPROVED
    }
    if not pending:
        return {}
    by_directorate: dict[str, list[str]] = defaultdict(list)
    actions = session.scalars(
        select(m.Action).where(m.Action.id.in_(pending)).order_by(m.Action.number)
    )
    for action in actions:
        by_directorate[action.directorate.name].append(action.ref)
    return dict(sorted(by_directorate.items()))


def _may_decide(
    session: Session, plan: m.Plan, person: m.Person, update: m.Update, day: dt.date
) -> tuple[bool, m.Person | None, str]:
    """Whether `person` may sign off `update` on `day`, for which away director (a delegate
    acts for one), and why not."""
    action = update.action
    if person.id in {action.owner_id, update.author_id, update.on_behalf_of_id}:
        return False, None, f"You cannot sign off your own update of {action.ref}."
    if person.role == ppl.ADMIN:
        return True, None, ""
    directors = ppl.directors_of(session, plan, action.directorate_id)
    if person.role == ppl.DIRECTOR and person.directorate_id == action.directorate_id:
        return True, None, ""
    for director in directors:
        if director.delegate_id == person.id and director.is_away(day):
            return True, director, ""
    names = ", ".join(d.name for d in directors) or "none listed"
    return (
        False,
        None,
        f"Only the director of {action.directorate.name} ({names}), their delegate while "
        f"they are away, or the programme office can sign off {action.ref}.",
    )


def _decision(
    signoff: m.SignOff, update: m.Update, scheme_label: str, *, already: bool
) -> Decision:
    action = update.action
    return Decision(
        update_id=update.id,
        decision=signoff.decision,
        plan_key=action.plan.key,
        ref=action.ref,
        title=action.title,
        period_key=update.period.key,
        status_label=scheme_label,
        comment=signoff.comment,
        by_name=signoff.by.name if signoff.by else "",
        owner_slack_id=action.owner.slack_id,
        owner_name=action.owner.name,
        already=already,
    )


def decide(ctx: RequestContext, *, update_id: int, decision: str, comment: str = "") -> Decision:
    """Approve (`decision` approved) or return (with `comment`) one update; refuses with a
    reason and changes nothing when the caller may not, or the update has moved on."""
    if decision not in {APPROVED, RETURNED}:
        raise ValueError(decision)
    comment = comment.strip()
    if decision == RETURNED and not comment:
        raise InvalidInput(
            "Say what needs changing: the comment goes to the owner with the update.",
            hint="Write a comment, then press Return.",
        )
    try:
        with ctx.db.session() as session:
            return _decide(session, ctx, update_id, decision, comment)
    except IntegrityError:
        # The same decision raced in (a double click on two workers): report the one stored.
        with ctx.db.session() as session:
            return _decide(session, ctx, update_id, decision, comment)


@dataclass(frozen=True)
class _Checked:
    update: m.Update
    label: str  # the update's status, in its plan's words
    person: m.Person
    acting_for: m.Person | None


def _decide(
    session: Session, ctx: RequestContext, update_id: int, decision: str, comment: str
) -> Decision:
    checked = _check(session, ctx, update_id, decision)
    if isinstance(checked, Decision):
        return checked
    signoff = m.SignOff(
        update_id=checked.update.id,
        decision=decision,
        comment=comment,
        by_id=checked.person.id,
        for_id=checked.acting_for.id if checked.acting_for else None,
        created_at=ctx.now,
    )
    session.add(signoff)
    session.flush()
    return _decision(signoff, checked.update, checked.label, already=False)


def returnable(ctx: RequestContext, *, update_id: int) -> tuple[str, str]:
    """The ref and title of an update the person asking may return now (checked before the
    Return form opens, so nobody types a comment that would be refused)."""
    with ctx.db.read_session() as session:
        checked = _check(session, ctx, update_id, RETURNED)
        if isinstance(checked, Decision):  # returned already: say so rather than ask again
            raise InvalidInput(
                f"{checked.ref} was already returned; nothing was changed.",
                hint="The owner's next update comes to you for sign-off.",
            )
        return checked.update.action.ref, checked.update.action.title


def _check(
    session: Session, ctx: RequestContext, update_id: int, decision: str
) -> _Checked | Decision:
    """Whether the person asking may make `decision` on the update now: what they decide on,
    or the same decision already made (a repeat); refused with the reason otherwise."""
    update = session.get(m.Update, update_id)
    if update is None:
        raise NotFound("That update no longer exists.", hint="Open your App Home for the list.")
    action = update.action
    plan = action.plan
    rules = ctx.rules(plan)
    label = (
        rules.scheme.label(update.status) if update.status in rules.scheme.keys else update.status
    )
    # Who asks comes first: nobody learns anything of an update they may not decide on.
    person = ppl.require_member(session, plan, ctx.actor)
    if not rules.signoff:
        raise InvalidInput(
            f"{plan.name} does not use sign-off; nothing was changed.",
            hint="The programme office turns it on with `signoff,on` in the plan's settings.",
        )
    allowed, acting_for, why = _may_decide(session, plan, person, update, ctx.today(plan))
    if not allowed:
        raise NotAllowed(why, hint=f"Ask {ppl.programme_office(session, plan)} if this is wrong.")
    existing = session.scalar(select(m.SignOff).where(m.SignOff.update_id == update.id))
    if existing is not None:
        if existing.decision == decision:
            return _decision(existing, update, label, already=True)
        who = existing.by.name if existing.by else "someone"
        raise InvalidInput(
            f"{who} already {existing.decision} this update of {action.ref} on "
            f"{short_date(existing.created_at.astimezone(rules.cycle.tz).date())}; "
            "nothing was changed.",
            hint="Each update is signed off once; the owner's next update comes to you again.",
        )
    latest = _latest_in_period(session, action.id, update.period_id)
    if latest is not None and latest.id != update.id:
        raise InvalidInput(
            f"{action.ref} has been updated since ({short_date(latest.created_at.date())}); "
            f"this update is superseded and nothing was {decision}.",
            hint="Sign off the newer update: it is in your App Home.",
        )
    if update.period.locked_at is not None:
        raise PeriodLocked(
            f"{update.period.key} has been published and locked; nothing was {decision}.",
            hint=f"Ask {ppl.programme_office(session, plan)} if it must change.",
        )
    return _Checked(update, label, person, acting_for)


def awaiting(ctx: RequestContext) -> AwaitingList:
    """What the person asking may sign off now: in each of their plans that uses sign-off,
    the open period's updates with no decision yet, oldest first."""
    items: list[AwaitingItem] = []
    acting_for: set[str] = set()
    with ctx.db.read_session() as session:
        for plan, person in ctx.memberships(session):
            rules = ctx.rules(plan)
            if not rules.signoff or (
                person.role == ppl.OWNER and not _is_delegate(session, person)
            ):
                continue
            today = ctx.today(plan)
            period = open_period(session, plan, rules.cycle, today)
            for update in undecided(session, plan, period.key):
                allowed, director, _ = _may_decide(session, plan, person, update, today)
                if not allowed:
                    continue
                if director is not None:
                    acting_for.add(director.name)
                items.append(awaiting_item(ctx, plan, period.key, update))
    return AwaitingList(tuple(items), tuple(sorted(acting_for)))


def awaiting_item(
    ctx: RequestContext, plan: m.Plan, period_key: str, update: m.Update
) -> AwaitingItem:
    """An update awaiting sign-off as the lists show it, in its plan's statuses."""
    action = update.action
    status = ctx.rules(plan).scheme.get(update.status)
    return AwaitingItem(
        update_id=update.id,
        plan_key=plan.key,
        plan_name=plan.name,
        period_key=period_key,
        ref=action.ref,
        title=action.title,
        directorate=action.directorate.name,
        owner_name=action.owner.name,
        status_label=status.label,
        status_emoji=status.emoji,
        note=update.note,
        author_name=update.author.name if update.author else "import",
    )


def _is_delegate(session: Session, person: m.Person) -> bool:
    return session.scalar(select(m.Person.id).where(m.Person.delegate_id == person.id)) is not None


def undecided(session: Session, plan: m.Plan, period_key: str) -> list[m.Update]:
    """The latest update of each action in the period, where it awaits a decision."""
    pending = [
        update_id
        for update_id, _, state in _latest_states(session, plan, period_key)
        if state is SignOffState.AWAITING
    ]
    if not pending:
        return []
    return list(
        session.scalars(select(m.Update).where(m.Update.id.in_(pending)).order_by(m.Update.id))
    )
