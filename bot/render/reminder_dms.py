"""Block Kit for a reminder DM covering one plan or several; pure: data in, message out.

A DM of one plan is drawn as it always was (bot/render/reminders.py). A DM of several plans
(a person owed the same step by each) lists each plan's share under the plan's name, in that
plan's words (its period, deadline, status labels and emoji), within the same limits: every
item in full where it fits, else on lines under each plan's name, else by ref, never dropped
without saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.domain.calendar import Step
from bot.domain.dates import weekday_date
from bot.render.action_parts import update_button
from bot.render.blockkit import (
    Block,
    Message,
    actions_block,
    context,
    escape_mrkdwn,
    escaped_line,
    header,
    section,
)
from bot.render.fitting import MESSAGE_ROOM, Entry, lay_out
from bot.render.reminders import (
    OWNER_HEADERS,
    OWNER_SEE_ALL,
    action_section,
    action_text,
    button_block_id,
    by_directorate,
    count_words,
    directorate_hint,
    fallback,
    footer,
    greeting,
    indicator_line,
    indicator_sections,
    no_change_button,
    notes_text,
    owners_to_follow_up,
    reader_line,
    render_admin_summary,
    render_escalation,
    render_owner_reminder,
    short_period,
)

if TYPE_CHECKING:
    from bot.model.reminders import Reminder, ReminderDM

# The owners' headings when the plans' periods or deadlines differ (each plan says its own).
_SEVERAL_HEADERS: dict[Step, str] = {
    Step.INVITATION: "Time to update your actions in {n} plans",
    Step.REMINDER: "Reminder: updates are due soon in {n} plans",
    Step.FINAL_REMINDER: "Final reminder: updates are due in {n} plans",
    Step.DEADLINE: "Updates are due today in {n} plans",
    Step.OVERDUE: "Overdue: updates were due in {n} plans",
    Step.ESCALATION: "Escalated: updates were due in {n} plans",
}


def render_owner_dm(dm: ReminderDM) -> Message:
    """The owner's DM of a step: one plan's as ever; several plans' grouped by plan."""
    if not dm.several:
        return render_owner_reminder(dm.parts[0])
    return _owners_of_several(dm)


def render_escalation_dm(dm: ReminderDM) -> Message:
    """The director's escalation: one plan's as ever; several plans' grouped by plan."""
    if not dm.several:
        return render_escalation(dm.parts[0])
    return _escalation_of_several(dm)


def render_admin_dm(dm: ReminderDM) -> Message:
    """The programme office's summary: one plan's as ever; several plans' grouped by plan."""
    if not dm.several:
        return render_admin_summary(dm.parts[0])
    return _summary_of_several(dm)


def _plan_name(part: Reminder) -> str:
    return f"*{escaped_line(part.plan_name, 200)}*"


def _one_period(parts: Sequence[Reminder]) -> str | None:
    """The period's short label when every plan's share is for the same one."""
    periods = {short_period(part.period_key) for part in parts}
    return periods.pop() if len(periods) == 1 else None


def _qualified_refs(parts: Sequence[Reminder]) -> str:
    """`improvement ACT-2, strategy SP-1`: each ref with its plan's key, as `/update` takes."""
    return ", ".join(
        f"{part.plan_key} {ref}" for part in parts for ref in (*part.refs, *part.indicator_refs)
    )


def _headed(entries: list[Entry], heading: str) -> list[Entry]:
    """`entries` with `heading` (a plan's name and dates) before the first: in its full form,
    its line and its key, so however it is shown it says which plan the items are of."""
    if not entries:
        return []
    first = entries[0]
    headed = Entry(
        key=f"{heading} {first.key}",
        line=f"{heading}\n{first.line}",
        full=(section(heading), *first.full),
    )
    return [headed, *entries[1:]]


# -- owners ------------------------------------------------------------------------------------


def _owners_of_several(dm: ReminderDM) -> Message:
    parts, step = dm.parts, dm.step
    period = _one_period(parts)
    deadlines = {part.update_deadline for part in parts}
    if period is not None and len(deadlines) == 1:
        title = OWNER_HEADERS[step].format(period=period, deadline=weekday_date(deadlines.pop()))
    else:
        title = _SEVERAL_HEADERS[step].format(n=len(parts))
    actions = sum(len(part.actions) for part in parts)
    indicators = sum(len(part.indicators) for part in parts)
    intro = (
        f"{greeting(dm.recipient.name)}, {count_words(actions, indicators)} an update in "
        f"{len(parts)} plans, each listed under the plan's name."
    )
    if step is Step.OVERDUE:
        intro += " The directors will be told about anything still missing."
    elif step is Step.ESCALATION:
        intro += " What is still missing has now been escalated; an update still counts."
    head = [header(title), section(intro)]
    tail = [*footer(), context(_update_hint(parts))]
    counted = count_words(actions, indicators).rsplit(" ", 1)[0]
    text = fallback(f"{title}: {counted} ({_qualified_refs(parts)})")
    whole = [*head, *(block for part in parts for block in _owner_part(part)), *tail]
    if MESSAGE_ROOM.holds(whole):
        return Message(text, whole)
    entries = [entry for part in parts for entry in _owner_entries(part)]
    blocks = lay_out(head, entries, tail, MESSAGE_ROOM, more="…and {n} more", pointer=OWNER_SEE_ALL)
    return Message(text, blocks)


def _owner_heading(part: Reminder) -> str:
    deadline = weekday_date(part.update_deadline)
    count = count_words(len(part.actions), len(part.indicators))
    return (
        f"{_plan_name(part)}: {count} an update for *{escape_mrkdwn(part.period_label)}*, "
        f"due by *{deadline}*." + notes_text(part.notes)
    )


