"""Block Kit builders for the Slack side: the update modal, replies, lists and the App Home.

Pure functions from plain data to Slack's JSON. Two rules hold everywhere:

- Anything a person typed (notes, names, titles, echoed input) goes through `escape` before it
  lands in `mrkdwn` or a message's `text`, so `<!channel>` or `<@U…>` in a note pings nobody.
  `plain_text` objects are not parsed for mentions and are left as written; so is an input's
  `initial_value`, which must hand the person's own words back to them unchanged.
- Slack's size limits are respected by construction (`LIMITS` below): long texts are cut,
  long lists end with a line saying how many more there are.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.domain.status import StatusScheme
from bot.errors import PlanbotError
from bot.ids import ActionId, BlockId, CallbackId
from bot.model.updates import MAX_NOTE_CHARS, RecordedUpdate, UpdateDraft
from bot.model.views import (
    Absence,
    ActionChoice,
    ActionHistory,
    ActionsList,
    DirectorateProgress,
    Home,
    ListedAction,
    PeriodChoice,
    PeriodInfo,
)

Block = dict[str, Any]

# Slack's limits, defined once for every surface the bot draws (Block Kit reference,
# docs.slack.dev/reference/block-kit; the message budget: slackapi/bolt-js #2509, #2867).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # modals and the Home tab
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10  # a section's fields
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000  # kept well under what a context element's text may hold
MAX_ACTIONS_ELEMENTS = 25  # elements of one actions block
MAX_MODAL_TITLE = 24  # also the submit and close buttons
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_STATIC_OPTIONS = 100  # more than this and the picker becomes an external_select
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_PLACEHOLDER = 150
MAX_PRIVATE_METADATA = 3000
MAX_INPUT_LENGTH = 3000  # a plain_text_input's max_length
MAX_VIEW_BYTES = 250_000  # a modal or Home view, as JSON
MAX_FALLBACK_TEXT = 3000  # notification text; Slack truncates long ones anyway
# chat.postMessage and chat.update refuse a message whose blocks hold more text than about
# this (`msg_blocks_too_long`), counting every text string in them (`block_text`).
MAX_MESSAGE_BLOCK_TEXT = 12_000
# What messages are laid out to: a margin below the refusal line, which Slack does not
# document exactly. Slack staff speak of "12,000 text characters with a buffer for block
# containers", and #2867 saw 11,341 characters over 45 blocks refused: so each block is also
# charged for its container (`message_cost`), and a full 50 blocks carry at most 9,500.
BLOCK_TEXT_BUDGET = 11_000
BLOCK_CONTAINER_CHARS = 30
# What views are laid out to, as JSON: a margin below MAX_VIEW_BYTES.
VIEW_BYTES_BUDGET = 200_000

ERROR_EMOJI = ":no_entry:"
WARNING_EMOJI = ":warning:"
DUE_EMOJI = ":hourglass_flowing_sand:"


@dataclass(frozen=True)
class Message:
    """A message: `text` is the notification fallback (escaped), `blocks` the body."""

    text: str
    blocks: list[Block] = field(default_factory=list)


# -- text ------------------------------------------------------------------------------------

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Escape Slack's three control characters so typed text is shown, never interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending in an ellipsis when shortened."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def cut_mrkdwn(text: str, limit: int) -> str:
    """Cut escaped mrkdwn without leaving half an entity (`&am…`) at the end."""
    if len(text) <= limit:
        return text
    return _PARTIAL_ENTITY.sub("", text[: limit - 1]).rstrip() + "…"


def day(value: dt.date) -> str:
    """`23 Jan 2020`."""
    return f"{value.day} {value:%b %Y}"


def weekday(value: dt.date) -> str:
    """`Thu 23 Jan 2020`."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def _quote(text: str, limit: int = 1500) -> str:
    """Escaped text as a mrkdwn block quote."""
    body = cut_mrkdwn(escape(text.strip()), limit)
    return "\n".join(f">{line}" for line in body.splitlines() or [""])


def quoted_sections(heading: str, text: str, limit: int = MAX_SECTION_TEXT - 100) -> list[Block]:
    """A long note whole, as block-quoted sections of at most `limit` characters each.

    Lines are kept together where they fit; a line longer than a section is split at a
    space (or, with none, anywhere but inside an `&amp;`-style entity).
    """
    room = limit - len(heading) - 1  # a piece always fits beside the heading
    pieces: list[str] = []
    for line in escape(text.strip()).splitlines() or [""]:
        while len(line) + 1 > room:
            cut_at = line.rfind(" ", 0, room - 1)
            if cut_at <= 0:
                cut_at = max(len(_PARTIAL_ENTITY.sub("", line[: room - 1])), 1)
            pieces.append(f">{line[:cut_at]}")
            line = line[cut_at:].lstrip(" ")
        pieces.append(f">{line}")
    chunks = [f"{heading}\n{pieces[0]}"]
    for piece in pieces[1:]:
        if len(chunks[-1]) + 1 + len(piece) <= limit:
            chunks[-1] = f"{chunks[-1]}\n{piece}"
        else:
            chunks.append(piece)
    return [section(chunk) for chunk in chunks]


