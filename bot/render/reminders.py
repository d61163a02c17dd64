"""Block Kit for reminder, escalation and summary DMs; pure: data in, message out.

Slack's limits shape the layout: at most 50 blocks a message and 3000 characters a section.
An owner with many actions still gets one message: the layout steps down from a section
and two buttons per action, to a section with one button, to a packed list. Everything a
person typed (titles, notes, names) is escaped, so `<!channel>` in a note pings nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from bot.domain.calendar import Step
from bot.domain.periods import Period
from bot.domain.status import DEFAULT_SCHEME
from bot.ids import ActionId
from bot.render.blocks import (
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    Block,
    Message,
    badge,
    button,
    context,
    cut,
    escape,
    header,
    plain,
    section,
    update_button,
    weekday,
)

if TYPE_CHECKING:
    from bot.services.reminders import OutstandingAction, Reminder, Unreachable
    from bot.services.updates import RecordedUpdate

MAX_FALLBACK = 300  # the notification text; the blocks carry the detail
TITLE_CHARS = 200
NOTE_CHARS = 300
NAME_CHARS = 100


def typed(text: str, limit: int) -> str:
    """Text a person typed, on one line, shortened to `limit` and escaped for mrkdwn."""
    return escape(cut(" ".join(text.split()), limit))


def short_period(period_key: str) -> str:
    """`Q3 2019/20`."""
    return Period.from_key(period_key).short_label


def _last_status(action: OutstandingAction) -> str:
    if action.last_status is None or action.last_period_key is None:
        return "no earlier update"
    return f"{short_period(action.last_period_key)}: {badge(DEFAULT_SCHEME, action.last_status)}"


def _home_button() -> Block:
    return button("Open planbot", ActionId.OPEN_HOME, "home")


def _footer() -> list[Block]:
    return [{"type": "actions", "block_id": "reminder_home", "elements": [_home_button()]}]


def _no_change_button(action: OutstandingAction, period_key: str) -> Block:
    element = button("No change since last quarter", ActionId.NO_CHANGE, action.ref)
    element["confirm"] = {
        "title": plain("No change since last quarter?", 100),
        "text": plain(
            f"This records {action.ref} for {short_period(period_key)} as "
            f"{badge(DEFAULT_SCHEME, action.last_status)} again, with last quarter's note.",
            300,
        ),
        "confirm": plain("Record it", 30),
        "deny": plain("Cancel", 30),
    }
    return element


def _pack(lines: Iterable[str], limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Lines joined into as few texts of at most `limit` characters as they fit in."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _sections(head: list[Block], texts: list[str], tail: list[Block], more: str) -> list[Block]:
    """head + one section per text + tail, within 50 blocks; the overflow is summed up."""
    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    if len(texts) > room:
        texts = [*texts[: room - 1], more]
    return [*head, *(section(text) for text in texts), *tail]


def _fallback(text: str) -> str:
    return cut(text, MAX_FALLBACK)


def _greeting(name: str) -> str:
    first = name.split()[0] if name.split() else name
    return f"Hi {typed(first, NAME_CHARS)}"


def _notes(notes: Sequence[str]) -> str:
    return "".join(f"\n_{typed(note, 500)}_" for note in notes)


# -- owners ------------------------------------------------------------------------------------


_OWNER_HEADERS: dict[Step, str] = {
    Step.INVITATION: "Time to update your actions for {period}",
    Step.REMINDER: "Reminder: {period} updates are due {deadline}",
    Step.FINAL_REMINDER: "Final reminder: {period} updates are due {deadline}",
    Step.DEADLINE: "{period} updates are due today",
    Step.OVERDUE: "Overdue: {period} updates were due {deadline}",
    Step.ESCALATION: "Escalated: {period} updates were due {deadline}",
}


def _action_text(action: OutstandingAction, recipient_id: str, today: dt.date) -> str:
    facts = []
    if action.owner_slack_id != recipient_id:
        facts.append(f"for {typed(action.owner_name, NAME_CHARS)}")
    target = f"target {weekday(action.target_date)}"
    if action.target_date < today:
        target += " (passed: give a revised date)"
    facts.append(target)
    last = _last_status(action)
    if action.last_note.strip():
        last += f" — _{typed(action.last_note, NOTE_CHARS)}_"
    facts.append(last)
    return f"*{escape(action.ref)}* {typed(action.title, TITLE_CHARS)}\n" + " · ".join(facts)


def render_owner_reminder(reminder: Reminder) -> Message:
    """One DM listing every outstanding action of the recipient (and those they stand in for)."""
    period = short_period(reminder.period_key)
    deadline = weekday(reminder.update_deadline)
    count = len(reminder.actions)
    noun = "action needs" if count == 1 else "actions need"
    title = _OWNER_HEADERS[reminder.step].format(period=period, deadline=deadline)
    intro = (
        f"{_greeting(reminder.recipient.name)}, {count} {noun} an update for "
        f"*{escape(reminder.period_label)}*, due by *{deadline}*, for the "
        f"{typed(reminder.plan_name, 200)} report."
    )
    if reminder.step is Step.OVERDUE:
        intro += " The director will be told about anything still missing."
    elif reminder.step is Step.ESCALATION:
        intro += " What is still missing has now been escalated; an update still counts."
    head = [header(title), section(intro + _notes(reminder.notes))]
    tail = [*_footer(), context("Or type `/update ACT-n green <note>` in any channel.")]
    texts = [
        _action_text(action, reminder.recipient.slack_id, reminder.day)
        for action in reminder.actions
    ]
    text = _fallback(f"{title}: {count} {noun.split()[0]} ({', '.join(reminder.refs)})")
    return Message(text, _owner_layout(reminder, head, texts, tail))


def _owner_layout(
    reminder: Reminder, head: list[Block], texts: list[str], tail: list[Block]
) -> list[Block]:
    room = MAX_MESSAGE_BLOCKS - len(head) - len(tail)
    pairs = list(zip(reminder.actions, texts, strict=True))
    if 2 * len(pairs) <= room:
        blocks = list(head)
        for action, text in pairs:
            buttons = [update_button(action.ref)]
            if action.no_change_ok:
                buttons.append(_no_change_button(action, reminder.period_key))
            blocks += [
                section(text),
                {"type": "actions", "block_id": f"reminder_{action.ref}", "elements": buttons},
            ]
        return [*blocks, *tail]
    if len(pairs) <= room:
        return [*head, *(section(text, accessory=update_button(a.ref)) for a, text in pairs), *tail]
    # Too many for a button each: one packed list; the App Home and /update do the rest.
    return _sections(head, _pack(texts), tail, "…and more: open planbot to see them all.")


# -- directors and admins ------------------------------------------------------------------------


def _by_directorate(
    actions: Sequence[OutstandingAction], line: Callable[[OutstandingAction], str]
) -> list[str]:
    """Per directorate: a bold heading with a count, then a line per action."""
    lines: list[str] = []
    current: str | None = None
    for action in actions:
        if action.directorate != current:
            current = action.directorate
            count = sum(1 for a in actions if a.directorate == current)
            lines.append(f"*{typed(current, 200)}* ({count})")
        lines.append(line(action))
    return lines


def _reader_line(action: OutstandingAction) -> str:
    return (
        f"• *{escape(action.ref)}* {typed(action.title, 150)} — "
        f"{typed(action.owner_name, NAME_CHARS)} ({_last_status(action)})"
    )


def render_escalation(reminder: Reminder) -> Message:
    """The director's DM: every outstanding action of their directorate, with owners."""
    period = short_period(reminder.period_key)
    count = len(reminder.actions)
    title = f"Escalation: {count} {'action has' if count == 1 else 'actions have'} no "
    title += f"{period} update"
    owners = ", ".join(sorted({a.owner_name for a in reminder.actions}))
    intro = (
        f"{_greeting(reminder.recipient.name)}, {'this action' if count == 1 else 'these actions'}"
        f" in your directorate had no update for *{escape(reminder.period_label)}* by the "
        f"deadline, *{weekday(reminder.update_deadline)}*. The owners have been reminded; "
        f"please follow up with {typed(owners, 1000)}."
    )
    head = [header(title), section(intro + _notes(reminder.notes))]
    texts = _pack(_by_directorate(reminder.actions, _reader_line))
    text = _fallback(f"{title}: {', '.join(reminder.refs)}")
    return Message(text, _sections(head, texts, _footer(), "…and more in planbot."))


