# Over 400 lines: one plan's reminder DMs (owners', directors', admins') share their parts here;
# several plans' DMs are laid out from them in reminder_dms.py.
"""Block Kit for reminder, escalation and summary DMs; pure: data in, message out.

Slack's limits shape the layout (`bot.render.blockkit`, laid out by `bot.render.fitting`):
50 blocks and about 12,000 characters of block text a message, 3000 a section. An owner
with many actions still gets one message, which tells them of every one: a section and two
buttons per action when they fit; else a section with an Update button for as many as fit,
a line for the others, then the refs of any still left, and where to see them all (the App
Home, through *Open planbot*). Everything a person typed (titles, notes, names) is escaped,
so `<!channel>` in a note pings nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.domain.calendar import Step
from bot.domain.dates import short_date, weekday_date
from bot.domain.indicators import format_value
from bot.domain.periods import Period
from bot.ids import ActionId
from bot.render.action_parts import status_badge, update_button
from bot.render.blockkit import (
    BLOCK_TEXT_BUDGET,
    Block,
    Message,
    actions_block,
    button,
    confirm_dialog,
    context,
    escape_mrkdwn,
    escaped_line,
    header,
    section,
    shorten,
    text_message,
)
from bot.render.fitting import MESSAGE_ROOM, Entry, block_text, lay_out, pack

if TYPE_CHECKING:
    from bot.model.reminders import (
        OutstandingAction,
        OutstandingIndicator,
        Reminder,
    )
    from bot.model.updates import RecordedUpdate

FALLBACK_CHARS = 300  # of the notification text; the blocks carry the detail
TITLE_CHARS = 200
NOTE_CHARS = 300
NAME_CHARS = 100
LINE_TITLE_CHARS = 80  # a title on one line of a long list
READER_TITLE_CHARS = 100


def short_period(period_key: str) -> str:
    """`Q3 2019/20`."""
    return Period.from_key(period_key).short_label


def last_badge(action: OutstandingAction) -> str:
    """The last status in the plan's own words: `:large_green_circle: On track`."""
    return " ".join(filter(None, (action.last_emoji, action.last_label))) or "—"


def last_status(action: OutstandingAction) -> str:
    if action.last_status is None or action.last_period_key is None:
        return "no earlier update"
    return f"{short_period(action.last_period_key)}: {last_badge(action)}"


def button_block_id(plan_key: str, ref: str) -> str:
    """The block an action's buttons are in: `reminder_<plan>_<ref>`. A button's value is the
    ref alone; Slack reports the block with every press, so it says which plan's action a
    press is for where a person has the same ref in two plans."""
    return f"{_BUTTON_BLOCK}{plan_key}_{ref}"


_BUTTON_BLOCK = "reminder_"


def plan_of_button_block(block_id: str, ref: str) -> str | None:
    """The plan key `button_block_id` put in a block's id, for the action `ref`; else None."""
    suffix = f"_{ref}"
    if block_id.startswith(_BUTTON_BLOCK) and block_id.endswith(suffix):
        return block_id[len(_BUTTON_BLOCK) : -len(suffix)] or None
    return None


def _home_button() -> Block:
    return button("Open planbot", ActionId.OPEN_HOME, "home")


def footer() -> list[Block]:
    return [actions_block([_home_button()], block_id="reminder_home")]


def no_change_button(action: OutstandingAction, period_key: str) -> Block:
    confirm = confirm_dialog(
        "No change since last quarter?",
        f"This records {action.ref} for {short_period(period_key)} as "
        f"{last_badge(action)} again, with last quarter's note.",
        confirm="Record it",
        deny="Cancel",
    )
    return button("No change since last quarter", ActionId.NO_CHANGE, action.ref, confirm=confirm)


def fallback(text: str) -> str:
    return shorten(text, FALLBACK_CHARS)


def greeting(name: str) -> str:
    first = name.split()[0] if name.split() else name
    return f"Hi {escaped_line(first, NAME_CHARS)}"


def notes_text(notes: Sequence[str]) -> str:
    return "".join(f"\n_{escaped_line(note, 500)}_" for note in notes)


# -- owners ------------------------------------------------------------------------------------


OWNER_HEADERS: dict[Step, str] = {
    Step.INVITATION: "Time to update your actions for {period}",
    Step.REMINDER: "Reminder: {period} updates are due {deadline}",
    Step.FINAL_REMINDER: "Final reminder: {period} updates are due {deadline}",
    Step.DEADLINE: "{period} updates are due today",
    Step.OVERDUE: "Overdue: {period} updates were due {deadline}",
    Step.ESCALATION: "Escalated: {period} updates were due {deadline}",
}


