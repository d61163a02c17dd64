"""`/actions`: a list of actions in one message (a list for each plan), and one action's every
update."""

from __future__ import annotations

from bot.domain.dates import short_date
from bot.model.views import ActionHistory, ActionsByPlan, ActionsList
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
from bot.render.grouped import ListPart, lay_out_parts
from bot.render.replies import ACTIONS_HELP

# Where the rest of a list can be seen, by the list's scope (`{plan}`: the plan's key and a
# space where there are several plans, else nothing).
_SEE_ALL = {
    "mine": "Every one is on planbot's *Home* tab; `/actions {plan}ACT-n` shows one in full and "
    "`/update {plan}ACT-n` updates it.",
    "person": "`/actions {plan}ACT-n` shows one in full.",
    "directorate": "Narrow it with `/actions {plan}@someone`; `/actions {plan}ACT-n` shows one "
    "in full.",
    "all": "Narrow it with `/actions {plan}directorate:&lt;name&gt;` or `/actions {plan}@someone`.",
}


def _list_part(actions: ActionsList, *, several: bool) -> ListPart:
    """One plan's list: its head (the plan's name first when there are `several`), and an
    entry for each action in the plan's statuses."""
    period = actions.period
    total = len(actions.actions)
    if several:
        title = "Every action" if actions.scope == "all" else actions.title
        head: list[Block] = [
            header(actions.plan_name),
            context(
                f"*{escape_mrkdwn(title)}* · {period_words(period)} · "
                f"{actions.updated} of {total} updated"
            ),
        ]
    else:
        head = [
            header(actions.title),
            context(f"{period_words(period)} · {actions.updated} of {total} updated"),
        ]
    if not actions.actions:
        head.append(section("No open actions here."))
    show_owner = actions.scope != "mine"
    return ListPart(
        head,
        [
            action_entry(
                actions.scheme,
                line,
                period,
                show_owner=show_owner,
                plan_key=actions.plan_key if several else None,
            )
            for line in actions.actions
        ],
        "…and {n} more",
        _SEE_ALL.get(actions.scope, _SEE_ALL["person"]).format(
            plan=f"{escape_mrkdwn(actions.plan_key)} " if several else ""
        ),
    )


def render_actions_list(actions: ActionsList) -> Message:
    """The answer to `/actions` in one plan: every action, in full or on a line or by ref,
    in one message."""
    return render_actions_by_plan(ActionsByPlan((actions,)))


def render_actions_by_plan(grouped: ActionsByPlan) -> Message:
    """The answer to `/actions`: a list for each plan (its name as a heading when there are
    several), every action in full or on a line or by ref, all in one message."""
    several = len(grouped.lists) > 1
    parts = [_list_part(actions, several=several) for actions in grouped.lists]
    blocks = [block for laid in lay_out_parts(parts, MESSAGE_ROOM) for block in laid]
    counts = [
        f"{actions.updated} of {len(actions.actions)} updated for {actions.period.label}"
        for actions in grouped.lists
    ]
    if several:
        text = "; ".join(
            f"{escape_mrkdwn(actions.plan_name)}: {escape_mrkdwn(actions.title)}, {count}"
            for actions, count in zip(grouped.lists, counts, strict=True)
        )
    else:
        text = f"{escape_mrkdwn(grouped.lists[0].title)}: {counts[0]}"
    return Message(text=shorten(text, MAX_FALLBACK_TEXT), blocks=blocks)


def render_actions_help() -> Message:
    """`/actions help`: the ways to ask, and how to name a plan."""
    text = (
        f"{ACTIONS_HELP}\n• In several plans: name the plan first, `/actions strategy all`, "
        "`/actions strategy ACT-12`."
    )
    return Message(
        text=shorten(ACTIONS_HELP.splitlines()[0].strip("*"), 200), blocks=[section(text)]
    )


_SOURCES = {
    "command": "via /update",
    "modal": "via the update form",
    "button": "via a reminder button",
    "import": "imported",
    "demo": "demo",
}


def render_action_history(history: ActionHistory) -> Message:
    """The answer to `/actions ACT-12`: every update, newest first, in the plan's statuses."""
    scheme = history.scheme
    ref = escape_mrkdwn(history.ref)
    plan = [escape_mrkdwn(history.plan_name)] if history.plan_name else []
    facts = [
        *plan,
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