def render_admin_summary(reminder: Reminder) -> Message:
    """The programme office's summary of everything still outstanding for the period."""
    period = short_period(reminder.period_key)
    count, total = len(reminder.actions), reminder.open_actions
    escalated = reminder.escalated
    title = f"{'Escalated' if escalated else 'Still outstanding'}: {period}, {count} of {total}"
    title += " actions"
    directorates = len({a.directorate for a in reminder.actions})
    intro = (
        f"{count} of {total} open actions have no update for *{escape(reminder.period_label)}* "
        f"(due {weekday(reminder.update_deadline)}), across {directorates} "
        f"{'directorate' if directorates == 1 else 'directorates'}."
    )
    if escalated:
        intro += " Their directors have been sent the list for their directorate today."
    head = [header(title), section(intro + _notes(reminder.notes))]
    texts = _pack(_by_directorate(reminder.actions, _reader_line))
    text = _fallback(f"{title} ({weekday(reminder.day)})")
    return Message(text, _sections(head, texts, _footer(), "…and more in planbot."))


def render_unreachable(item: Unreachable) -> Message:
    """Tells an admin, once, that someone could not be sent their reminders."""
    text = (
        f"I could not send {short_period(item.period_key)} reminders to "
        f"{typed(item.name, NAME_CHARS)} ({escape(item.slack_id)}): Slack answered "
        f"`{typed(item.error, 100)}`, so their Slack account may be deactivated or unknown."
    )
    detail = (
        "Everyone else's reminders go on as planned. Please set a delegate for them, or "
        "correct their Slack ID in the plan's people list and import it again."
    )
    return Message(_fallback(text), [section(f":warning: {text}"), context(detail)])


# -- replies to the buttons ----------------------------------------------------------------------


def render_no_change_recorded(recorded: RecordedUpdate) -> Message:
    """What the person who pressed "No change since last quarter" sees, privately."""
    what = (
        f"*{escape(recorded.ref)}* {typed(recorded.title, TITLE_CHARS)} — "
        f"{short_period(recorded.period_key)}: {badge(DEFAULT_SCHEME, recorded.status)}, "
        "no change since last quarter"
    )
    if recorded.on_behalf:
        what += f", for {typed(recorded.owner_name, NAME_CHARS)}"
    lead = "Already recorded" if recorded.duplicate else ":white_check_mark: Recorded"
    text = f"{lead}: {what}."
    blocks = [section(text)]
    if recorded.note:
        blocks.append(context(f"Note: {escape(cut(recorded.note, 1500))}"))
    return Message(_fallback(text), blocks)


def home_link(team_id: str, app_id: str) -> str:
    """The deep link that opens the app's Home tab."""
    return f"slack://app?team={team_id}&id={app_id}&tab=home"


def render_home_link(team_id: str, app_id: str) -> Message:
    """A reply to *Open planbot*: a link that opens the App Home (a link needs no listener)."""
    text = (
        f"<{home_link(team_id, app_id)}|Open planbot> to see your actions, what is due and "
        "your last updates."
    )
    return Message(text, [section(text)])
