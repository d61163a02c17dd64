"""Block Kit for the programme office's notices about reminders: someone who could not be
reached, a request never answered. Pure: data in, message out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.dates import utc_date_time
from bot.errors import DEACTIVATED
from bot.render.blockkit import Message, context, escape_mrkdwn, escaped_line, section
from bot.render.reminders import NAME_CHARS, fallback, short_period

if TYPE_CHECKING:
    from bot.model.reminders import Unanswered, Unreachable


def render_unreachable(items: Unreachable | Sequence[Unreachable]) -> Message:
    """Tells an admin, once, that someone could not be sent their reminders (in one plan, or
    in each of several, named)."""
    found = (items,) if not isinstance(items, Sequence) else tuple(items)
    item = found[0]
    who = f"{escaped_line(item.name, NAME_CHARS)} ({escape_mrkdwn(item.slack_id)})"
    periods = " and ".join(dict.fromkeys(short_period(each.period_key) for each in found))
    where = ""
    if len(found) > 1:
        plans = [escaped_line(each.plan_name or each.plan_key, 200) for each in found]
        where = f" for {', '.join(plans[:-1])} and {plans[-1]}"
    sheet = "each plan's" if len(found) > 1 else "the plan's"
    if item.error == DEACTIVATED:
        text = (
            f"I did not send {periods} reminders{where} to {who}: their Slack "
            "account has been deactivated (Slack says `deleted: true`), so they may have left."
        )
        detail = (
            "Everyone else's reminders go on as planned. Their actions need a new owner: "
            f"change the owner in {sheet} actions sheet and import it again, or set a "
            "delegate for them meanwhile."
        )
    else:
        text = (
            f"I could not send {periods} reminders{where} to {who}: Slack "
            f"answered `{escaped_line(item.error, 100)}`, so their Slack account may be unknown."
        )
        detail = (
            "Everyone else's reminders go on as planned. Please set a delegate for them, or "
            f"correct their Slack ID in {sheet} people list and import it again."
        )
    return Message(fallback(text), [section(f":warning: {text}"), context(detail)])


def render_unanswered(item: Unanswered) -> Message:
    """Tells an admin, once, that a request reached planbot and was never answered."""
    who = f"{escaped_line(item.name, NAME_CHARS)} ({escape_mrkdwn(item.slack_id)})"
    when = utc_date_time(item.received_at)
    text = (
        f"{who} sent planbot `{escaped_line(item.what, 200)}` on {when}, and it was not "
        "answered: planbot stopped before it was done, and was not running again within "
        "30 minutes, while Slack still let it reply."
    )
    detail = (
        "Nothing of it was recorded unless their Home shows it. Please ask them to send it "
        "again, or record it for them."
    )
    return Message(fallback(text), [section(f":warning: {text}"), context(detail)])
