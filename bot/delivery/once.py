"""`deliver_once`: claim, send, then settle or release; the protocol every sender shares.

A claim is a row in `deliveries`, unique per plan, period, kind and recipient
(bot/services/claims.py). Whoever claims it sends; the others see it taken. What happens
after depends on how the send went:

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
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.notifier import AuthFailure, NotifierError, TransientFailure, Undeliverable
from bot.services.claims import (
    CLAIM_LEASE,
    Claim,
    DeliveryKey,
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
    try:
        detail = send()
    except AuthFailure:
        _release_quietly(db, claim)
        raise
    except Undeliverable as exc:
        return _failed(db, claim, exc, exc.error or str(exc))
    except retry_on as exc:
        _release_quietly(db, claim)
        return DeliveryResult(Delivered.RETRY, str(exc) or repr(exc), exc)
    except NotifierError as exc:
        return _failed(db, claim, exc, str(exc))
    except BaseException:
        _release_quietly(db, claim)
        raise
    try:
        mark_sent(db, claim, now=now, detail=detail)
    except Exception:  # sent is sent: the claim lapses after its lease
        log.exception("sent %s to %s but could not record it", claim.kind, claim.recipient)
    return DeliveryResult(Delivered.SENT, detail)


def _failed(db: Database, claim: Claim, exc: NotifierError, detail: str) -> DeliveryResult:
    try:
        mark_failed(db, claim, detail=detail)
    except Exception:  # the failure is reported to the caller all the same
        log.exception("could not record that %s to %s failed", claim.kind, claim.recipient)
    return DeliveryResult(Delivered.FAILED, str(exc), exc)


def _release_quietly(db: Database, claim: Claim) -> None:
    try:
        release(db, claim)
    except Exception:  # a claim not given back lapses after its lease
        log.exception("could not release the claim on %s to %s", claim.kind, claim.recipient)
