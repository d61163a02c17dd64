"""The scheduled sign-off DMs: the daily lists, the reminders and the programme office's
summary (bot/services/signoff_due.py decides what is due; claims make each go once)."""

from __future__ import annotations

from bot.delivery.signoff import send_signoff
from bot.runtime import Runtime


def tick(runtime: Runtime) -> list[str]:
    """Send every sign-off DM due now; returns `kind:recipient` for each one sent."""
    return send_signoff(runtime, runtime.now())
