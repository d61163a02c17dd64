"""Block Kit for sign-off: the list of updates awaiting a director's decision (a DM and the
App Home's section), the Return form, and what a decision tells the approver and the owner.
Pure: data in, Block Kit out, within Slack's limits (laid out by `bot.render.fitting`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.domain.refs import plan_ref
from bot.ids import ActionId, BlockId, CallbackId
from bot.model.signoff import APPROVED, AwaitingItem, AwaitingList, Decision
from bot.render.blockkit import (
    BLOCK_TEXT_BUDGET,
    MAX_BUTTON_VALUE,
    Block,
    Message,
    View,
    actions_block,
    button,
    context,
    escape_mrkdwn,
    escaped_line,
    header,
    input_block,
    modal,
    plain_text_input,
    quote_mrkdwn,
    section,
    shorten,
    text_message,
)
from bot.render.fitting import MESSAGE_ROOM, Entry, Room, lay_out, pack

TITLE_CHARS = 150
NOTE_CHARS = 600
COMMENT_CHARS = 1000  # the Return form's comment


def _item_text(item: AwaitingItem, *, plan: bool) -> str:
    note = f"\n>{escape_mrkdwn(shorten(item.note, NOTE_CHARS))}" if item.note else ""
    where = f"_{escape_mrkdwn(item.plan_name)}_ · " if plan else ""
    return (
        f"{where}*{item.ref}* {escaped_line(item.title, TITLE_CHARS)}\n"
        f"{item.status_emoji} {escape_mrkdwn(item.status_label)} · "
        f"{escape_mrkdwn(item.owner_name)} ({escape_mrkdwn(item.directorate)}){note}"
    )


def _entry(item: AwaitingItem, *, plan: bool) -> Entry:
    value = str(item.update_id)
    key = f"{item.plan_key} {item.ref}" if plan else item.ref
    return Entry(
        key=key,
        line=f"*{key}* {escaped_line(item.title, 80)} · {escape_mrkdwn(item.status_label)}",
        full=(
            section(_item_text(item, plan=plan)),
            actions_block(
                [
                    button("Approve", ActionId.SIGNOFF_APPROVE, value, style="primary"),
                    button("Return…", ActionId.SIGNOFF_RETURN, value),
                ],
                block_id=f"signoff_{item.update_id}",
            ),
        ),
    )


def _approve_all(items: Sequence[AwaitingItem]) -> Block | None:
    """*Approve all*, when every update's id fits the button (and the list is whole)."""
    value = ",".join(str(item.update_id) for item in items)
    if len(items) < 2 or len(value) > MAX_BUTTON_VALUE:
        return None
    return actions_block(
        [button(f"Approve all {len(items)}", ActionId.SIGNOFF_APPROVE_ALL, value)],
        block_id=BlockId.SIGNOFF_ALL,
    )


def awaiting_blocks(awaiting: AwaitingList, room: Room, *, title: str) -> list[Block]:
    """The list, by plan (each item names its plan when there are several): a section and
    Approve / Return buttons an update while they fit, then lines, then refs; *Approve all*
    only when every update is shown in full."""
    items = awaiting.items
    head: list[Block] = [header(title)]
    if awaiting.acting_for:
        head.append(
            context(
                "You are standing in for "
                + escape_mrkdwn(", ".join(awaiting.acting_for))
                + " while they are away."
            )
        )
    several = len({item.plan_key for item in items}) > 1
    in_order = sorted(items, key=lambda item: item.plan_name) if several else items
    entries = [_entry(item, plan=several) for item in in_order]
    approve_all = _approve_all(items)
    tail = [approve_all] if approve_all is not None else []
    blocks = lay_out(
        head, entries, [], room.less(tail), pointer="Open planbot's App Home for the rest."
    )
    shown_in_full = sum(1 for block in blocks if block.get("type") == "actions")
    if approve_all is not None and shown_in_full == len(items):
        blocks += tail
    return blocks


def render_awaiting_dm(awaiting: AwaitingList) -> Message:
    """The daily DM: the updates newly awaiting this person's sign-off."""
    count = len(awaiting.items)
    noun = "update awaits" if count == 1 else "updates await"
    title = f"{count} {noun} your sign-off"
    return Message(text=title, blocks=awaiting_blocks(awaiting, MESSAGE_ROOM, title=title))


