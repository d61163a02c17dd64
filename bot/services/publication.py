"""Publication, decided and recorded: which period to publish, locking it, and when drafts are due.

Sending the report (Slack, webhooks, the drafts) is the delivery layer's: bot/delivery/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.domain.calendar import Cycle
from bot.domain.dates import short_date
from bot.domain.periods import Period
from bot.errors import InvalidInput, NotAllowed
from bot.services import people as ppl
from bot.services.claims import CLAIM_LEASE, CLAIMED, SENT, Claim, DeliveryKey, new_claim
from bot.services.context import RequestContext
from bot.services.plans import locked_periods, meetings, open_period, period_row
from bot.services.signoff import unapproved
from storage import models as m

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PUBLISHED = "digest_published"  # Delivery kind prefix: one row per publication and channel
WEBHOOK = "digest_webhook"  # Delivery kind prefix: one row per publication and webhook
DRAFT = "digest_draft"  # Delivery kind: the scheduled draft, once per admin and period
PUBLISH_REQUEST = "digest_publish_request"  # Delivery kind: one row per request to publish
ANY_PERIOD = "*"  # a publish request is claimed before it is known which period it means


@dataclass(frozen=True)
class LockedPeriod:
    plan_key: str
    plan_id: int
    period: Period
    locked_at: dt.datetime
    locked_by: str
    newly_locked: bool
    version: int  # 1 for the first publication, 2 for the first re-publication...
    claim: Claim  # the channel post of this publication, claimed with the lock
    republished: bool = False  # an earlier publication of the period reached the channel


def url_key(url: str) -> str:
    """A short stable name for a webhook URL (the URL itself is a secret)."""
    host = urlsplit(url).hostname or "webhook"
    return f"{host[:40]}#{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def lock_period(
    ctx: RequestContext, *, period: Period, channel: str = "", anyway: str | None = None
) -> LockedPeriod:
    """Lock `period` for publication by an admin and claim the next publication's number.

    In a plan with sign-off, updates not approved refuse it, naming them by directorate,
    unless the admin gives a reason to publish `anyway` (kept with the period, and stated
    in the report).

    Locking is idempotent: a later publication keeps the first lock and counts as a
    re-publication (amendments made since are marked in its report).
    """
    now = ctx.now
    try:
        with ctx.db.session() as session:
            plan, person = ctx.member(session)
            ppl.require_role(session, plan, person, ppl.ADMIN)
            current = open_period(session, plan, ctx.cycle(plan), ctx.today(plan))
            if period > current:
                raise InvalidInput(
                    f"{period.label} has not started collecting updates yet; "
                    "nothing was published or locked.",
                    hint=f"The current period is {current.label}.",
                )
            row = period_row(session, plan, period)
            _require_signed_off(session, plan, row, period, ctx.rules(plan).signoff, anyway)
            newly = row.locked_at is None
            if newly:
                row.locked_at, row.locked_by_id = now, person.id
            earlier = session.scalars(
                select(m.Delivery).where(
                    m.Delivery.plan_id == plan.id,
                    m.Delivery.period_key == period.key,
                    m.Delivery.kind.like(f"{PUBLISHED}_v%"),
                )
            ).all()
            last = max(earlier, key=_version, default=None)
            if last is not None and last.state == CLAIMED and last.claimed_at > now - CLAIM_LEASE:
                raise NotAllowed(
                    f"{period.label} is being published right now.",
                    hint="Wait a minute, then look in the digest channel before trying again.",
                )
            if last is not None and last.state == SENT:
                _require_changes_since(session, row, period, last, ctx.cycle(plan))
            version = 1 + (_version(last) if last is not None else 0)
            republished = any(publication.state == SENT for publication in earlier)
            claim = new_claim(
                DeliveryKey(plan.id, period.key, f"{PUBLISHED}_v{version}", channel or "-")
            )
            session.add(m.Delivery(**claim.claimed_row(now)))
            session.flush()
            locker = session.get(m.Person, row.locked_by_id) if row.locked_by_id else None
            assert row.locked_at is not None
            return LockedPeriod(
                plan_key=plan.key,
                plan_id=plan.id,
                period=period,
                locked_at=row.locked_at,
                locked_by=locker.name if locker else person.name,
                newly_locked=newly,
                version=version,
                claim=claim,
                republished=republished,
            )
    except IntegrityError:
        raise NotAllowed(
            f"{period.label} is being published by someone else right now.",
            hint="Wait a minute, then look in the digest channel before trying again.",
        ) from None


def _require_signed_off(
    session: Session,
    plan: m.Plan,
    row: m.Period,
    period: Period,
    signoff_on: bool,
    anyway: str | None,
) -> None:
    """Refuse to publish updates that are not approved, naming them; with a reason, note it.

    Only the first publication: once published, a change is an admin's amendment, with its
    reason, marked in the re-issued report (sign-off closes with the period)."""
    if not signoff_on or row.locked_at is not None:
        return
    pending = unapproved(session, plan, period.key)
    if not pending:
        return
    if anyway:
        row.published_anyway_reason = anyway
        return
    named = "; ".join(f"{name}: {', '.join(refs)}" for name, refs in pending.items())
    raise NotAllowed(
        f"Not every update of {period.label} is signed off ({named}); nothing was published "
        "or locked.",
        hint="Ask the directors to approve them, or publish anyway with a reason the report "
        f"will state: `/digest publish {plan.key} {period.key} anyway <reason>`.",
    )


def _version(publication: m.Delivery) -> int:
    return int(publication.kind.rsplit("_v", 1)[1])


def _require_changes_since(
    session: Session, row: m.Period, period: Period, last: m.Delivery, cycle: Cycle
) -> None:
    """Refuse to publish again what is already in the channel, unchanged."""
    changed = session.scalar(
        select(m.Update.id)
        .where(m.Update.period_id == row.id, m.Update.created_at >= last.claimed_at)
        .limit(1)
    )
    if changed is None:
        when = last.claimed_at.astimezone(cycle.tz)
        raise InvalidInput(
            f"{period.label} was published on {when:%-d %b %Y at %H:%M} and nothing has changed "
            "since; nothing was posted again.",
            hint="To correct the report, amend an update for the period (with a reason), "
            "then publish again: the re-published report marks the amendment.",
        )


def plan_id_of(ctx: RequestContext) -> int:
    """The plan's id, for a claim made before anything else is known."""
    with ctx.db.read_session() as session:
        return ctx.plan(session).id


