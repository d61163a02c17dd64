"""The App Home tab: for each of the person's plans, your actions first, then a director's
directorate or the whole plan, each listed whole within what a Home tab holds."""

from __future__ import annotations

from bot.domain.dates import short_date, weekday_date
from bot.domain.status import StatusScheme
from bot.errors import PlanbotError
from bot.model.views import DirectorateProgress, Home, HomeTab
from bot.render.action_parts import action_entry, period_words, status_badge
from bot.render.blockkit import (
    Block,
    View,
    context,
    divider,
    escape_mrkdwn,
    header,
    home_view,
    section,
    shorten,
)
from bot.render.fitting import VIEW_ROOM, Entry, Room, pack
from bot.render.grouped import ListPart, lay_out_parts
from bot.render.replies import render_refusal
from bot.render.signoff import awaiting_blocks


def _counts(scheme: StatusScheme, counts: dict[str, int], updated: int, total: int) -> str:
    parts = [
        f"{status_badge(scheme, key)}: {counts[key]}" for key in scheme.keys if counts.get(key)
    ]
    lead = f"*{updated} of {total}* updated"
    return f"{lead}\n{' · '.join(parts)}" if parts else lead


def _directorate_entry(progress: DirectorateProgress) -> Entry:
    """A directorate on an admin's Home: its count, and who has not yet replied."""
    name = escape_mrkdwn(progress.name)
    lead = f"*{name}*: {progress.updated} of {progress.total} updated"
    waiting = [
        f"{escape_mrkdwn(line.ref)} ({escape_mrkdwn(shorten(line.owner_name, 60))})"
        for line in progress.outstanding
    ]
    full = (
        [
            section(text)
            for text in pack([f"{lead}\nOutstanding: {waiting[0]}", *waiting[1:]], sep=", ")
        ]
        if waiting
        else [section(lead)]
    )
    outstanding = len(progress.outstanding)
    short = f"{lead}, {outstanding} outstanding" if outstanding else lead
    return Entry(key=f"{name} ({outstanding} outstanding)", line=short, full=tuple(full))


HOME_FOOTER = (
    "`/update ACT-12 green &lt;note&gt;` to report · `/actions` for a list · `/planbot help`"
)
# With several plans: a ref two of them have is named with its plan.
HOME_FOOTER_PLANS = (
    "`/update ACT-12 green &lt;note&gt;` to report (`/update &lt;plan&gt; ACT-12 …` where two "
    "plans have ACT-12) · `/actions` for a list · `/planbot help`"
)


def _plan_head(home: Home) -> list[Block]:
    """A plan's part of the Home begins with its name, its period, and any absence in it."""
    head: list[Block] = [
        header(f"{home.plan_name}"),
        context(period_words(home.period)),
    ]
    if home.away_from is not None:
        until = f" to {short_date(home.away_to)}" if home.away_to else ""
        who = (
            f"{escape_mrkdwn(home.delegate_name)} gets your reminders"
            if home.delegate_name
            else "your reminders go to your director"
        )
        head.append(
            section(f":palm_tree: Away {short_date(home.away_from)}{until}; {who}. `/planbot back`")
        )
    return head


def _plan_parts(home: Home, *, several: bool) -> list[ListPart]:
    """A plan's lists: your actions, then a director's directorate or an admin's whole plan
    (`several`: commands the Home suggests name the plan)."""
    scheme, period = home.scheme, home.period
    named = f"{escape_mrkdwn(home.plan_key)} " if several else ""
    plan = home.plan_key if several else None  # the Update buttons name it
    parts: list[ListPart] = []
    mine_head: list[Block] = [section("*Your actions*")]
    if home.mine:
        due = sum(1 for line in home.mine if line.outstanding)
        mine_head.append(
            context(
                f"{due} to update by {weekday_date(period.due_date)}"
                if due
                else ":tada: All your actions are updated for this period."
            )
        )
    else:
        mine_head.append(context("You have no open actions in this plan."))
    parts.append(
        ListPart(
            mine_head,
            [
                action_entry(scheme, line, period, show_owner=False, plan_key=plan)
                for line in home.mine
            ],
            "…and {n} more of yours",
            f"`/update {named}ACT-n` updates any of them; `/actions {named}ACT-n` shows one "
            "in full.",
        )
    )

    if home.role == "director" and home.directorate:
        mine_refs = {m.ref for m in home.mine}
        others = [line for line in home.team if line.ref not in mine_refs]
        parts.append(
            ListPart(
                [
                    divider(),
                    section(f"*{escape_mrkdwn(home.directorate)}* this period"),
                    section(_counts(scheme, home.status_counts, home.updated, home.total)),
                ],
                [
                    action_entry(scheme, line, period, show_owner=True, plan_key=plan)
                    for line in others
                ],
                "…and {n} more in the directorate",
                f"`/actions {named}directorate:{escape_mrkdwn(home.directorate)}` lists them.",
                first=False,
            )
        )

    if home.role == "admin":
        parts.append(
            ListPart(
                [
                    divider(),
                    section("*Plan progress*"),
                    section(_counts(scheme, home.status_counts, home.updated, home.total)),
                ],
                [_directorate_entry(progress) for progress in home.by_directorate],
                "…and {n} more directorates",
                f"`/actions {named}directorate:&lt;name&gt;` lists one.",
                first=False,
            )
        )
    return parts


# The sign-off list takes at most this much of the Home; the plans' lists get the rest.
SIGNOFF_ROOM = Room(VIEW_ROOM.blocks // 2, size=(VIEW_ROOM.size or 0) // 2)


def render_home(tab: HomeTab) -> View:
    """The App Home for an owner, a director or an admin: within a Home tab at any size, a
    part for each of their plans (its name as a heading), and in each your own actions first
    and every one of them listed (in full, on a line, or by ref), in the plan's statuses."""
    several = len(tab.homes) > 1
    heads = [
        [*([divider()] if index else []), *_plan_head(home)] for index, home in enumerate(tab.homes)
    ]
    plan_parts = [_plan_parts(home, several=several) for home in tab.homes]
    footer = context(HOME_FOOTER_PLANS if several else HOME_FOOTER)
    blocks: list[Block] = []
    if tab.signoff is not None:  # first: what waits on this person's decision
        blocks += awaiting_blocks(tab.signoff, SIGNOFF_ROOM, title="To sign off")
        blocks.append(divider())
    room = VIEW_ROOM.less([*blocks, *(block for head in heads for block in head), footer])
    laid = iter(lay_out_parts([part for parts in plan_parts for part in parts], room))
    for head, parts in zip(heads, plan_parts, strict=True):
        blocks += head
        for _ in parts:
            blocks += next(laid)
    blocks.append(footer)
    return home_view(blocks)


def render_stranger_home(error: PlanbotError) -> View:
    """The App Home for someone who is not one of the plan's people (or with no plan)."""
    return home_view(render_refusal(error).blocks)
