"""`deliver_once`: claim, send, then settle or release; the protocol every sender shares.

A claim is a row in `deliveries`, unique per plan, period, kind and recipient
(bot/services/claims.py). Whoever claims it sends; the others see it taken. A message owed
under several rows (a reminder DM covering several plans) claims them all in one transaction
(`deliver_all_once`) and settles them together. What happens after depends on how the send
went:

| the send | the claim | the result |
| --- | --- | --- |
| returned | marked sent (with what it returned) | `SENT` |
| the recipient cannot be reached (`Undeliverable`) | marked failed, never retried | `FAILED` |
| Slack refused the token (`AuthFailure`) | released | raised: the run stops |
| an error the caller retries (`retry_on`) | released: the next tick sends it | `RETRY` |
| any other refusal from Slack or a webhook (`NotifierError`) | marked failed | `FAILED` |
| anything else | released | raised |
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.notifier import AuthFailure, NotifierError, TransientFailure, Undeliverable
from bot.services.claims import (
    CLAIM_LEASE,
    Claim,
    DeliveryKey,
    claim_deliveries,
    claim_delivery,
    mark_failed,
    mark_sent,
    release,
)
from storage.db import Database

log = logging.getLogger(__name__)


class Delivered(StrEnum):
    SENT = "sent"
    ALREADY = "already"  # sent, failed or being sent by another process: nothing done now
    FAILED = "failed"  # cannot be delivered: recorded, never retried for this kind
    RETRY = "retry"  # not sent: the claim was given back, so the next tick sends it


@dataclass(frozen=True)
class DeliveryResult:
    state: Delivered
    detail: str = ""  # what the send returned, or why it failed
    error: Exception | None = None


ALREADY_DONE = DeliveryResult(Delivered.ALREADY)


def deliver_once(
    db: Database,
    what: DeliveryKey | Claim,
    send: Callable[[], str],
    *,
    now: dt.datetime,
    retry_on: tuple[type[Exception], ...] = (TransientFailure,),
    lease: dt.timedelta = CLAIM_LEASE,
) -> DeliveryResult:
    """Claim `what` (or use the claim given), call `send`, and settle or release the claim.

    `send` returns a detail to record (a message's `ts`) or raises; see the module's table.
    """
    if isinstance(what, Claim):
        claim = what
    else:
        taken = claim_delivery(db, what, now=now, lease=lease)
        if taken is None:
            return ALREADY_DONE
        claim = taken
    return _send_and_settle(db, [claim], send, now=now, retry_on=retry_on)


def deliver_all_once(
    db: Database,
    keys: Sequence[DeliveryKey],
    send: Callable[[Sequence[int]], str],
    *,
    now: dt.datetime,
    retry_on: tuple[type[Exception], ...] = (TransientFailure,),
    lease: dt.timedelta = CLAIM_LEASE,
) -> tuple[DeliveryResult, tuple[int, ...]]:
    """One message owed under several keys (a DM covering several plans): claim them all at
    once (`claim_deliveries`), send once with the positions of the keys this process won
    (`send(won)`), and settle or release them together, as the module's table says.

    With none won (all sent, failed or being sent elsewhere), nothing is sent: `ALREADY`.
    """
    claims = claim_deliveries(db, keys, now=now, lease=lease)
    won = tuple(index for index, claim in enumerate(claims) if claim is not None)
    if not won:
        return ALREADY_DONE, won
    mine = [claim for claim in claims if claim is not None]
    return _send_and_settle(db, mine, lambda: send(won), now=now, retry_on=retry_on), won


def _send_and_settle(
    db: Database,
    claims: Sequence[Claim],
    send: Callable[[], str],
    *,
    now: dt.datetime,
    retry_on: tuple[type[Exception], ...],
) -> DeliveryResult:
    try:
        detail = send()
    except AuthFailure:
        _release_quietly(db, claims)
        raise
    except Undeliverable as exc:
        return _failed(db, claims, exc, exc.error or str(exc))
    except retry_on as exc:
        _release_quietly(db, claims)
        return DeliveryResult(Delivered.RETRY, str(exc) or repr(exc), exc)
    except NotifierError as exc:
        return _failed(db, claims, exc, str(exc))
    except BaseException:
        _release_quietly(db, claims)
        raise
    try:
        mark_sent(db, claims, now=now, detail=detail)
    except Exception:  # sent is sent: the claim lapses after its lease
        log.exception("sent %s to %s but could not record it", *_named(claims))
    return DeliveryResult(Delivered.SENT, detail)


def _named(claims: Sequence[Claim]) -> tuple[str, str]:
    """What the claims are for and to whom, for the log."""
    return ", ".join(sorted({claim.kind for claim in claims})), claims[0].recipient


def _failed(
    db: Database, claims: Sequence[Claim], exc: NotifierError, detail: str
) -> DeliveryResult:
    try:
        mark_failed(db, claims, detail=detail)
    except Exception:  # the failure is reported to the caller all the same
        log.exception("could not record that %s to %s failed", *_named(claims))
    return DeliveryResult(Delivered.FAILED, str(exc), exc)


def _release_quietly(db: Database, claims: Sequence[Claim]) -> None:
    try:
        release(db, claims)
    except Exception:  # a claim not given back lapses after its lease
        log.exception("could not release the claim on %s to %s", *_named(claims))