def badge(scheme: StatusScheme, key: str | None) -> str:
    """`:large_green_circle: On track`, or an em dash for no status."""
    if key is None:
        return "—"
    status = scheme.get(key)
    return f"{status.emoji} {status.label}"


def _status_now(scheme: StatusScheme, line: ListedAction, period: PeriodInfo) -> str:
    if line.status is None:
        return f"{DUE_EMOJI} due by {day(period.due_date)}"
    return badge(scheme, line.status)


def _target(target: dt.date, revised: dt.date | None) -> str:
    if revised is not None and revised != target:
        return f"target {day(revised)} (revised from {day(target)})"
    return f"target {day(target)}"


# -- blocks ----------------------------------------------------------------------------------


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut_mrkdwn(text, limit) or " "}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(t, 2000) for t in texts[:MAX_CONTEXT_ELEMENTS]],
    }


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, MAX_HEADER_TEXT)}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def update_button(ref: str) -> Block:
    """The Update button: opens the update modal for `ref` (also used in reminder DMs)."""
    return button("Update", ActionId.OPEN_UPDATE, ref, style="primary")


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, MAX_OPTION_TEXT), "value": value[:MAX_OPTION_VALUE]}


# -- fitting a surface ---------------------------------------------------------------------------


def block_text(blocks: Sequence[Block]) -> int:
    """The characters of text in `blocks`, as Slack counts them against a message's budget:
    every text string wherever it is (sections, fields, context, buttons, options...)."""
    total = 0
    stack: list[Any] = [blocks]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    total += len(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return total


def message_cost(blocks: Sequence[Block]) -> int:
    """What `blocks` take of a message's budget: their text, and a charge for each block."""
    return block_text(blocks) + BLOCK_CONTAINER_CHARS * len(blocks)


def json_size(value: Any) -> int:
    """The bytes of `value` as slack_sdk sends it (JSON, non-ASCII escaped): a view may be
    at most 250 KB."""
    return len(json.dumps(value).encode())


@dataclass(frozen=True)
class Room:
    """What a surface still holds: blocks, and block text (a message: `message_cost`) or JSON
    bytes (a view)."""

    blocks: int
    text: int | None = None
    size: int | None = None

    def holds(self, blocks: Sequence[Block]) -> bool:
        if len(blocks) > self.blocks:
            return False
        if self.text is not None and message_cost(blocks) > self.text:
            return False
        return self.size is None or json_size(list(blocks)) <= self.size

    def less(self, blocks: Sequence[Block]) -> Room:
        """The room left once `blocks` are in."""
        return Room(
            self.blocks - len(blocks),
            None if self.text is None else self.text - message_cost(blocks),
            None if self.size is None else self.size - json_size(list(blocks)) - 2 * len(blocks),
        )


MESSAGE_ROOM = Room(MAX_MESSAGE_BLOCKS, text=BLOCK_TEXT_BUDGET)
VIEW_ROOM = Room(MAX_VIEW_BLOCKS, size=VIEW_BYTES_BUDGET)


@dataclass(frozen=True)
class Entry:
    """One item of a long list, three ways: in full (its own blocks, e.g. with a button), as
    one line of a packed list, and by its key alone (a ref). Texts are escaped mrkdwn."""

    key: str
    line: str
    full: tuple[Block, ...] = ()


def pack(parts: Sequence[str], *, sep: str = "\n", limit: int = MAX_SECTION_TEXT) -> list[str]:
    """`parts` joined by `sep` into as few texts of at most `limit` characters as they fit in."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        part = cut_mrkdwn(part, limit)
        if current and len(current) + len(sep) + len(part) > limit:
            chunks.append(current)
            current = part
        else:
            current = f"{current}{sep}{part}" if current else part
    if current:
        chunks.append(current)
    return chunks


def _largest(low: int, high: int, holds: Any) -> int | None:
    """The largest n in [low, high] for which `holds(n)`, when it holds up to some n and no
    further (None when it does not hold at `low`)."""
    if not holds(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        if holds(middle):
            low = middle
        else:
            high = middle - 1
    return low


def fit_entries(
    entries: Sequence[Entry], room: Room, *, more: str = "…and {n} more", pointer: str = ""
) -> list[Block]:
    """Blocks for every entry within `room`, none dropped without saying so.

    Every entry in full if they fit; else as many in full as leave every other its line;
    else lines for as many as fit and the keys of the rest (`…and 12 more: ACT-7, ACT-8…`);
    else a count. `pointer` (where to see them all) follows whenever some are not in full.
    """
    count = len(entries)
    if not count:
        return []
    with_full = all(entry.full for entry in entries)
    tried: dict[tuple[int, int, bool], list[Block] | None] = {}

    def candidate(full: int, lines: int, keys: bool = True) -> list[Block] | None:
        if (full, lines, keys) not in tried:
            tried[full, lines, keys] = _candidate(
                entries, full, lines, room, more=more, pointer=pointer, keys=keys
            )
        return tried[full, lines, keys]

    if with_full and (everything := candidate(count, count)) is not None:
        return everything
    # Every key listed comes first; then as many lines as that leaves room for.
    for keys in (True, False):
        lined = _largest(0, count, lambda n: candidate(0, n, keys) is not None)  # noqa: B023
        if lined is not None:
            break
    else:
        return [context(more.format(n=count) + ".", *([pointer] if pointer else []))]
    if lined == count and with_full:
        in_full = _largest(0, count, lambda n: candidate(n, count) is not None) or 0
        return candidate(in_full, count) or []
    return candidate(0, lined, keys) or []


def _candidate(
    entries: Sequence[Entry],
    full: int,
    lines: int,
    room: Room,
    *,
    more: str,
    pointer: str,
    keys: bool,
) -> list[Block] | None:
    """`full` entries in full, the next up to `lines` as lines, the rest by key (or counted)."""
    blocks = [block for entry in entries[:full] for block in entry.full]
    blocks += [section(text) for text in pack([entry.line for entry in entries[full:lines]])]
    tail = [context(pointer)] if pointer and full < len(entries) else []
    rest = entries[lines:]
    if rest:
        heading = more.format(n=len(rest))
        if keys:
            parts = [f"{heading}: {rest[0].key}", *(entry.key for entry in rest[1:])]
            blocks += [section(text) for text in pack(parts, sep=", ")]
        else:
            blocks.append(section(f"{heading}."))
    laid = blocks + tail
    return laid if room.holds(laid) else None


def lay_out(
    head: Sequence[Block],
    entries: Sequence[Entry],
    tail: Sequence[Block],
    room: Room,
    *,
    more: str = "…and {n} more",
    pointer: str = "",
) -> list[Block]:
    """`head`, then `entries` fitted into what `head` and `tail` leave of `room`, then `tail`."""
    fitted = fit_entries(entries, room.less([*head, *tail]), more=more, pointer=pointer)
    return [*head, *fitted, *tail]


# -- replies -----------------------------------------------------------------------------------


def render_refusal(error: PlanbotError) -> Message:
    """A private refusal: what was wrong and what to do next."""
    text = f"{ERROR_EMOJI} {escape(error.message)}"
    blocks = [section(text)]
    if error.hint:
        blocks.append(context(escape(error.hint)))
        text += f" {escape(error.hint)}"
    return Message(text=cut(text, MAX_FALLBACK_TEXT), blocks=blocks)


def render_incomplete(errors: dict[str, str], ref: str) -> Message:
    """After a modal closed, the update still lacked something: say what, offer the form."""
    lines = "\n".join(f"• {escape(message)}" for message in errors.values())
    text = f"{WARNING_EMOJI} Nothing was recorded for {escape(ref)} yet:"
    return Message(
        text=cut(f"{text} {' '.join(escape(m) for m in errors.values())}", MAX_FALLBACK_TEXT),
        blocks=[
            section(
                f"{text}\n{lines}", accessory=button("Open the form", ActionId.OPEN_UPDATE, ref)
            )
        ],
    )


def render_apology() -> Message:
    text = (
        ":face_with_head_bandage: Sorry, something went wrong on our side and that didn't "
        "work. Nothing was changed; please try again in a minute. If it keeps happening, "
        "tell the programme office."
    )
    return Message(text=text, blocks=[section(text)])


def render_database_unavailable() -> Message:
    """The database did not answer: nothing was saved, and trying again later may work."""
    text = (
        f"{WARNING_EMOJI} *Not saved.* planbot can't reach its database just now, so nothing "
        "was recorded or changed. Please try again in a few minutes; if it keeps happening, "
        "tell the programme office."
    )
    return Message(text=text, blocks=[section(text)])


def render_update_recorded(
    recorded: RecordedUpdate, scheme: StatusScheme, *, for_owner: bool = False
) -> Message:
    """What changed: the action, the new status against the last one, the period, the note."""
    ref, title = escape(recorded.ref), escape(recorded.title)
    new = badge(scheme, recorded.status)
    if recorded.previous_status is None:
        change = f"{new} (first update)"
    elif recorded.previous_status == recorded.status:
        change = f"{new} (unchanged)"
    else:
        change = f"{badge(scheme, recorded.previous_status)} → {new}"
    if for_owner:
        lead = f":memo: *{escape(recorded.author_name)} updated {ref} for you*"
    else:
        lead = f":white_check_mark: *Recorded {ref} for {escape(recorded.period_label)}*"
    blocks = [
        section(f"{lead}\n*{ref}* {title}"),
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*Status*\n{change}", 2000),
                mrkdwn(f"*Period*\n{escape(recorded.period_label)}", 2000),
            ],
        },
    ]
    if recorded.note:
        blocks += quoted_sections("*Note*", recorded.note)
    notes = []
    if recorded.revised_target_date is not None:
        notes.append(f"Revised target date: {day(recorded.revised_target_date)}")
    if recorded.on_behalf:
        notes.append(
            f"By {escape(recorded.author_name)} for {escape(recorded.owner_name)}"
            if not for_owner
            else f"Recorded as by {escape(recorded.author_name)} for you"
        )
    if recorded.amendment_reason:
        notes.append(f"Amendment: {escape(cut(recorded.amendment_reason, 500))}")
    if recorded.closed_action:
        notes.append(f"{ref} is now closed as complete")
    if notes:
        blocks.append(context(" · ".join(notes)))
    label = scheme.label(recorded.status)
    text = f"{ref} recorded as {label} for {escape(recorded.period_label)}"
    if for_owner:
        text = f"{escape(recorded.author_name)} updated {ref} for you: {label}"
    return Message(text=text, blocks=blocks)


def render_absence(absence: Absence) -> Message:
    """The answer to `/planbot away` and `/planbot back`."""
    if absence.away_from is None:
        text = ":wave: Welcome back. Reminders come to you again."
        return Message(text=text, blocks=[section(text)])
    until = f"{day(absence.away_from)} to {day(absence.away_to)}" if absence.away_to else ""
    if absence.delegate_name:
        who = f"*{escape(absence.delegate_name)}* gets your reminders and can update for you"
    elif absence.director_names:
        names = ", ".join(escape(n) for n in absence.director_names)
        who = f"with no delegate named, your reminders go to your director ({names})"
    else:
        who = "with no delegate named, your reminders go to your director"
    text = f":palm_tree: You're away {until}; {who}. `/planbot back` when you return early."
    return Message(text=text, blocks=[section(text)])


# Help is mrkdwn: `<`, `>` and `&` are written as entities (`&lt;note&gt;`), even inside
# backticks, which do not stop Slack reading them as control characters.
UPDATE_HELP = """\
*Report progress on an action with `/update`*
• `/update ACT-12 green Contract signed` records it at once. `12`, `act12` and `ACT 12` all \
mean ACT-12.
• Statuses: {statuses}.
• `amber` and `red` need a note: what the problem is and how it will be recovered.
• A worse status than last time, or a target date that has passed, needs a revised target \
date: end the note with `revised &lt;date&gt;`, e.g. \
`/update 12 amber Supplier late revised 31/03/2020` (dates as 31/03/2020 or 2020-03-31).
• `/update ACT-12` opens a form filled in with your last update; `/update` alone lets you \
pick one of your actions.
• Your reply is private. If something is missing, the form opens so you can add it.
See your actions with `/actions`; `/planbot help` for the rest."""

ACTIONS_HELP = """\
*See actions with `/actions`*
• `/actions`: your actions, this period's status (or when it is due), last period's and \
the target dates.
• `/actions ACT-12`: every update of ACT-12, who made it, when and for whom.
• Directors and the programme office: `/actions @someone`, `/actions directorate:Finance`, \
`/actions all`."""

PLANBOT_HELP = """\
*planbot* runs the plan's quarterly progress cycle.
• `/update ACT-12 green &lt;note&gt;`: report progress (`/update help` for more).
• `/actions`: your actions and what is due (`/actions help`).
• `/planbot away 13/01/2020 17/01/2020 @delegate`: you're away; the delegate gets your \
reminders and can update for you (leave out `@delegate` to keep the one you have, or to \
send reminders to your director).
• `/planbot back`: you're back early.
• The planbot tab (App Home) shows what is due, with an Update button for each action."""


def render_help(topic: str, scheme: StatusScheme) -> Message:
    """Help for `update`, `actions` or `planbot`."""
    statuses = ", ".join(
        f"`{s.key}` ({', '.join(f'`{w}`' for w in s.synonyms[:3])})" for s in scheme.statuses
    )
    text = {"update": UPDATE_HELP, "actions": ACTIONS_HELP}.get(topic, PLANBOT_HELP)
    text = text.format(statuses=statuses) if topic == "update" else text
    return Message(text=cut(text.splitlines()[0].strip("*"), 200), blocks=[section(text)])


# -- lists -------------------------------------------------------------------------------------


def _period_context(period: PeriodInfo) -> str:
    parts = [f"*{escape(period.label)}*", f"updates due by {weekday(period.due_date)}"]
    if period.meeting_date is not None:
        parts.append(f"committee {day(period.meeting_date)}")
    if period.locked:
        parts.append(":lock: published and locked")
    return " · ".join(parts)


def _action_line(
    scheme: StatusScheme, line: ListedAction, period: PeriodInfo, *, show_owner: bool
) -> Block:
    first = f"*{escape(line.ref)}* {escape(cut(line.title, 300))}"
    facts = [
        f"This period: {_status_now(scheme, line, period)}",
        f"last period: {badge(scheme, line.last_status)}",
        _target(line.target_date, line.revised_target_date),
    ]
    if line.overdue_target:
        facts[-1] += " :warning: passed"
    who = []
    if show_owner or line.delegated:
        who.append(f"{'for ' if line.delegated else 'owner: '}{escape(line.owner_name)}")
    if line.owner_away:
        who.append("away")
    text = f"{first}\n{' · '.join(facts)}"
    if who:
        text += f"\n_{' · '.join(who)}_"
    accessory = update_button(line.ref) if line.may_update and not line.closed else None
    return section(text, accessory=accessory)


def _action_entry(
    scheme: StatusScheme, line: ListedAction, period: PeriodInfo, *, show_owner: bool
) -> Entry:
    """An action as a list shows it: in full with its button, or on one short line."""
    short = (
        f"*{escape(line.ref)}* {escape(cut(line.title, 90))} · {_status_now(scheme, line, period)}"
    )
    if show_owner or line.delegated:
        short += f" · {'for ' if line.delegated else ''}{escape(cut(line.owner_name, 40))}"
    full = _action_line(scheme, line, period, show_owner=show_owner)
    return Entry(key=escape(line.ref), line=short, full=(full,))


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
        context(f"{_period_context(period)} · {actions.updated} of {total} updated"),
    ]
    if not actions.actions:
        head.append(section("No open actions here."))
    show_owner = actions.scope != "mine"
    entries = [
        _action_entry(scheme, line, period, show_owner=show_owner) for line in actions.actions
    ]
    blocks = lay_out(
        head,
        entries,
        [],
        MESSAGE_ROOM,
        more="…and {n} more",
        pointer=_SEE_ALL.get(actions.scope, _SEE_ALL["person"]),
    )
    text = f"{escape(actions.title)}: {actions.updated} of {total} updated for {period.label}"
    return Message(text=cut(text, MAX_FALLBACK_TEXT), blocks=blocks)


_SOURCES = {
    "command": "via /update",
    "modal": "via the update form",
    "button": "via a reminder button",
    "import": "imported",
    "demo": "demo",
}


def render_action_history(history: ActionHistory, scheme: StatusScheme) -> Message:
    """The answer to `/actions ACT-12`: every update, newest first."""
    ref = escape(history.ref)
    facts = [
        f"owner: {escape(history.owner_name)}",
        escape(history.directorate),
        escape(history.theme),
        _target(history.target_date, history.revised_target_date),
    ]
    if history.closed:
        facts.append("closed")
    head: list[Block] = [
        header(f"{history.ref} history"),
        section(f"*{ref}* {escape(cut(history.title, 500))}\n{' · '.join(facts)}"),
    ]
    if not history.entries:
        head.append(section("No updates yet."))
    entries = []
    for entry in history.entries:
        lead = f"*{escape(entry.period_label)}*: {badge(scheme, entry.status)}"
        if entry.superseded:
            lead += " _(superseded by a later update)_"
        lines = [lead]
        if entry.note:
            lines.append(_quote(entry.note, 2000))
        who = f"By {escape(entry.author_name)}"
        if entry.on_behalf_of:
            who += f" for {escape(entry.on_behalf_of)}"
        when = f"{day(entry.recorded_at.date())} {entry.recorded_at:%H:%M}"
        meta = [who, when, _SOURCES.get(entry.source, escape(entry.source))]
        if entry.revised_target_date:
            meta.append(f"revised target {day(entry.revised_target_date)}")
        if entry.amendment_reason:
            meta.append(f"amendment: {escape(cut(entry.amendment_reason, 300))}")
        lines.append(f"_{' · '.join(meta)}_")
        entries.append(
            Entry(
                key=escape(entry.period_key),
                line=f"{lead} · {escape(cut(entry.author_name, 60))}, {when}",
                full=(section("\n".join(lines)),),
            )
        )
    blocks = lay_out(head, entries, [], MESSAGE_ROOM, more="…and {n} older updates")
    return Message(text=f"{ref}: {len(history.entries)} updates", blocks=blocks)


# -- App Home ----------------------------------------------------------------------------------


def _counts(scheme: StatusScheme, counts: dict[str, int], updated: int, total: int) -> str:
    parts = [f"{badge(scheme, key)}: {counts[key]}" for key in scheme.keys if counts.get(key)]
    lead = f"*{updated} of {total}* updated"
    return f"{lead}\n{' · '.join(parts)}" if parts else lead


def _directorate_entry(progress: DirectorateProgress) -> Entry:
    """A directorate on an admin's Home: its count, and who has not yet replied."""
    name = escape(progress.name)
    lead = f"*{name}*: {progress.updated} of {progress.total} updated"
    waiting = [
        f"{escape(line.ref)} ({escape(cut(line.owner_name, 60))})" for line in progress.outstanding
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


@dataclass(frozen=True)
class _HomePart:
    """One part of the Home (yours, a director's team, the whole plan): a head and a list."""

    head: list[Block]
    entries: list[Entry]
    more: str
    pointer: str = ""

    def least(self) -> list[Block]:
        """The part at its smallest: its head and a count."""
        if not self.entries:
            return self.head
        return [*self.head, section(self.more.format(n=len(self.entries)) + "."), context(" ")]


HOME_FOOTER = (
    "`/update ACT-12 green &lt;note&gt;` to report · `/actions` for a list · `/planbot help`"
)


def render_home(home: Home, scheme: StatusScheme) -> dict[str, Any]:
    """The App Home for an owner, a director or an admin: within a Home tab at any size,
    your own actions first and every one of them listed (in full, on a line, or by ref)."""
    period = home.period
    head: list[Block] = [
        header(f"{home.plan_name}"),
        context(_period_context(period)),
    ]
    if home.away_from is not None:
        until = f" to {day(home.away_to)}" if home.away_to else ""
        who = (
            f"{escape(home.delegate_name)} gets your reminders"
            if home.delegate_name
            else "your reminders go to your director"
        )
        head.append(
            section(f":palm_tree: Away {day(home.away_from)}{until}; {who}. `/planbot back`")
        )

    parts: list[_HomePart] = []
    mine_head: list[Block] = [section("*Your actions*")]
    if home.mine:
        due = sum(1 for line in home.mine if line.outstanding)
        mine_head.append(
            context(
                f"{due} to update by {weekday(period.due_date)}"
                if due
                else ":tada: All your actions are updated for this period."
            )
        )
    else:
        mine_head.append(context("You have no open actions in this plan."))
    parts.append(
        _HomePart(
            mine_head,
            [_action_entry(scheme, line, period, show_owner=False) for line in home.mine],
            "…and {n} more of yours",
            "`/update ACT-n` updates any of them; `/actions ACT-n` shows one in full.",
        )
    )

    if home.role == "director" and home.directorate:
        mine_refs = {m.ref for m in home.mine}
        others = [line for line in home.team if line.ref not in mine_refs]
        parts.append(
            _HomePart(
                [
                    divider(),
                    section(f"*{escape(home.directorate)}* this period"),
                    section(_counts(scheme, home.status_counts, home.updated, home.total)),
                ],
                [_action_entry(scheme, line, period, show_owner=True) for line in others],
                "…and {n} more in the directorate",
                f"`/actions directorate:{escape(home.directorate)}` lists them.",
            )
        )

    if home.role == "admin":
        parts.append(
            _HomePart(
                [
                    divider(),
                    section("*Plan progress*"),
                    section(_counts(scheme, home.status_counts, home.updated, home.total)),
                ],
                [_directorate_entry(progress) for progress in home.by_directorate],
                "…and {n} more directorates",
                "`/actions directorate:&lt;name&gt;` lists one.",
            )
        )

    footer = context(HOME_FOOTER)
    room = VIEW_ROOM.less([*head, footer])
    blocks = list(head)
    for index, part in enumerate(parts):
        later = [block for other in parts[index + 1 :] for block in other.least()]
        share = room.less(later)
        laid = lay_out(part.head, part.entries, [], share, more=part.more, pointer=part.pointer)
        blocks += laid
        room = room.less(laid)
    blocks.append(footer)
    return {"type": "home", "blocks": blocks}


def render_stranger_home(error: PlanbotError) -> dict[str, Any]:
    """The App Home for someone who is not one of the plan's people (or with no plan)."""
    return {"type": "home", "blocks": render_refusal(error).blocks}


# -- the update modal ------------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateFormMeta:
    """What the update form carries in `private_metadata` to check a submission before ack."""

    ref: str | None = None
    period: str | None = None
    last_status: str | None = None
    target: str | None = None  # ISO date of the action's current target
    locked: bool = False
    admin: bool = False
    tag: str = ""  # suffix of this rendering's block ids

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in (None, False, "")}
        return json.dumps(data, separators=(",", ":"))[:MAX_PRIVATE_METADATA]

    @classmethod
    def from_json(cls, text: str | None) -> UpdateFormMeta:
        """The metadata, or an empty one for anything unreadable (it came over the wire)."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        known: dict[str, type] = {
            "ref": str,
            "period": str,
            "last_status": str,
            "target": str,
            "locked": bool,
            "admin": bool,
            "tag": str,
        }
        kept: dict[str, Any] = {
            k: v for k, v in data.items() if k in known and isinstance(v, known[k])
        }
        return cls(**kept)

    @property
    def target_date(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.target) if self.target else None
        except ValueError:
            return None


def block_id(base: BlockId, tag: str) -> str:
    """The id of a form block in one rendering (a new tag makes Slack show new initial values)."""
    return f"{base}.{tag}" if tag else str(base)


def base_block_id(value: str) -> str:
    """The `BlockId` value a rendered block id was made from."""
    return value.split(".", 1)[0]


def status_options(scheme: StatusScheme) -> list[dict[str, Any]]:
    return [option(f"{s.emoji} {s.label}", s.key) for s in scheme.statuses]


def action_option(choice: ActionChoice) -> dict[str, Any]:
    owner = "" if choice.own else f" ({choice.owner_name})"
    title = cut(choice.title, MAX_OPTION_TEXT - len(choice.ref) - len(owner) - 3)
    return option(f"{choice.ref} · {title}{owner}", choice.ref)


def action_options(choices: Sequence[ActionChoice], limit: int = MAX_STATIC_OPTIONS) -> list[Any]:
    return [action_option(c) for c in choices[:limit]]


def _picker(
    choices: Sequence[ActionChoice], *, external: bool, selected: ActionChoice | None
) -> Block:
    element: Block = {
        "type": "external_select" if external else "static_select",
        "action_id": ActionId.PICK_ACTION,
        "placeholder": plain("Choose an action (type a number or words to search)", 150),
    }
    if external:
        element["min_query_length"] = 0
    else:
        element["options"] = action_options(choices) or [option("(none)", "-")]
    if selected is not None:
        element["initial_option"] = action_option(selected)
    return {
        "type": "input",
        "block_id": BlockId.PICK_ACTION,
        "dispatch_action": True,
        "label": plain("Action"),
        "element": element,
    }


def _form_fields(
    scheme: StatusScheme,
    *,
    tag: str,
    status: str | None,
    note: str,
    revised: dt.date | None,
    target: dt.date | None,
) -> list[Block]:
    status_element: Block = {
        "type": "static_select",
        "action_id": ActionId.STATUS,
        "placeholder": plain("Choose a status"),
        "options": status_options(scheme),
    }
    if status is not None:
        status_element["initial_option"] = option(
            f"{scheme.get(status).emoji} {scheme.label(status)}", status
        )
    note_element: Block = {
        "type": "plain_text_input",
        "action_id": ActionId.NOTE,
        "multiline": True,
        "max_length": MAX_NOTE_CHARS,
        "placeholder": plain("What has happened; for amber or red, the problem and the recovery"),
    }
    if note:
        note_element["initial_value"] = note[:MAX_NOTE_CHARS]
    date_element: Block = {
        "type": "datepicker",
        "action_id": ActionId.REVISED_DATE,
        "placeholder": plain("Only when the target slips"),
    }
    if revised is not None:
        date_element["initial_date"] = revised.isoformat()
    target_hint = f"The target is {day(target)}. " if target else ""
    needs_note = ", ".join(s.label for s in scheme.statuses if s.needs_note)
    return [
        {
            "type": "input",
            "block_id": block_id(BlockId.STATUS, tag),
            "label": plain("Status"),
            "element": status_element,
        },
        {
            "type": "input",
            "block_id": block_id(BlockId.NOTE, tag),
            "optional": True,
            "label": plain("Note"),
            "hint": plain(f"Needed for {needs_note}. Up to {MAX_NOTE_CHARS:,} characters."),
            "element": note_element,
        },
        {
            "type": "input",
            "block_id": block_id(BlockId.REVISED_DATE, tag),
            "optional": True,
            "label": plain("Revised target date"),
            "hint": plain(
                f"{target_hint}Needed when the status gets worse or the target has passed."
            ),
            "element": date_element,
        },
    ]


def _modal(title: str, blocks: list[Block], meta: UpdateFormMeta) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.UPDATE_MODAL,
        "title": plain(title, MAX_MODAL_TITLE),
        "submit": plain("Record", MAX_MODAL_TITLE),
        "close": plain("Cancel", MAX_MODAL_TITLE),
        "private_metadata": meta.to_json(),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def keep_picker(picker: Block, draft: UpdateDraft) -> Block:
    """The picker block of a form, echoed back by Slack, now showing `draft`'s action."""
    element = dict(picker.get("element") or {})
    options = list(element.get("options") or [])
    listed = [o for o in options if o.get("value") == draft.ref]
    chosen = (
        listed[0]
        if listed
        else action_option(
            ActionChoice(draft.ref, draft.title, draft.owner_name, own=not draft.on_behalf)
        )
    )
    if element.get("type") == "static_select" and not listed:
        # Slack refuses an initial_option that is not among a static menu's options.
        element["options"] = [chosen, *options][:MAX_STATIC_OPTIONS]
    element["initial_option"] = chosen
    kept = {k: v for k, v in picker.items() if k in {"type", "block_id", "label", "hint"}}
    return {**kept, "dispatch_action": True, "element": element}


def render_picker_modal(
    choices: Sequence[ActionChoice], period: PeriodInfo, scheme: StatusScheme
) -> dict[str, Any]:
    """The update form opened by `/update` alone: pick one of your actions first."""
    external = len(choices) > MAX_STATIC_OPTIONS
    blocks = [
        section(
            f"Updates count for *{escape(period.label)}*, due by {weekday(period.due_date)}."
            + ("" if choices else "\nYou have no open actions to update.")
        ),
        _picker(choices, external=external, selected=None),
        *_form_fields(scheme, tag="", status=None, note="", revised=None, target=None),
    ]
    if external:
        # A menu shows at most 100 options: say so, and how to reach the others.
        blocks.insert(
            2,
            context(
                f"You can update {len(choices)} actions. The menu shows "
                f"{MAX_STATIC_OPTIONS} at a time: type a number (`150`), a ref or words "
                "from a title to find any of them."
            ),
        )
    return _modal("Update an action", blocks, UpdateFormMeta())


def render_update_modal(
    draft: UpdateDraft,
    scheme: StatusScheme,
    *,
    periods: Sequence[PeriodChoice] = (),
    picker: Block | None = None,
    problems: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The update form for one action, prefilled from `draft` (the last update, or what was typed).

    `picker`: the action picker block of the form being replaced, kept at the top with this
    action chosen (the form was opened by `/update` alone).
    `problems`: what is missing, shown above the fields (a form opened from a command).
    """
    target = draft.current_target or draft.revised_target_date or draft.target_date
    tag = f"{draft.ref}.{draft.period_key}"
    meta = UpdateFormMeta(
        ref=draft.ref,
        period=draft.period_key,
        last_status=draft.last_status,
        target=target.isoformat(),
        locked=draft.locked,
        admin=draft.caller_is_admin,
        tag=tag,
    )
    blocks: list[Block] = []
    if picker is not None:
        blocks.append(keep_picker(picker, draft))
    if problems:
        lines = "\n".join(f"• {escape(message)}" for message in problems.values())
        blocks.append(section(f"{WARNING_EMOJI} *Nothing is recorded yet.*\n{lines}"))
    facts = [
        f"owner: {escape(draft.owner_name)}",
        escape(draft.directorate),
        _target(draft.target_date, draft.current_target or draft.revised_target_date),
    ]
    blocks.append(section(f"*{escape(draft.ref)}* {escape(cut(draft.title, 500))}"))
    blocks.append(context(" · ".join(facts)))
    counts = f"Counts for *{escape(draft.period_label)}*, due by {weekday(draft.due_date)}."
    if draft.last_status is not None:
        counts += f" Last update ({escape(draft.last_period_key or '')}): "
        counts += badge(scheme, draft.last_status)
    blocks.append(context(counts))
    if draft.on_behalf:
        blocks.append(
            context(
                f":busts_in_silhouette: You are updating this for {escape(draft.owner_name)}; "
                "it is recorded as by you for them."
            )
        )
    if draft.locked:
        blocks.append(
            context(
                f":lock: {escape(draft.period_label)} is published and locked: a change is "
                "recorded as an amendment, with your reason."
            )
        )
    blocks += _form_fields(
        scheme,
        tag=tag,
        status=draft.status,
        note=draft.note,
        # What was typed, never the action's standing revised date (that would be re-sent).
        revised=draft.revised_target_date
        if problems and draft.revised_target_date != draft.current_target
        else None,
        target=target,
    )
    if draft.caller_is_admin:
        if periods:
            chosen = next((p for p in periods if p.key == draft.period_key), None)
            period_options = [
                option(f"{p.label}{' (locked)' if p.locked else ''}", p.key) for p in periods
            ]
            element: Block = {
                "type": "static_select",
                "action_id": ActionId.PERIOD,
                "options": period_options,
            }
            if chosen is not None:
                element["initial_option"] = period_options[periods.index(chosen)]
            blocks.append(
                {
                    "type": "input",
                    "block_id": block_id(BlockId.PERIOD, tag),
                    "dispatch_action": True,
                    "label": plain("Period (programme office)"),
                    "element": element,
                }
            )
        blocks.append(
            {
                "type": "input",
                "block_id": block_id(BlockId.AMENDMENT_REASON, tag),
                "optional": not draft.locked,
                "label": plain("Amendment reason"),
                "hint": plain("Needed to change a locked period."),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ActionId.AMENDMENT_REASON,
                    "max_length": 500,
                },
            }
        )
    return _modal(f"Update {draft.ref}", blocks, meta)


# -- a modal opened before its form is ready ---------------------------------------------------


def render_loading_modal() -> dict[str, Any]:
    """What opens at once from a trigger (which lasts 3 s) while the bot is too busy to build
    the form in time; `views.update` replaces it with the form. No submit: nothing to send."""
    return {
        "type": "modal",
        "title": plain("Update", MAX_MODAL_TITLE),
        "close": plain("Close", MAX_MODAL_TITLE),
        "blocks": [section(f"{DUE_EMOJI} Getting the form ready…")],
    }


def render_notice_modal(message: Message) -> dict[str, Any]:
    """What replaces a loading modal when the form cannot be shown: a refusal, an apology."""
    return {
        "type": "modal",
        "title": plain("Update", MAX_MODAL_TITLE),
        "close": plain("Close", MAX_MODAL_TITLE),
        "blocks": (message.blocks or [section(message.text)])[:MAX_VIEW_BLOCKS],
    }


def render_trigger_expired(ref: str | None, *, pressed: bool) -> Message:
    """Slack's 3 seconds to open the form ran out first: nothing was recorded; what to do."""
    again = "press *Update* again" if pressed else "run the command again"
    example = escape(ref) if ref else "ACT-12"
    text = (
        f"{DUE_EMOJI} That took too long to open, so nothing was recorded. Please {again}, "
        f"or report in one line: `/update {example} green &lt;note&gt;`."
    )
    return Message(text=text, blocks=[section(text)])