def action_text(action: OutstandingAction, recipient_id: str, today: dt.date) -> str:
    facts = []
    if action.owner_slack_id != recipient_id:
        facts.append(f"for {escaped_line(action.owner_name, NAME_CHARS)}")
    target = f"target {weekday_date(action.target_date)}"
    if action.target_date < today:
        target += " (passed: give a revised date)"
    facts.append(target)
    last = last_status(action)
    if action.last_note.strip():
        last += f" — _{escaped_line(action.last_note, NOTE_CHARS)}_"
    facts.append(last)
    return (
        f"*{escape_mrkdwn(action.ref)}* {escaped_line(action.title, TITLE_CHARS)}\n"
        + " · ".join(facts)
    )


def action_section(action: OutstandingAction, recipient_id: str, today: dt.date) -> str:
    """An action on one short line, for a list too long to show each in full."""
    line = f"• *{escape_mrkdwn(action.ref)}* {escaped_line(action.title, LINE_TITLE_CHARS)} · "
    line += f"target {short_date(action.target_date)}"
    if action.target_date < today:
        line += " (passed)"
    if action.owner_slack_id != recipient_id:
        line += f" · for {escaped_line(action.owner_name, 40)}"
    return line


# Where a reminder too long to show every action in full sends the person for the rest.
OWNER_SEE_ALL = (
    "Too many to show each in full here: open planbot to see them all on its Home tab (or "
    "type `/actions`); `/update ACT-n` updates any of them."
)
UPDATE_HINT = "Or type `/update ACT-n {status} &lt;note&gt;` in any channel."


INDICATOR_LINES = 2  # sections of indicators a DM shows at most; the rest are counted


def indicator_line(indicator: OutstandingIndicator, *, reader: bool) -> str:
    target = (
        format_value(indicator.target, indicator.unit, indicator.decimals)
        if indicator.target is not None
        else "no target set"
    )
    line = (
        f"• *{escape_mrkdwn(indicator.ref)}* {escaped_line(indicator.title, READER_TITLE_CHARS)}"
        f" — target {escape_mrkdwn(target)}"
    )
    if indicator.last_period_key is not None:
        last = format_value(indicator.last_actual, indicator.unit, indicator.decimals)
        if indicator.last_actual is None:
            last = "n/a"
        line += f", last {escape_mrkdwn(last)} ({short_period(indicator.last_period_key)})"
    if reader:
        line += f" — {escaped_line(indicator.owner_name, NAME_CHARS)}"
    return line


def indicator_sections(indicators: Sequence[OutstandingIndicator], *, reader: bool) -> list[Block]:
    """The indicators with no figure yet, in at most `INDICATOR_LINES` sections."""
    if not indicators:
        return []
    count = len(indicators)
    lead = f"*{count} indicator{'s' if count != 1 else ''} with no figure yet*"
    if not reader:
        lead += " — report one with `/update PI-n &lt;value&gt; &lt;note&gt;`"
    texts = pack([lead, *(indicator_line(i, reader=reader) for i in indicators)])
    if len(texts) > INDICATOR_LINES:
        shown = texts[:INDICATOR_LINES]
        listed = sum(text.count("\n• ") + text.startswith("• ") for text in shown)
        shown[-1] += f"\n…and {count - listed} more (every one is in `/actions`)"
        texts = shown
    return [section(text) for text in texts]


def count_words(actions: int, indicators: int) -> str:
    """`2 actions need`, `1 indicator needs`, `2 actions and 1 indicator need`."""
    parts = [
        f"{n} {noun}{'s' if n != 1 else ''}"
        for n, noun in ((actions, "action"), (indicators, "indicator"))
        if n
    ]
    verb = "needs" if len(parts) == 1 and (actions or indicators) == 1 else "need"
    return f"{' and '.join(parts) or '0 actions'} {verb}"


def render_owner_reminder(reminder: Reminder) -> Message:
    """One DM telling the recipient of every outstanding action of theirs (and of those they
    stand in for): each in full with its buttons where they fit, else listed or counted; then
    the indicators with no figure yet."""
    period = short_period(reminder.period_key)
    deadline = weekday_date(reminder.update_deadline)
    count = len(reminder.actions)
    title = OWNER_HEADERS[reminder.step].format(period=period, deadline=deadline)
    intro = (
        f"{greeting(reminder.recipient.name)}, "
        f"{count_words(count, len(reminder.indicators))} an update for "
        f"*{escape_mrkdwn(reminder.period_label)}*, due by *{deadline}*, for the "
        f"{escaped_line(reminder.plan_name, 200)} report."
    )
    if reminder.step is Step.OVERDUE:
        intro += " The director will be told about anything still missing."
    elif reminder.step is Step.ESCALATION:
        intro += " What is still missing has now been escalated; an update still counts."
    head = [
        header(title),
        section(intro + notes_text(reminder.notes)),
        *indicator_sections(reminder.indicators, reader=False),
    ]
    tail = [*footer(), context(UPDATE_HINT.format(status=escape_mrkdwn(reminder.status_word)))]
    refs = ", ".join((*reminder.refs, *reminder.indicator_refs))
    counted = count_words(count, len(reminder.indicators)).rsplit(" ", 1)[0]
    text = fallback(f"{title}: {counted} ({refs})")
    return Message(text, _owner_layout(reminder, head, tail))


