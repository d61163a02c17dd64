"""The parts an action is shown with on every Slack surface: its status badge, its target,
its period, its entry in a list and its Update button."""

from __future__ import annotations

import datetime as dt

from bot.domain.dates import short_date, weekday_date
from bot.domain.refs import plan_ref
from bot.domain.status import StatusScheme
from bot.ids import ActionId
from bot.model.views import ListedAction, PeriodInfo
from bot.render.blockkit import DUE_EMOJI, Block, button, escape_mrkdwn, section, shorten
from bot.render.fitting import Entry


def status_badge(scheme: StatusScheme, key: str | None) -> str:
    """`:large_green_circle: On track`, or an em dash for no status."""
    if key is None:
        return "—"
    status = scheme.get(key)
    return f"{status.emoji} {status.label}"


def status_or_due(scheme: StatusScheme, line: ListedAction, period: PeriodInfo) -> str:
    """This period's status, or when it is due while there is none."""
    if line.status is None:
        return f"{DUE_EMOJI} due by {short_date(period.due_date)}"
    return status_badge(scheme, line.status)


def target_words(target: dt.date, revised: dt.date | None) -> str:
    """`target 31 Mar 2020`, or with the revised date first when it has moved."""
    if revised is not None and revised != target:
        return f"target {short_date(revised)} (revised from {short_date(target)})"
    return f"target {short_date(target)}"


def period_words(period: PeriodInfo) -> str:
    """The period, when updates are due, the committee date and whether it is locked."""
    parts = [f"*{escape_mrkdwn(period.label)}*", f"updates due by {weekday_date(period.due_date)}"]
    if period.meeting_date is not None:
        parts.append(f"committee {short_date(period.meeting_date)}")
    if period.locked:
        parts.append(":lock: published and locked")
    return " · ".join(parts)


def update_button(ref: str) -> Block:
    """The Update button: opens the update modal for `ref` (also used in reminder DMs); `ref`
    may name its plan (`bot.domain.refs.plan_ref`)."""
    return button("Update", ActionId.OPEN_UPDATE, ref, style="primary")


def action_section(
    scheme: StatusScheme,
    line: ListedAction,
    period: PeriodInfo,
    *,
    show_owner: bool,
    plan_key: str | None = None,
) -> Block:
    """An action in full: title, statuses, target, owner, and its Update button (naming the
    plan `plan_key`, for a person in several plans, who may have the ref in two)."""
    first = f"*{escape_mrkdwn(line.ref)}* {escape_mrkdwn(shorten(line.title, 300))}"
    facts = [
        f"This period: {status_or_due(scheme, line, period)}",
        f"last period: {status_badge(scheme, line.last_status)}",
        target_words(line.target_date, line.revised_target_date),
    ]
    if line.overdue_target:
        facts[-1] += " :warning: passed"
    who = []
    if show_owner or line.delegated:
        who.append(f"{'for ' if line.delegated else 'owner: '}{escape_mrkdwn(line.owner_name)}")
    if line.owner_away:
        who.append("away")
    text = f"{first}\n{' · '.join(facts)}"
    if who:
        text += f"\n_{' · '.join(who)}_"
    value = plan_ref(plan_key, line.ref)
    accessory = update_button(value) if line.may_update and not line.closed else None
    return section(text, accessory=accessory)


def action_entry(
    scheme: StatusScheme,
    line: ListedAction,
    period: PeriodInfo,
    *,
    show_owner: bool,
    plan_key: str | None = None,
) -> Entry:
    """An action as a list shows it: in full with its button, or on one short line."""
    short = (
        f"*{escape_mrkdwn(line.ref)}* {escape_mrkdwn(shorten(line.title, 90))} · "
        f"{status_or_due(scheme, line, period)}"
    )
    if show_owner or line.delegated:
        owner = escape_mrkdwn(shorten(line.owner_name, 40))
        short += f" · {'for ' if line.delegated else ''}{owner}"
    full = action_section(scheme, line, period, show_owner=show_owner, plan_key=plan_key)
    return Entry(key=escape_mrkdwn(line.ref), line=short, full=(full,))
