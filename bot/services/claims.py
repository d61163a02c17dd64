"""Claims: every message the bot owes someone is claimed in the database before it is sent.

A claim is an `INSERT ... ON CONFLICT DO NOTHING` on the unique (plan, period, kind,
recipient) of `Delivery`, so of several replicas or ticks exactly one sends. The sender then
marks the claim sent or failed, or releases it so the next tick tries again. A claim left
over `lease` ago by a process that died before saying how it went is taken over. A message
owed under several rows (a reminder DM listing several plans' shares) claims them together,
in one transaction (`claim_deliveries`), and settles them together.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ColumnElement

from storage import models as m
from storage.db import Database

log = logging.getLogger(__name__)

CLAIMED, SENT, FAILED = "claimed", "sent", "failed"
# A claim older than this whose sender never said "sent" belonged to a process that died
# mid-send: it is taken over, so nobody is left unreminded (at most that one message doubles).
CLAIM_LEASE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class DeliveryKey:
    """What names one message owed: the unique key of its `deliveries` row."""

    plan_id: int
    period_key: str
    kind: str
    recipient: str

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        """The order rows are claimed in when several are claimed at once."""
        return (self.plan_id, self.period_key, self.kind, self.recipient)

    def key_columns(self) -> dict[str, object]:
        """The key's columns of the `deliveries` row, by name."""
        return {column: getattr(self, column) for column in KEY_COLUMNS}


KEY_COLUMNS = tuple(f.name for f in fields(DeliveryKey))  # the unique key of `deliveries`


@dataclass(frozen=True)
class Claim(DeliveryKey):
    """A delivery this process has claimed and must now send, mark sent, fail or release."""

    token: str

    def claimed_row(self, now: dt.datetime) -> dict[str, object]:
        """The `deliveries` row that holds this claim, claimed at `now`."""
        return {**self.key_columns(), "state": CLAIMED, "claimed_at": now, "detail": self.token}

    def _where(self) -> tuple[ColumnElement[bool], ...]:
        return (
            m.Delivery.plan_id == self.plan_id,
            m.Delivery.period_key == self.period_key,
            m.Delivery.kind == self.kind,
            m.Delivery.recipient == self.recipient,
            m.Delivery.state == CLAIMED,
            m.Delivery.detail == self.token,
        )


def new_claim(key: DeliveryKey) -> Claim:
    """A claim with a token of its own, for a caller that inserts it in its own transaction."""
    return Claim(key.plan_id, key.period_key, key.kind, key.recipient, f"claim:{uuid.uuid4().hex}")


def claim_delivery(
    db: Database, key: DeliveryKey, *, now: dt.datetime, lease: dt.timedelta = CLAIM_LEASE
) -> Claim | None:
    """Claim a message before sending it; None when it is sent, failed or claimed by another.

    The insert is `ON CONFLICT DO NOTHING` on the unique (plan, period, kind, recipient), so
    of several replicas exactly one wins. A claim left over `lease` ago by a process that
    died before saying how it went is taken over.
    """
    claim = new_claim(key)
    values = {**claim.claimed_row(now), "sent_at": None}
    with db.transaction() as connection:
        inserted = connection.execute(_statements(db.dialect).claim, values).scalar()
        if inserted is not None:
            return claim
        taken = connection.execute(
            _statements(db.dialect).take_over,
            {**_key(claim), "stale_before": now - lease, "now": now, "token": claim.token},
        ).scalar()
    if taken is not None:
        log.warning(
            "taking over a stale claim: %s %s to %s", key.period_key, key.kind, key.recipient
        )
        return claim
    return None


def claim_deliveries(
    db: Database,
    keys: Sequence[DeliveryKey],
    *,
    now: dt.datetime,
    lease: dt.timedelta = CLAIM_LEASE,
) -> list[Claim | None]:
    """Claim the rows of one message that covers several (a DM listing several plans' shares),
    in one transaction: for each key, its claim, or None where it is sent, failed or claimed
    by another. The rows are taken in key order, so two senders of the same message never
    split it: the first to insert the first row holds it, and the other, waiting on it, then
    finds every row taken (PostgreSQL); SQLite's writers take turns anyway.
    """
    claims: list[Claim | None] = [None] * len(keys)
    order = sorted(range(len(keys)), key=lambda i: keys[i].sort_key)
    statements = _statements(db.dialect)
    taken_over = []
    with db.transaction() as connection:
        for index in order:
            claim = new_claim(keys[index])
            values = {**claim.claimed_row(now), "sent_at": None}
            if connection.execute(statements.claim, values).scalar() is None:
                stale = {**_key(claim), "stale_before": now - lease, "now": now}
                taken = connection.execute(
                    statements.take_over, {**stale, "token": claim.token}
                ).scalar()
                if taken is None:
                    continue
                taken_over.append(claim)
            claims[index] = claim
    for claim in taken_over:
        log.warning(
            "taking over a stale claim: %s %s to %s", claim.period_key, claim.kind, claim.recipient
        )
    return claims


