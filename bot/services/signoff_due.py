"""What sign-off owes whom now: from the update deadline, a DM a day to each approver with
the updates newly awaiting them (never one listed twice); sign-off reminders at the
deadline + 1 and + 2 working days; then the programme office is told who has not signed off.

Who gets an update to sign off: its directorate's director; while they are away, their
delegate; with neither available, the plan's admins. Never its owner or its author.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.model.signoff import AwaitingList
from bot.services import people as ppl
from bot.services.context import RequestContext
from bot.services.plans import open_period, period_row
from bot.services.signoff import awaiting_item, undecided
from storage import models as m
from storage.db import Database

LIST = "signoff_list"  # + the day: the daily list of updates newly awaiting someone
CHASE = ("signoff_chase_1", "signoff_chase_2")  # the reminders at deadline + 1 and + 2 WD
SUMMARY = "signoff_summary"  # the programme office told who has not signed off
CHASE_DAYS = (1, 2)  # working days after the update deadline
SUMMARY_DAYS = 3


@dataclass(frozen=True)
class SignOffDue:
    """One DM owed to one person in one plan now."""

    plan_id: int
    plan_key: str
    plan_name: str
    period_key: str
    kind: str  # a Delivery kind (LIST:<day>, a CHASE, SUMMARY)
    recipient: str
    new: AwaitingList  # updates listed for the first time
    waiting: int  # every update awaiting this person (for a reminder)
    not_signed_off: tuple[tuple[str, int], ...] = ()  # for SUMMARY: (name, how many)


def _approvers(session: Session, plan: m.Plan, update: m.Update, day: dt.date) -> list[m.Person]:
    """Who is asked to sign off `update` on `day` (see the module's note)."""
    action = update.action
    own = {action.owner_id, update.author_id, update.on_behalf_of_id}

    def free(person: m.Person | None) -> bool:
        return person is not None and person.active and not person.is_away(day)

    chosen: list[m.Person] = []
    for director in ppl.directors_of(session, plan, action.directorate_id):
        if director.id in own:
            continue
        if free(director):
            chosen.append(director)
        elif free(director.delegate) and director.delegate_id not in own:
            assert director.delegate is not None
            chosen.append(director.delegate)
    if chosen:
        return chosen
    return [a for a in ppl.admins(session, plan) if free(a) and a.id not in own]


def signoff_due(ctx: RequestContext) -> list[SignOffDue]:
    """The sign-off DMs due now in each plan with sign-off on (claims decide which are still
    owed); nothing at weekends, on the plan's bank holidays or before its send time."""

    def due(session: Session, plan: m.Plan) -> list[SignOffDue]:
        rules = ctx.rules(plan)
        if not rules.signoff:
            return []
        cycle, today = rules.cycle, ctx.today(plan)
        period = open_period(session, plan, cycle, today)
        row = period_row(session, plan, period)
        if row.locked_at is not None:
            return []
        deadline = cycle.schedule(period, row.meeting_date).update_deadline
        if today < deadline:
            return []
        waiting: dict[str, list[m.Update]] = defaultdict(list)
        names: dict[str, str] = {}
        for update in undecided(session, plan, period.key):
            for person in _approvers(session, plan, update, today):
                waiting[person.slack_id].append(update)
                names[person.slack_id] = person.name
        waiting_ids = {u.id for updates in waiting.values() for u in updates}
        listed = set(
            session.execute(
                select(m.SignOffNotice.update_id, m.SignOffNotice.recipient).where(
                    m.SignOffNotice.update_id.in_(waiting_ids),
                    m.SignOffNotice.recipient.in_(list(waiting)),
                )
            ).tuples()
        )
        chase = max(
            (
                n
                for n, days in enumerate(CHASE_DAYS, 1)
                if today >= cycle.calendar.add_working_days(deadline, days)
            ),
            default=0,
        )
        sent = set(
            session.execute(
                select(m.Delivery.kind, m.Delivery.recipient).where(
                    m.Delivery.plan_id == plan.id,
                    m.Delivery.period_key == period.key,
                    m.Delivery.kind.in_(CHASE),
                )
            ).tuples()
        )
        found: list[SignOffDue] = []
        for recipient, updates in waiting.items():
            new = [u for u in updates if (u.id, recipient) not in listed]
            items = AwaitingList(tuple(awaiting_item(ctx, plan, period.key, u) for u in new))
            if chase and (CHASE[chase - 1], recipient) not in sent:
                kind = CHASE[chase - 1]  # the reminder, with any new updates listed in it
            elif new:
                kind = f"{LIST}:{today.isoformat()}"
            else:
                continue
            found.append(
                SignOffDue(
                    plan.id,
                    plan.key,
                    plan.name,
                    period.key,
                    kind,
                    recipient,
                    items,
                    len(updates),
                )
            )
        if today >= cycle.calendar.add_working_days(deadline, SUMMARY_DAYS) and waiting:
            behind = tuple(sorted((names[r], len(u)) for r, u in waiting.items()))
            for admin in ppl.admins(session, plan):
                if admin.active and not admin.is_away(today):
                    found.append(
                        SignOffDue(
                            plan.id,
                            plan.key,
                            plan.name,
                            period.key,
                            SUMMARY,
                            admin.slack_id,
                            AwaitingList(()),
                            0,
                            not_signed_off=behind,
                        )
                    )
        return found

    return ctx.due_in_each_plan(due)


def record_listed(db: Database, recipient: str, update_ids: list[int]) -> None:
    """Note that these updates were listed to `recipient`, so no later DM lists them again."""
    for update_id in update_ids:
        try:
            with db.session() as session:
                session.add(m.SignOffNotice(update_id=update_id, recipient=recipient))
        except IntegrityError:
            continue  # another replica noted it first
