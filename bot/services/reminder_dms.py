"""One DM per person per step across every plan: the plans' reminders due now, grouped.

Each plan works out its own ladder (`due_reminders`: its calendar, its send time, its latest
step only). A person who is owed something by several plans at the same step (the owner of
actions in two plans whose deadlines fall on the same day, a director of the same directorate
in both, the programme office's summaries of the day) gets one message listing each plan's
share under that plan's name. Each share keeps its own claim (a `deliveries` row per plan,
period, kind and recipient) and the sender claims a message's shares together, in one
transaction (bot/services/claims.py `claim_deliveries`): so the message goes once, a retry or a
later tick finds every share taken, and a plan whose step comes on another day (or later the
same day) is sent on its own then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.domain.calendar import Cycle
from bot.domain.dates import weekday_date
from bot.model.reminders import Reminder, ReminderDM, Unreachable
from bot.services.context import RequestContext
from bot.services.reminders import due_reminders


def group_dms(reminders: Sequence[Reminder]) -> list[ReminderDM]:
    """`reminders` (each one plan's share) as messages: one per recipient, audience and claim
    kind (the ladder step, or the day's summary), its shares in the order given (by plan)."""
    grouped: dict[tuple[str, str, str], list[Reminder]] = {}
    for reminder in reminders:
        key = (reminder.recipient.slack_id, reminder.audience.value, reminder.kind)
        grouped.setdefault(key, []).append(reminder)
    return [
        ReminderDM(
            recipient=parts[0].recipient,
            audience=parts[0].audience,
            kind=parts[0].kind,
            parts=tuple(parts),
        )
        for parts in grouped.values()
    ]


def due_dms(ctx: RequestContext) -> list[ReminderDM]:
    """The messages due now, across every plan `ctx` covers: one per person per step."""
    return group_dms(due_reminders(ctx))


def group_unreachable(items: Sequence[Unreachable]) -> list[tuple[Unreachable, ...]]:
    """Reports of someone unreachable, one message per admin and person: the plans where they
    could not be reached, together."""
    grouped: dict[tuple[str, str], list[Unreachable]] = {}
    for item in items:
        grouped.setdefault((item.admin.slack_id, item.slack_id), []).append(item)
    return [tuple(found) for found in grouped.values()]


def idle_reason(ctx: RequestContext) -> str | None:
    """Why nothing may go out now in any plan `ctx` covers (a weekend, a bank holiday of each
    plan's calendar, before each plan's send time), or None when some plan may send."""
    with ctx.db.read_session() as session:
        cycles = {plan.key: ctx.cycle(plan) for plan in ctx.plans(session)}
    if not cycles:
        cycles = {"": ctx.default_cycle}
    if any(cycle.can_send_now(ctx.now) for cycle in cycles.values()):
        return None
    reasons: dict[str, list[str]] = {}
    for key, cycle in cycles.items():
        reasons.setdefault(_why_not_now(cycle, ctx.now), []).append(key)
    if len(reasons) == 1:
        return next(iter(reasons))
    return "; ".join(f"{', '.join(keys)}: {why}" for why, keys in reasons.items())


def _why_not_now(cycle: Cycle, now: dt.datetime) -> str:
    local = now.astimezone(cycle.tz)
    day = local.date()
    if day.weekday() >= 5:
        return f"{local:%A} is not a working day"
    if (holiday := cycle.calendar.holiday_name(day)) is not None:
        return f"{weekday_date(day)} is a bank holiday ({holiday})"
    return f"reminders go out from {cycle.rules.send_at:%H:%M} ({cycle.tz.key})"
