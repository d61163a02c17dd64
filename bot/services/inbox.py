"""The durable inbox: every request from Slack is a row before it is acknowledged.

A request is stored (`store`), acknowledged, then done by a worker that claims it (`claim`)
and marks it done (`finish`). Whatever a process acknowledged and did not finish (it was
killed, or its machine went away) is found by any process's sweep (`to_redo`) and done
there, while the person can still be answered (`ANSWER_WINDOW`, the life of a
`response_url`); past that it is given up (`give_up`), and the programme office is told what
went unanswered (`unanswered_to_report`).

A claim names its worker (`host:pid:start`). A claim by a process that is gone (on this
host: its pid is dead, or now another process's) is taken over at once; one by a process on
another host once its `LEASE` has run out. Taking a request over twice does no harm beyond
a repeated answer: updates are recorded once by their idempotency key.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.model.reminders import Unanswered
from bot.services import people as ppl
from bot.services.context import RequestContext
from bot.services.plans import open_period
from storage import models as m
from storage.db import Database

log = logging.getLogger(__name__)

WAITING, WORKING, DONE, EXPIRED = "waiting", "working", "done", "expired"
# A response_url takes up to five answers within 30 minutes of the request.
ANSWER_WINDOW = dt.timedelta(minutes=30)
# How long a claim by a worker on another host holds before another process may take over.
LEASE = dt.timedelta(minutes=2)
# A request waiting this long has not been queued by its process: another may take it.
WAITING_GRACE = dt.timedelta(seconds=30)
# How long storing a request waits for the database: the ack must reach Slack within 3 s.
STORE_WAIT_SECONDS = 1.5
# Done requests are kept (without their bodies) this long, so a redelivery is still known.
KEEP_DONE = dt.timedelta(days=2)
# Given-up requests are kept this long, to be reported on a working day.
KEEP_EXPIRED = dt.timedelta(days=7)


@dataclass(frozen=True)
class Stored:
    """The inbox row of a request: `new` False when it had been stored before (a
    redelivery), which is acknowledged and not done again."""

    id: int
    new: bool


def store(
    db: Database,
    *,
    key: str,
    kind: str,
    user_id: str,
    body: dict[str, Any],
    now: dt.datetime,
    wait: float = STORE_WAIT_SECONDS,
) -> Stored:
    """Store a request under `key`; an existing row with that key is returned as it is.
    Waits at most `wait` seconds for the database's write lock, so the ack is in time."""
    try:
        with db.transaction(wait=wait) as connection:
            result = connection.execute(
                insert(m.InboxItem).values(
                    key=key[:200],
                    kind=kind[:64],
                    user_id=user_id[:32],
                    body=json.dumps(body, separators=(",", ":")),
                    state=WAITING,
                    received_at=now,
                    claimed_by="",
                    attempts=0,
                )
            )
            inserted = result.inserted_primary_key
            assert inserted is not None
            return Stored(int(inserted[0]), new=True)
    except IntegrityError:
        with db.read_session() as session:
            existing = session.scalar(select(m.InboxItem.id).where(m.InboxItem.key == key[:200]))
        if existing is None:  # the clash was on something else: not ours to hide
            raise
        return Stored(existing, new=False)


@dataclass(frozen=True)
class Claimed:
    """A request a worker now holds: its body, and which attempt at it this is (more than
    1: a worker before this one was stopped while at it)."""

    id: int
    body: dict[str, Any]
    attempt: int


def claim(
    db: Database,
    item_id: int,
    *,
    worker: str,
    now: dt.datetime,
    taking_over: Callable[[m.InboxItem], bool] | None = None,
) -> Claimed | None:
    """Claim a waiting request for `worker`; None when it is done, given up, or held by a
    worker still at it. `taking_over(item)`: whether a claimed one may be taken over."""
    with db.read_session() as session:
        item = session.get(m.InboxItem, item_id)
    if item is None or item.body is None or item.state in {DONE, EXPIRED}:
        return None
    if item.state == WORKING and (taking_over is None or not taking_over(item)):
        return None
    table = m.InboxItem
    with db.transaction() as connection:
        # Claimed only if nobody claimed it since it was read (another process sweeping).
        claimed = connection.execute(
            update(table)
            .where(
                table.id == item_id,
                table.state == item.state,
                table.attempts == item.attempts,
            )
            .values(state=WORKING, claimed_at=now, claimed_by=worker, attempts=item.attempts + 1)
        )
    if claimed.rowcount != 1:
        return None
    return Claimed(item_id, json.loads(item.body), item.attempts + 1)