def mark_sent(
    db: Database, claim: Claim | Sequence[Claim], *, now: dt.datetime, detail: str = ""
) -> None:
    """The message went: its claim (or every claim of a message covering several) is sent."""
    with db.transaction() as connection:
        for one in _each(claim):
            connection.execute(
                _statements(db.dialect).settle,
                {**_key(one), "token": one.token, "state": SENT, "sent_at": now, "detail": detail},
            )


def mark_failed(db: Database, claim: Claim | Sequence[Claim], *, detail: str) -> None:
    """The recipient cannot be reached: never retried for this kind, reported to the admins."""
    with db.transaction() as connection:
        for one in _each(claim):
            connection.execute(
                _statements(db.dialect).fail,
                {**_key(one), "token": one.token, "state": FAILED, "detail": detail},
            )


def release(db: Database, claim: Claim | Sequence[Claim]) -> None:
    """Give the claim (or claims) back so the next tick sends the message again."""
    with db.transaction() as connection:
        for one in _each(claim):
            connection.execute(_statements(db.dialect).release, {**_key(one), "token": one.token})


def _each(claim: Claim | Sequence[Claim]) -> Sequence[Claim]:
    return (claim,) if isinstance(claim, Claim) else claim


def _key(claim: Claim) -> dict[str, object]:
    """The claim's key as the statements' parameters (`k_plan_id`...: an UPDATE may not bind
    a parameter under a column's own name)."""
    return {f"k_{column}": value for column, value in claim.key_columns().items()}


@dataclass(frozen=True)
class _Statements:
    """The claim statements, built once (a tick runs them for every message it sends)."""

    claim: Executable
    take_over: Executable
    settle: Executable
    fail: Executable
    release: Executable


@functools.cache
def _statements(dialect: str) -> _Statements:
    table = cast(Table, m.Delivery.__table__)
    c = table.c
    mine = tuple(c[column] == bindparam(f"k_{column}") for column in KEY_COLUMNS)
    claimed_by_me = (*mine, c.state == CLAIMED, c.detail == bindparam("token"))
    # Plain SQL, the same on PostgreSQL and SQLite (3.35+): the dialects' `on_conflict`
    # inserts cannot be cached, and compiling one for every message cost a tick a third
    # of its own time (bench/run.py, reminder_tick_own_s).
    claim = (
        text(
            "INSERT INTO deliveries"
            " (plan_id, period_key, kind, recipient, state, claimed_at, sent_at, detail)"
            " VALUES (:plan_id, :period_key, :kind, :recipient, :state, :claimed_at, :sent_at,"
            " :detail) ON CONFLICT DO NOTHING RETURNING id"
        )
        .bindparams(
            bindparam("claimed_at", type_=c.claimed_at.type),
            bindparam("sent_at", type_=c.sent_at.type),
        )
        .columns(c.id)
    )
    return _Statements(
        claim=claim,
        take_over=update(table)
        .where(*mine, c.state == CLAIMED, c.claimed_at < bindparam("stale_before"))
        .values(claimed_at=bindparam("now"), detail=bindparam("token"))
        .returning(c.id),
        settle=update(table)
        .where(*claimed_by_me)
        .values(state=bindparam("state"), sent_at=bindparam("sent_at"), detail=bindparam("detail")),
        fail=update(table)
        .where(*claimed_by_me)
        .values(state=bindparam("state"), detail=bindparam("detail")),
        release=delete(table).where(*claimed_by_me),
    )


def settle(db: Database, claim: Claim, *, ok: bool, now: dt.datetime, detail: str = "") -> None:
    """Mark the claim sent, or failed for good (never retried for this kind)."""
    if ok:
        mark_sent(db, claim, now=now, detail=detail)
    else:
        mark_failed(db, claim, detail=detail)


def recipients(db: Database, *, plan_id: int, period_key: str, kind: str) -> set[str]:
    """Everyone a delivery of `kind` has been claimed for (sent, failed or in flight)."""
    with db.read_session() as session:
        return set(
            session.scalars(
                select(m.Delivery.recipient).where(
                    m.Delivery.plan_id == plan_id,
                    m.Delivery.period_key == period_key,
                    m.Delivery.kind == kind,
                )
            )
        )
