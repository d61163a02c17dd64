"""`/actions`: a list of actions in one message, and one action's every update."""

from __future__ import annotations

from bot.domain.dates import short_date
from bot.domain.status import StatusScheme
from bot.model.views import ActionHistory, ActionsList
from bot.render.action_parts import action_entry, period_words, status_badge, target_words
from bot.render.blockkit import (
    MAX_FALLBACK_TEXT,
    Block,
    Message,
    context,
    escape_mrkdwn,
    header,
    quote_mrkdwn,
    section,
    shorten,
)
from bot.render.fitting import MESSAGE_ROOM, Entry, lay_out

# Where the rest of a list can be seen, by the list's scope.
_SEE_ALL = {
    "mine": "Every one is on planbot's *Home* tab; `/actions ACT-n` shows one in full and "
    "`/update ACT-n` updates it.",
    "person": "`/actions ACT-n` shows one in full.",
    "directorate": "Narrow it with `/actions @someone`; `/actions ACT-n` shows one in full.",
    "all": "Narrow it with `/actions directorate:&lt;name&gt;` or `/actions @someone`.",
}


def render_actions_list(actions: ActionsList, scheme: StatusScheme) -> Message:
    """The answer to `/actions`: every action, in full or on a line or by ref, in one message."""
    period = actions.period
    total = len(actions.actions)
    head: list[Block] = [
        header(actions.title),
        context(f"{period_words(period)} · {actions.updated} of {total} updated"),
    ]
    if not actions.actions:
        head.append(section("No open actions here."))
    show_owner = actions.scope != "mine"
    entries = [
        action_entry(scheme, line, period, show_owner=show_owner) for line in actions.actions
    ]
    blocks = lay_out(
        head,
        entries,
        [],
        MESSAGE_ROOM,
        more="…and {n} more",
        pointer=_SEE_ALL.get(actions.scope, _SEE_ALL["person"]),
    )
    text = (
        f"{escape_mrkdwn(actions.title)}: {actions.updated} of {total} updated for {period.label}"
    )
    return Message(text=shorten(text, MAX_FALLBACK_TEXT), blocks=blocks)


_SOURCES = {
    "command": "via /update",
    "modal": "via the update form",
    "button": "via a reminder button",
    "import": "imported",
    "demo": "demo",
}


def render_action_history(history: ActionHistory, scheme: StatusScheme) -> Message:
    """The answer to `/actions ACT-12`: every update, newest first."""
    ref = escape_mrkdwn(history.ref)
    facts = [
        f"owner: {escape_mrkdwn(history.owner_name)}",
        escape_mrkdwn(history.directorate),
        escape_mrkdwn(history.theme),
        target_words(history.target_date, history.revised_target_date),
    ]
    if history.closed:
        facts.append("closed")
    head: list[Block] = [
        header(f"{history.ref} history"),
        section(f"*{ref}* {escape_mrkdwn(shorten(history.title, 500))}\n{' · '.join(facts)}"),
    ]
    if not history.entries:
        head.append(section("No updates yet."))
    entries = []
    for entry in history.entries:
        lead = f"*{escape_mrkdwn(entry.period_label)}*: {status_badge(scheme, entry.status)}"
        if entry.superseded:
            lead += " _(superseded by a later update)_"
        lines = [lead]
        if entry.note:
            lines.append(quote_mrkdwn(entry.note, 2000))
        who = f"By {escape_mrkdwn(entry.author_name)}"
        if entry.on_behalf_of:
            who += f" for {escape_mrkdwn(entry.on_behalf_of)}"
        when = f"{short_date(entry.recorded_at.date())} {entry.recorded_at:%H:%M}"
        meta = [who, when, _SOURCES.get(entry.source, escape_mrkdwn(entry.source))]
        if entry.revised_target_date:
            meta.append(f"revised target {short_date(entry.revised_target_date)}")
        if entry.amendment_reason:
            meta.append(f"amendment: {escape_mrkdwn(shorten(entry.amendment_reason, 300))}")
        lines.append(f"_{' · '.join(meta)}_")
        entries.append(
            Entry(
                key=escape_mrkdwn(entry.period_key),
                line=f"{lead} · {escape_mrkdwn(shorten(entry.author_name, 60))}, {when}",
                full=(section("\n".join(lines)),),
            )
        )
    blocks = lay_out(head, entries, [], MESSAGE_ROOM, more="…and {n} older updates")
    return Message(text=f"{ref}: {len(history.entries)} updates", blocks=blocks)