def _owner_layout(reminder: Reminder, head: list[Block], tail: list[Block]) -> list[Block]:
    recipient, today = reminder.recipient.slack_id, reminder.day
    texts = [action_text(action, recipient, today) for action in reminder.actions]
    # A section and a row of buttons for each action, when every one fits so.
    whole = list(head)
    for action, text in zip(reminder.actions, texts, strict=True):
        buttons = [update_button(action.ref)]
        if action.no_change_ok:
            buttons.append(no_change_button(action, reminder.period_key))
        whole += [
            section(text),
            actions_block(buttons, block_id=button_block_id(reminder.plan_key, action.ref)),
        ]
    whole += tail
    if MESSAGE_ROOM.holds(whole):
        return whole
    # Else a section with an Update button for as many as fit, and the rest on lines.
    entries = [
        Entry(
            key=f"*{escape_mrkdwn(action.ref)}*",
            line=action_section(action, recipient, today),
            full=(
                section(
                    text,
                    accessory=update_button(action.ref),
                    block_id=button_block_id(reminder.plan_key, action.ref),
                ),
            ),
        )
        for action, text in zip(reminder.actions, texts, strict=True)
    ]
    return lay_out(head, entries, tail, MESSAGE_ROOM, more="…and {n} more", pointer=OWNER_SEE_ALL)


# -- directors and admins ------------------------------------------------------------------------


def by_directorate(
    actions: Sequence[OutstandingAction], line: Callable[[OutstandingAction], str]
) -> list[Entry]:
    """A line per action; the first of each directorate starts with its name and count, in
    its line and in its key, so a list shown by ref still says whose they are."""
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.directorate] = counts.get(action.directorate, 0) + 1
    entries: list[Entry] = []
    current: str | None = None
    for action in actions:
        text, key = line(action), f"*{escape_mrkdwn(action.ref)}*"
        if action.directorate != current:
            current = action.directorate
            heading = f"*{escaped_line(current, 200)}* ({counts[current]})"
            text, key = f"{heading}\n{text}", f"{heading} {key}"
        entries.append(Entry(key=key, line=text))
    return entries


def reader_line(action: OutstandingAction) -> str:
    return (
        f"• *{escape_mrkdwn(action.ref)}* {escaped_line(action.title, READER_TITLE_CHARS)} — "
        f"{escaped_line(action.owner_name, NAME_CHARS)} ({last_status(action)})"
    )


def owners_to_follow_up(actions: Sequence[OutstandingAction]) -> list[Block]:
    """Every owner with how many of the actions are theirs, in as many sections as it takes
    (at most half a message: beyond that, the rest are counted)."""
    counts: dict[str, int] = {}
    named: dict[str, str] = {}
    for action in actions:
        counts[action.owner_slack_id] = counts.get(action.owner_slack_id, 0) + 1
        named[action.owner_slack_id] = action.owner_name
    owners = sorted(counts, key=lambda owner: (-counts[owner], named[owner]))
    if not owners:
        return []
    who = "the owner" if len(owners) == 1 else f"these {len(owners)} owners"
    lead = f"*Please follow up with {who}*: "
    for limit in (NAME_CHARS, 40, 20):
        parts = [f"{escaped_line(named[owner], limit)} ({counts[owner]})" for owner in owners]
        blocks = [section(text) for text in pack([lead + parts[0], *parts[1:]], sep=", ")]
        if block_text(blocks) <= BLOCK_TEXT_BUDGET // 2:
            return blocks
    kept: list[str] = []
    size = len(lead)
    for part in parts:
        size += len(part) + 2
        if size > BLOCK_TEXT_BUDGET // 2 - 200:
            break
        kept.append(part)
    rest = len(parts) - len(kept)
    kept.append(f"and {rest} more owners (each named in `/digest`)")
    return [section(text) for text in pack([lead + kept[0], *kept[1:]], sep=", ")]


