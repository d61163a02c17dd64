"""Block Kit: Slack's limits, defined once, and the one place a block is built.

Two rules hold everywhere:

- Anything a person typed (notes, names, titles, echoed input) goes through `escape_mrkdwn`
  before it lands in `mrkdwn` or a message's `text`, so `<!channel>` or `<@U…>` in a note
  pings nobody. `plain_text` objects are not parsed for mentions and are left as written; so
  is an input's `initial_value`, which must hand the person's own words back to them.
- Slack's size limits (below) are respected by construction: every builder cuts its texts
  to the limit of the place they go, and lists are laid out to fit (`bot.render.fitting`).

Plain dicts, not `slack_sdk.models`: the typed blocks there would check some of these
limits, but by raising when a text is too long, where a renderer has to cut it and say how
many more there are; they know nothing of the block-text budget `chat.postMessage` refuses
beyond, which is what decides a long message's layout; and they would bring `slack_sdk` into
the renderers, which are pure and, by the project's layering, import no Slack library (only
the entrypoints, handlers, notifier and app factory do). So each block kind has one small
builder here, returning the JSON Slack reads; the tests and the fake Slack read it as is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Block = dict[str, Any]  # a block, an element or a text object, as Slack's JSON
View = dict[str, Any]  # a modal or the Home tab

# Slack's limits, for every surface the bot draws (Block Kit reference,
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
MAX_CONFIRM_TITLE = 100  # a confirmation dialog's title
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30  # its confirm and deny buttons
MAX_PLACEHOLDER = 150
MAX_LABEL = 2000  # an input's label, and its hint
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


def text_message(text: str) -> Message:
    """A message of one section holding `text` (escaped mrkdwn), which is its fallback too."""
    return Message(text=text, blocks=[section(text)])


# -- text ------------------------------------------------------------------------------------

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's three control characters so typed text is shown, never interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` characters, ending in an ellipsis when shortened."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shorten_line(text: str, limit: int) -> str:
    """`text` on one line (its white space folded) within `limit` characters."""
    return shorten(" ".join(text.split()), limit)


def shorten_mrkdwn(text: str, limit: int) -> str:
    """Shorten escaped mrkdwn without leaving half an entity (`&am…`) at the end."""
    if len(text) <= limit:
        return text
    return _PARTIAL_ENTITY.sub("", text[: limit - 1]).rstrip() + "…"


def escaped_line(text: str, limit: int) -> str:
    """Text a person typed, on one line, shortened to `limit` and escaped for mrkdwn."""
    return escape_mrkdwn(shorten_line(text, limit))


def quote_mrkdwn(text: str, limit: int = 1500) -> str:
    """Typed text, escaped and shortened, as a mrkdwn block quote."""
    body = shorten_mrkdwn(escape_mrkdwn(text.strip()), limit)
    return "\n".join(f">{line}" for line in body.splitlines() or [""])


def quoted_sections(heading: str, text: str, limit: int = MAX_SECTION_TEXT - 100) -> list[Block]:
    """A long note whole, as block-quoted sections of at most `limit` characters each.

    Lines are kept together where they fit; a line longer than a section is split at a
    space (or, with none, anywhere but inside an `&amp;`-style entity).
    """
    room = limit - len(heading) - 1  # a piece always fits beside the heading
    pieces: list[str] = []
    for line in escape_mrkdwn(text.strip()).splitlines() or [""]:
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


# -- text objects and blocks -----------------------------------------------------------------


def plain_text(text: str, limit: int = MAX_SECTION_TEXT) -> Block:
    """A `plain_text` object (never empty: Slack refuses that)."""
    return {"type": "plain_text", "text": shorten(text, limit) or " ", "emoji": True}


def mrkdwn_text(text: str, limit: int = MAX_SECTION_TEXT) -> Block:
    """A `mrkdwn` object of escaped text (never empty)."""
    return {"type": "mrkdwn", "text": shorten_mrkdwn(text, limit) or " "}


def section(text: str, *, accessory: Block | None = None, block_id: str | None = None) -> Block:
    """A section of mrkdwn (escaped by the caller), with a button or menu beside it."""
    block: Block = {"type": "section", "text": mrkdwn_text(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields_section(*texts: str) -> Block:
    """A section of side-by-side fields (mrkdwn)."""
    return {
        "type": "section",
        "fields": [mrkdwn_text(t, MAX_FIELD_TEXT) for t in texts[:MAX_FIELDS]],
    }


def context(*texts: str) -> Block:
    """Small print: up to ten mrkdwn texts on a line."""
    return {
        "type": "context",
        "elements": [mrkdwn_text(t, MAX_CONTEXT_TEXT) for t in texts[:MAX_CONTEXT_ELEMENTS]],
    }


def header(text: str) -> Block:
    """A heading in plain text (never parsed, so not escaped)."""
    return {"type": "header", "text": plain_text(text, MAX_HEADER_TEXT)}


def divider() -> Block:
    """A rule between parts of a message or view."""
    return {"type": "divider"}


def actions_block(elements: list[Block], *, block_id: str) -> Block:
    """A row of buttons or menus."""
    return {"type": "actions", "block_id": block_id, "elements": elements[:MAX_ACTIONS_ELEMENTS]}


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    """A button; `value` comes back in the press's payload, `confirm` asks first."""
    element: Block = {
        "type": "button",
        "text": plain_text(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def confirm_dialog(title: str, text: str, *, confirm: str, deny: str) -> Block:
    """The dialog a button asks in before it acts."""
    return {
        "title": plain_text(title, MAX_CONFIRM_TITLE),
        "text": plain_text(text, MAX_CONFIRM_TEXT),
        "confirm": plain_text(confirm, MAX_CONFIRM_BUTTON),
        "deny": plain_text(deny, MAX_CONFIRM_BUTTON),
    }


def option(text: str, value: str) -> Block:
    """One choice of a menu."""
    return {"text": plain_text(text, MAX_OPTION_TEXT), "value": value[:MAX_OPTION_VALUE]}


# -- inputs and views ------------------------------------------------------------------------


def _element(kind: str, action_id: str, placeholder: str | None, **fields: Any) -> Block:
    """An interactive element: its type, action id, placeholder, and those `fields` that are
    not None (Slack wants an unused field absent, not null)."""
    element: Block = {"type": kind, "action_id": action_id}
    if placeholder is not None:
        element["placeholder"] = plain_text(placeholder, MAX_PLACEHOLDER)
    element.update({key: value for key, value in fields.items() if value is not None})
    return element


def static_select(
    action_id: str,
    options: list[Block],
    *,
    placeholder: str | None = None,
    initial_option: Block | None = None,
) -> Block:
    """A menu of at most 100 options, given here."""
    return _element(
        "static_select",
        action_id,
        placeholder,
        options=options[:MAX_STATIC_OPTIONS],
        initial_option=initial_option,
    )


def external_select(
    action_id: str, *, placeholder: str, initial_option: Block | None = None
) -> Block:
    """A menu whose options the app answers as the person types (any number of them)."""
    return _element(
        "external_select", action_id, placeholder, min_query_length=0, initial_option=initial_option
    )


def plain_text_input(
    action_id: str,
    *,
    max_length: int,
    multiline: bool = False,
    placeholder: str | None = None,
    initial_value: str = "",
) -> Block:
    """A text input; `initial_value` is handed back as typed (plain text, never parsed)."""
    length = min(max_length, MAX_INPUT_LENGTH)
    return _element(
        "plain_text_input",
        action_id,
        placeholder,
        multiline=True if multiline else None,
        max_length=length,
        initial_value=initial_value[:length] or None,
    )


def datepicker(action_id: str, *, placeholder: str, initial_date: str | None = None) -> Block:
    """A date picker; `initial_date` is ISO (`2020-03-31`)."""
    return _element("datepicker", action_id, placeholder, initial_date=initial_date)


def input_block(
    label: str,
    element: Block,
    *,
    block_id: str,
    optional: bool = False,
    hint: str | None = None,
    dispatch_action: bool = False,
) -> Block:
    """An input of a modal; `dispatch_action` sends each change to the app at once."""
    block: Block = {"type": "input", "block_id": block_id}
    if dispatch_action:
        block["dispatch_action"] = True
    if optional:
        block["optional"] = True
    block["label"] = plain_text(label, MAX_LABEL)
    if hint is not None:
        block["hint"] = plain_text(hint, MAX_LABEL)
    block["element"] = element
    return block


def modal(
    title: str,
    blocks: list[Block],
    *,
    close: str,
    submit: str | None = None,
    callback_id: str | None = None,
    private_metadata: str | None = None,
) -> View:
    """A modal; without `submit` it only shows something and has nothing to send."""
    view: View = {"type": "modal"}
    if callback_id is not None:
        view["callback_id"] = callback_id
    view["title"] = plain_text(title, MAX_MODAL_TITLE)
    if submit is not None:
        view["submit"] = plain_text(submit, MAX_MODAL_TITLE)
    view["close"] = plain_text(close, MAX_MODAL_TITLE)
    if private_metadata is not None:
        view["private_metadata"] = private_metadata[:MAX_PRIVATE_METADATA]
    view["blocks"] = blocks[:MAX_VIEW_BLOCKS]
    return view


def home_view(blocks: list[Block]) -> View:
    """The App Home tab."""
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