def period_to_publish(ctx: RequestContext) -> Period:
    """The period a bare `/digest publish` means: the latest whose update deadline has passed.

    Never the period still collecting updates: publishing locks it, which would stop its
    reminders and refuse its owners. An admin who wants that must name the period.
    """
    with ctx.db.read_session() as session:
        plan = ctx.plan(session)
        cycle, today = ctx.cycle(plan), ctx.today(plan)
        current = open_period(session, plan, cycle, today)
        known = meetings(session, plan)
        locked = locked_periods(session, plan)

    def deadline(period: Period) -> dt.date:
        return cycle.schedule(period, known.get(period.key)).update_deadline

    candidate = current
    while deadline(candidate) >= today:
        candidate = candidate.previous()
    if candidate.key not in locked:
        return candidate
    raise InvalidInput(
        f"{candidate.label} is already published, and {current.label} is still collecting "
        f"updates until {short_date(deadline(current))}; nothing was published.",
        hint=f"To publish {current.short_label} early anyway, name it: "
        f"`/digest publish {current.key}`.",
    )


@dataclass(frozen=True)
class DraftDue:
    """A period whose draft report is due to the admins now."""

    plan_key: str
    plan_id: int
    period: Period
    admin_ids: tuple[str, ...]


def due_drafts(ctx: RequestContext) -> list[DraftDue]:
    """Periods whose update deadline was the previous working day (or a little earlier), in
    the plan `ctx` names (every plan when it names none).

    The draft goes out at the send time on the working day after the update deadline; a bot
    that was down sends it late, until the publication deadline (or five working days on),
    never once the period is locked.
    """
    now = ctx.now

    def due(session: Session, plan: m.Plan) -> Iterator[DraftDue]:
        cycle, today = ctx.cycle(plan), ctx.today(plan)
        current = open_period(session, plan, cycle, today)
        rows = {
            p.key: p for p in session.scalars(select(m.Period).where(m.Period.plan_id == plan.id))
        }
        for period in (current.previous(), current):
            row = rows.get(period.key)
            if row is not None and row.locked_at is not None:
                continue
            schedule = cycle.schedule(period, row.meeting_date if row else None)
            draft_day = cycle.calendar.add_working_days(schedule.update_deadline, 1)
            last_day = schedule.publication_deadline or cycle.calendar.add_working_days(
                draft_day, 5
            )
            if cycle.send_time(draft_day) <= now and today <= last_day:
                admins = tuple(p.slack_id for p in ppl.admins(session, plan))
                yield DraftDue(plan.key, plan.id, period, admins)

    return ctx.due_in_each_plan(due)