def _owner_part(part: Reminder) -> list[Block]:
    """One plan's share in full: its heading, indicators, and each action with its buttons."""
    recipient, today = part.recipient.slack_id, part.day
    blocks = [section(_owner_heading(part)), *indicator_sections(part.indicators, reader=False)]
    for action in part.actions:
        buttons = [update_button(action.ref)]
        if action.no_change_ok:
            buttons.append(no_change_button(action, part.period_key))
        blocks += [
            section(action_text(action, recipient, today)),
            actions_block(buttons, block_id=button_block_id(part.plan_key, action.ref)),
        ]
    return blocks


def _owner_entries(part: Reminder) -> list[Entry]:
    """One plan's share as entries of a list too long to show each in full."""
    recipient, today = part.recipient.slack_id, part.day
    entries = [
        Entry(
            key=f"*{escape_mrkdwn(action.ref)}*",
            line=action_section(action, recipient, today),
            full=(
                section(
                    action_text(action, recipient, today),
                    accessory=update_button(action.ref),
                    block_id=button_block_id(part.plan_key, action.ref),
                ),
            ),
        )
        for action in part.actions
    ]
    entries += _indicator_entries(part, reader=False)
    return _headed(entries, _owner_heading(part))


def _indicator_entries(part: Reminder, *, reader: bool) -> list[Entry]:
    return [
        Entry(
            key=f"*{escape_mrkdwn(indicator.ref)}*",
            line=(line := indicator_line(indicator, reader=reader)),
            full=(section(line),),
        )
        for indicator in part.indicators
    ]


def _update_hint(parts: Sequence[Reminder]) -> str:
    words = {part.status_word for part in parts}
    word = escape_mrkdwn(words.pop()) if len(words) == 1 else "&lt;status&gt;"
    return (
        f"Or type `/update ACT-n {word} &lt;note&gt;` in any channel; where two of your plans "
        f"have the same ref, name the plan first (`/update {escape_mrkdwn(parts[0].plan_key)} "
        "ACT-n …`)."
    )


# -- directors and admins ------------------------------------------------------------------------


def _reader_entries(part: Reminder, heading: str) -> list[Entry]:
    """One plan's outstanding actions by directorate, then its indicators, under `heading`."""
    return _headed(
        [*by_directorate(part.actions, reader_line), *_indicator_entries(part, reader=True)],
        heading,
    )


def _reader_message(
    dm: ReminderDM, title: str, intro: str, heading: Callable[[Reminder], str], pointer: str
) -> Message:
    parts = dm.parts
    actions = [action for part in parts for action in part.actions]
    head = [header(title), section(intro), *owners_to_follow_up(actions)]
    entries = [entry for part in parts for entry in _reader_entries(part, heading(part))]
    blocks = lay_out(head, entries, footer(), MESSAGE_ROOM, more="…and {n} more", pointer=pointer)
    return Message(fallback(f"{title}: {_qualified_refs(parts)}"), blocks)


def _escalation_of_several(dm: ReminderDM) -> Message:
    parts = dm.parts
    count = sum(len(part.actions) for part in parts)
    period = _one_period(parts)
    title = f"Escalation: {count} {'action has' if count == 1 else 'actions have'} no "
    title += f"{period} update" if period else "update"
    intro = (
        f"{greeting(dm.recipient.name)}, {'this action' if count == 1 else 'these actions'} in "
        f"your directorate had no update by the deadline, in {len(parts)} plans (each below "
        "under its name). The owners have been reminded."
        + notes_text(tuple(dict.fromkeys(note for part in parts for note in part.notes)))
    )

    def heading(part: Reminder) -> str:
        return (
            f"{_plan_name(part)}: {len(part.actions)} with no update for "
            f"*{escape_mrkdwn(part.period_label)}* by *{weekday_date(part.update_deadline)}*"
        )

    actions = [action for part in parts for action in part.actions]
    pointer = (
        "Every one is on planbot's Home tab (press *Open planbot*) and in "
        f"{directorate_hint(actions)}."
    )
    return _reader_message(dm, title, intro, heading, pointer)


def _summary_of_several(dm: ReminderDM) -> Message:
    parts = dm.parts
    count = sum(len(part.actions) for part in parts)
    total = sum(part.open_actions for part in parts)
    escalated = any(part.escalated for part in parts)
    period = _one_period(parts)
    title = f"{'Escalated' if escalated else 'Still outstanding'}: "
    title += f"{period}, " if period else ""
    title += f"{count} of {total} actions in {len(parts)} plans"
    intro = (
        f"{count} of {total} open actions in {len(parts)} plans have no update yet; each plan's "
        "are below under its name."
        + notes_text(tuple(dict.fromkeys(note for part in parts for note in part.notes)))
    )

    def heading(part: Reminder) -> str:
        line = (
            f"{_plan_name(part)}: {len(part.actions)} of {part.open_actions} with no update for "
            f"*{escape_mrkdwn(part.period_label)}* (due {weekday_date(part.update_deadline)})"
        )
        if part.escalated:
            line += "; their directors have been sent the list for their directorate today"
        return line

    actions = [action for part in parts for action in part.actions]
    pointer = (
        "Who is outstanding in each directorate is on planbot's Home tab (press *Open planbot*); "
        f"{directorate_hint(actions)} lists one, and `/digest &lt;plan&gt;` compiles a plan's "
        "report."
    )
    return _reader_message(dm, title, intro, heading, pointer)
