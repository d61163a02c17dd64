"""The scheduled draft: on the working day after the update deadline, the admins get it once."""

from __future__ import annotations

import logging

from bot.delivery.drafts import send_draft
from bot.runtime import Runtime
from bot.services.publication import due_drafts

log = logging.getLogger(__name__)


def tick(runtime: Runtime) -> list[str]:
    """Send every draft report that is due now; returns `period:admin` for each one sent.

    Called by the scheduler every few minutes. The database decides what is due and
    `Delivery` claims make each draft go to each admin once, across restarts and replicas.
    """
    ctx = runtime.request()
    sent: list[str] = []
    for due in due_drafts(ctx):
        try:
            sent += [
                f"{due.period.key}:{admin}"
                for admin in send_draft(runtime=runtime, due=due, now=ctx.now)
            ]
        except Exception:
            log.exception("the draft report for %s of %s failed", due.period.key, due.plan_key)
    return sent