def directorate_hint(actions: Sequence[OutstandingAction]) -> str:
    names = sorted({action.directorate for action in actions})
    if len(names) == 1:
        return f"`/actions directorate:{escaped_line(names[0], 200)}`"
    return "`/actions directorate:&lt;name&gt;`"


def render_escalation(reminder: Reminder) -> Message:
    """The director's DM: every owner to follow up, and every outstanding action of their
    directorate listed (or, beyond what one message holds, by ref and counted)."""
    period = short_period(reminder.period_key)
    count = len(reminder.actions)
    title = f"Escalation: {count} {'action has' if count == 1 else 'actions have'} no "
    title += f"{period} update"
    intro = (
        f"{greeting(reminder.recipient.name)}, {'this action' if count == 1 else 'these actions'}"
        f" in your directorate had no update for *{escape_mrkdwn(reminder.period_label)}* by the "
        f"deadline, *{weekday_date(reminder.update_deadline)}*. The owners have been reminded."
    )
    head = [
        header(title),
        section(intro + notes_text(reminder.notes)),
        *owners_to_follow_up(reminder.actions),
        *indicator_sections(reminder.indicators, reader=True),
    ]
    entries = by_directorate(reminder.actions, reader_line)
    pointer = (
        f"Every one is on planbot's Home tab (press *Open planbot*) and in "
        f"{directorate_hint(reminder.actions)}."
    )
    text = fallback(f"{title}: {', '.join(reminder.refs)}")
    blocks = lay_out(head, entries, footer(), MESSAGE_ROOM, more="…and {n} more", pointer=pointer)
    return Message(text, blocks)


def render_admin_summary(reminder: Reminder) -> Message:
    """The programme office's summary of everything still outstanding for the period."""
    period = short_period(reminder.period_key)
    count, total = len(reminder.actions), reminder.open_actions
    escalated = reminder.escalated
    title = f"{'Escalated' if escalated else 'Still outstanding'}: {period}, {count} of {total}"
    title += " actions"
    directorates = len({a.directorate for a in reminder.actions})
    intro = (
        f"{count} of {total} open actions have no update for "
        f"*{escape_mrkdwn(reminder.period_label)}* "
        f"(due {weekday_date(reminder.update_deadline)}), across {directorates} "
        f"{'directorate' if directorates == 1 else 'directorates'}."
    )
    if escalated:
        intro += " Their directors have been sent the list for their directorate today."
    head = [
        header(title),
        section(intro + notes_text(reminder.notes)),
        *indicator_sections(reminder.indicators, reader=True),
    ]
    entries = by_directorate(reminder.actions, reader_line)
    pointer = (
        "Who is outstanding in each directorate is on planbot's Home tab (press *Open planbot*); "
        f"{directorate_hint(reminder.actions)} lists one, and `/digest` compiles the report."
    )
    text = fallback(f"{title} ({weekday_date(reminder.day)})")
    blocks = lay_out(head, entries, footer(), MESSAGE_ROOM, more="…and {n} more", pointer=pointer)
    return Message(text, blocks)


# -- replies to the buttons ----------------------------------------------------------------------


def render_no_change_recorded(recorded: RecordedUpdate) -> Message:
    """What the person who pressed "No change since last quarter" sees, privately (the status
    in the words of its plan's scheme)."""
    what = (
        f"*{escape_mrkdwn(recorded.ref)}* {escaped_line(recorded.title, TITLE_CHARS)} — "
        f"{short_period(recorded.period_key)}: {status_badge(recorded.scheme, recorded.status)}, "
        "no change since last quarter"
    )
    if recorded.on_behalf:
        what += f", for {escaped_line(recorded.owner_name, NAME_CHARS)}"
    lead = "Already recorded" if recorded.duplicate else ":white_check_mark: Recorded"
    text = f"{lead}: {what}."
    blocks = [section(text)]
    if recorded.note:
        blocks.append(context(f"Note: {escape_mrkdwn(shorten(recorded.note, 1500))}"))
    return Message(fallback(text), blocks)


def home_link(team_id: str, app_id: str) -> str:
    """Slack's link to the app's conversation (the Home tab is the first tab there); its
    `&` written as an entity, as in any mrkdwn (a `slack://` deep link is not a link token)."""
    return f"https://slack.com/app_redirect?app={app_id}&amp;team={team_id}"


def render_home_link(team_id: str, app_id: str) -> Message:
    """A reply to *Open planbot*: where the App Home is, and a link to it."""
    text = (
        "Your actions, what is due and your last updates are on planbot's *Home* tab: the "
        f"first tab at the top of the <{home_link(team_id, app_id)}|planbot> conversation."
    )
    return text_message(text)
