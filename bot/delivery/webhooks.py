"""Posting a published report to the staff tools' webhooks (Teams, or anything taking JSON)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.delivery.once import deliver_once
from bot.model.report import Digest
from bot.notifier import NotifierError
from bot.render.webhook_payload import webhook_payload
from bot.services.claims import DeliveryKey
from bot.services.publication import WEBHOOK, LockedPeriod, url_key
from storage.db import Database

if TYPE_CHECKING:
    import httpx

WEBHOOK_TIMEOUT = 10.0
WEBHOOK_BACKOFF = (1.0, 3.0, 9.0)  # seconds before each retry; four attempts in all


@dataclass(frozen=True)
class WebhookResult:
    url: str
    ok: bool
    attempts: int
    detail: str


class WebhookRefused(NotifierError):
    """The webhook still failed after its retries, or refused the payload outright."""


def deliver_webhook(
    db: Database, digest: Digest, locked: LockedPeriod, url: str, *, now: dt.datetime
) -> WebhookResult | None:
    """Post the report to `url` once per publication; None when it was posted already."""
    payload = webhook_payload(digest, url, version=locked.version, republished=locked.republished)
    posted: list[WebhookResult] = []

    def send() -> str:
        result = post_webhook(url, payload)
        posted.append(result)
        if not result.ok:
            raise WebhookRefused(result.detail)
        return result.detail

    deliver_once(
        db,
        DeliveryKey(
            locked.plan_id, locked.period.key, f"{WEBHOOK}_v{locked.version}", url_key(url)
        ),
        send,
        now=now,
        retry_on=(),
    )
    return posted[0] if posted else None  # nothing posted: it was posted already


def post_webhook(
    url: str,
    payload: dict[str, Any],
    *,
    http: httpx.Client | None = None,
    backoff: Sequence[float] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> WebhookResult:
    """POST `payload` as JSON; retry connection errors, 429 and 5xx with backoff."""
    # Imported when first needed, so `planbot serve` does not load it before it answers.
    import httpx

    backoff = WEBHOOK_BACKOFF if backoff is None else backoff
    client = http or httpx.Client(timeout=WEBHOOK_TIMEOUT)
    attempts, detail = 0, ""
    try:
        for delay in (*backoff, None):
            attempts += 1
            retry_after: float | None = None
            try:
                response = client.post(url, json=payload)
            except httpx.HTTPError as exc:
                detail = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    return WebhookResult(url, True, attempts, f"HTTP {response.status_code}")
                detail = f"HTTP {response.status_code} {response.text[:200]}".strip()
                if response.status_code != 429 and response.status_code < 500:
                    break  # the payload or the URL is wrong: retrying will not help
                retry_after = _retry_after(response)
            if delay is None:
                break
            sleep(max(delay, retry_after or 0.0))
    finally:
        if http is None:
            client.close()
    return WebhookResult(url, False, attempts, detail)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers.get("Retry-After", "")), 60.0)
    except ValueError:
        return None