def render_signoff_chase(count: int, new: AwaitingList, *, final: bool) -> Message:
    """A sign-off reminder: how many updates still await this person's decision (with the
    updates not listed to them before, if any)."""
    noun = "update still awaits" if count == 1 else "updates still await"
    when = (
        "Tomorrow the programme office is told who has not signed off."
        if final
        else "Please approve or return them before the report is published."
    )
    text = f"{count} {noun} your sign-off. {when}"
    tail = [
        actions_block(
            [button("Open planbot", ActionId.OPEN_HOME, "signoff")],
            block_id=BlockId.SIGNOFF_CHASE,
        )
    ]
    if not new.items:
        return Message(text=text, blocks=[section(escape_mrkdwn(text)), *tail])
    listed = awaiting_blocks(new, MESSAGE_ROOM.less(tail), title="Reminder: sign-off")
    listed.insert(1, section(escape_mrkdwn(text)))
    return Message(text=text, blocks=[*listed, *tail])


def render_not_signed_off(
    plan_name: str, period_key: str, behind: Sequence[tuple[str, int]]
) -> Message:
    """The programme office's summary: who has not signed off, and how many updates each."""
    names = ", ".join(f"{escape_mrkdwn(name)} ({count})" for name, count in behind)
    text = (
        f"{escape_mrkdwn(plan_name)}, {period_key}: sign-off is not finished. "
        f"Still to sign off: {names}."
    )
    return Message(text=text, blocks=[section(text)])


def render_return_modal(item_ref: str, item_title: str, update_id: int) -> View:
    """The Return form: a comment for the owner."""
    return modal(
        f"Return {item_ref}",
        [
            section(f"*{item_ref}* {escaped_line(item_title, TITLE_CHARS)}"),
            input_block(
                "What needs changing?",
                plain_text_input(
                    ActionId.SIGNOFF_COMMENT,
                    max_length=COMMENT_CHARS,
                    multiline=True,
                    placeholder="The owner gets this with a button to update again.",
                ),
                block_id=BlockId.SIGNOFF_COMMENT,
            ),
        ],
        close="Cancel",
        submit="Return",
        callback_id=CallbackId.SIGNOFF_RETURN_MODAL,
        private_metadata=json.dumps({"update_id": update_id}),
    )


def render_decision(decision: Decision) -> Message:
    """What the approver is told."""
    what = f"{decision.ref} ({escape_mrkdwn(decision.owner_name)}, {decision.status_label})"
    if decision.already:
        return text_message(f"{what} was already {decision.decision}; nothing changed.")
    if decision.decision == APPROVED:
        return text_message(f":white_check_mark: Approved {what} for {decision.period_key}.")
    return text_message(
        f":leftwards_arrow_with_hook: Returned {what} to {escape_mrkdwn(decision.owner_name)} "
        "with your comment."
    )


def render_decisions(decisions: Sequence[Decision], refused: Sequence[str]) -> Message:
    """What *Approve all* did: the refs approved, and what could not be and why."""
    done = [d.ref for d in decisions if not d.already]
    lines = [f":white_check_mark: Approved {len(done)}: {', '.join(done)}." if done else ""]
    lines += [f":warning: {escape_mrkdwn(reason)}" for reason in refused]
    text = "\n".join(line for line in lines if line) or "Nothing was left to approve."
    # Each refusal is named while the message has room; the rest are counted.
    kept: list[str] = []
    for index, line in enumerate(line for line in lines if line):
        if sum(len(k) for k in kept) + len(line) > BLOCK_TEXT_BUDGET - 500:
            left = len([x for x in lines if x]) - index
            kept.append(f"…and {left} more could not be approved: see your App Home.")
            break
        kept.append(line)
    sections = [section(chunk) for chunk in pack(kept)] or [section(text)]
    return Message(text=shorten(text, 300), blocks=sections)


def render_returned_to_owner(decision: Decision) -> Message:
    """The owner's DM: their update came back, why, and a button to update again."""
    text = (
        f"{escape_mrkdwn(decision.by_name)} returned your update of *{decision.ref}* "
        f"{escaped_line(decision.title, TITLE_CHARS)} ({decision.period_key})."
    )
    value = plan_ref(decision.plan_key, decision.ref)  # the owner may have the ref in two plans
    return Message(
        text=f"{decision.by_name} returned your update of {decision.ref}",
        blocks=[
            section(text),
            section(quote_mrkdwn(decision.comment, COMMENT_CHARS)),
            actions_block(
                [button("Update", ActionId.OPEN_UPDATE, value, style="primary")],
                block_id=f"returned_{decision.update_id}",
            ),
            context("Your next update goes to sign-off again."),
        ],
    )
