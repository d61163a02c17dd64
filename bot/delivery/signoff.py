"""Sign-off DMs: each claimed once (per person, plan and day, or reminder), sent, and the
updates it listed noted so that no later DM lists them again."""

from __future__ import annotations

import datetime as dt
import logging

from bot.delivery.once import Delivered, deliver_once
from bot.render.blockkit import Message
from bot.render.signoff import render_awaiting_dm, render_not_signed_off, render_signoff_chase
from bot.runtime import Runtime
from bot.services.claims import DeliveryKey
from bot.services.signoff_due import CHASE, SUMMARY, SignOffDue, record_listed, signoff_due

log = logging.getLogger(__name__)


def _render(due: SignOffDue) -> Message:
    if due.kind == SUMMARY:
        return render_not_signed_off(due.plan_name, due.period_key, due.not_signed_off)
    if due.kind in CHASE:
        return render_signoff_chase(due.waiting, due.new, final=due.kind == CHASE[-1])
    return render_awaiting_dm(due.new)


def send_signoff(runtime: Runtime, now: dt.datetime) -> list[str]:
    """Send every sign-off DM owed now; returns `kind:recipient` for each one sent."""
    ctx = runtime.request(now=now)
    sent: list[str] = []
    for due in signoff_due(ctx):
        message = _render(due)

        def send(due: SignOffDue = due, message: Message = message) -> str:
            return runtime.notifier.dm(due.recipient, message.text, message.blocks)

        key = DeliveryKey(due.plan_id, due.period_key, due.kind, due.recipient)
        result = deliver_once(runtime.db, key, send, now=now)
        if result.state is Delivered.SENT:
            sent.append(f"{due.kind}:{due.recipient}")
            record_listed(runtime.db, due.recipient, [i.update_id for i in due.new.items])
        elif result.state is not Delivered.ALREADY:
            log.warning(
                "sign-off DM %s to %s %s: %s", due.kind, due.recipient, result.state, result.detail
            )
    return sent