def claim_stored(
    db: Database, item_id: int, body: dict[str, Any], *, worker: str, now: dt.datetime
) -> Claimed | None:
    """Claim a request this process stored and still has in hand (`body`): one statement,
    no read; None if another process's sweep took it first."""
    table = m.InboxItem
    with db.transaction() as connection:
        claimed = connection.execute(
            update(table)
            .where(table.id == item_id, table.state == WAITING)
            .values(state=WORKING, claimed_at=now, claimed_by=worker, attempts=table.attempts + 1)
        )
    if claimed.rowcount != 1:
        return None
    return Claimed(item_id, body, 1)


def finish(db: Database, item_id: int, *, now: dt.datetime) -> None:
    """The request is done: its body (what was typed, its response_url) is dropped."""
    table = m.InboxItem
    with db.transaction() as connection:
        connection.execute(
            update(table).where(table.id == item_id).values(state=DONE, finished_at=now, body=None)
        )


def to_redo(
    db: Database,
    *,
    now: dt.datetime,
    taking_over: Callable[[m.InboxItem], bool],
    everything_waiting: bool = False,
) -> list[int]:
    """Requests another process acknowledged and did not finish, oldest first: waiting
    longer than `WAITING_GRACE` (all waiting ones with `everything_waiting`, for a process
    that has queued none yet), or claimed by a worker `taking_over` says is gone."""
    oldest = now - ANSWER_WINDOW
    with db.read_session() as session:
        rows = session.scalars(
            select(m.InboxItem)
            .where(
                m.InboxItem.state.in_([WAITING, WORKING]),
                m.InboxItem.received_at >= oldest,
            )
            .order_by(m.InboxItem.received_at, m.InboxItem.id)
        ).all()
    waited = now if everything_waiting else now - WAITING_GRACE
    return [
        row.id
        for row in rows
        if (row.state == WAITING and row.received_at <= waited)
        or (row.state == WORKING and taking_over(row))
    ]


def give_up(db: Database, *, now: dt.datetime) -> int:
    """Requests unfinished past `ANSWER_WINDOW` are given up (to be reported), and old done
    ones forgotten; how many were given up."""
    table = m.InboxItem
    with db.transaction() as connection:
        expired = connection.execute(
            update(table)
            .where(
                table.state.in_([WAITING, WORKING]),
                table.received_at < now - ANSWER_WINDOW,
            )
            .values(state=EXPIRED, finished_at=now)
        ).rowcount
        connection.execute(
            delete(table).where(table.state == DONE, table.finished_at < now - KEEP_DONE)
        )
        connection.execute(
            delete(table).where(table.state == EXPIRED, table.finished_at < now - KEEP_EXPIRED)
        )
    if expired:
        log.error("gave up %d request(s) unfinished %s after their ack", expired, ANSWER_WINDOW)
    return expired


def unanswered_to_report(ctx: RequestContext) -> list[Unanswered]:
    """Requests given up lately, for each admin of the plan of the person who sent them
    (of every plan the request covers, for someone in none); the delivery's claims make
    each reported once."""
    with ctx.db.read_session() as session:
        items = session.scalars(
            select(m.InboxItem).where(m.InboxItem.state == EXPIRED).order_by(m.InboxItem.id)
        ).all()
        if not items:
            return []
        plans = ctx.plans(session)
        found: list[Unanswered] = []
        for item in items:
            theirs = [p for p in plans if ppl.find_person(session, p, item.user_id) is not None]
            for plan in theirs or plans:
                person = ppl.find_person(session, plan, item.user_id)
                period = open_period(session, plan, ctx.cycle(plan), ctx.today(plan))
                found += [
                    Unanswered(
                        plan.id,
                        plan.key,
                        period.key,
                        item.id,
                        item.user_id,
                        person.name if person else item.user_id or "someone",
                        _what(item),
                        item.received_at,
                        admin,
                    )
                    for admin in ppl.admins_to_tell(session, plan, about=item.user_id)
                ]
    return found


def _what(item: m.InboxItem) -> str:
    """What the request asked, in the words it was sent with where it had any."""
    try:
        body = json.loads(item.body or "{}")
    except ValueError:
        body = {}
    if isinstance(body, dict) and body.get("command"):
        return f"{body['command']} {body.get('text') or ''}".strip()
    return item.kind
