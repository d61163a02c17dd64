# Over 400 lines: one check per Block Kit rule Slack documents, for every surface.
"""Slack's rules for what it accepts, as the strict fake applies them (docs/slack-rules.md).

Pure functions: a payload in, a list of problems out, each worded as Slack words the
``response_metadata.messages`` of a refusal (``[ERROR] must be at most 3000 characters
[json-pointer:/blocks/0/text/text]``). An empty list means Slack would accept it.

- :func:`message_problems`: the blocks and fallback text of a message (``chat.postMessage``,
  ``chat.update``, ``chat.postEphemeral``, a ``response_url``).
- :func:`view_problems`: a modal or Home tab view (``views.open``/``push``/``update``/``publish``);
  :func:`view_too_large`: over 250 kB.
- :func:`mrkdwn_problems`: one mrkdwn string: a ``<``, ``>`` or ``&`` that is not a Slack token.
- :func:`block_text_length`: the block text Slack counts against a message's budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

JsonDict = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # modals and the Home tab
MAX_MESSAGE_BLOCK_TEXT = 12_000  # about this much block text and chat.postMessage refuses it
BLOCK_CONTAINER_CHARS = 30  # what each block costs of that budget besides its text
MAX_MESSAGE_TEXT = 40_000  # `text`; beyond this `msg_too_long`
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLACEHOLDER = 150
MAX_ID = 255  # block_id, action_id, callback_id, external_id
MAX_VIEW_TITLE = 24  # also submit and close
MAX_PRIVATE_METADATA = 3000
MAX_VIEW_BYTES = 250_000
MAX_INPUT_LENGTH = 3000
MAX_LABEL = 2000
MAX_HINT = 2000

BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "header",
        "context",
        "actions",
        "input",
        "image",
        "rich_text",
        "file",
        "markdown",
    }
)
SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
ACCESSORIES = SELECTS | {
    "button",
    "overflow",
    "datepicker",
    "timepicker",
    "checkboxes",
    "radio_buttons",
    "image",
}
INTERACTIVE = (ACCESSORIES - {"image"}) | {"datetimepicker"}
INPUTS = SELECTS | {
    "plain_text_input",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "checkboxes",
    "radio_buttons",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
}

# What may follow a `<` in mrkdwn: a user, a channel, a special mention, a date or a link.
_LABEL = r"(?:\|[^<>]*)?"
_TOKEN = re.compile(
    r"<(?:"
    rf"@[UW][A-Z0-9]+{_LABEL}"
    rf"|#[CGD][A-Z0-9]+{_LABEL}"
    rf"|!(?:here|channel|everyone){_LABEL}"
    rf"|!subteam\^[A-Z0-9]+{_LABEL}"
    r"|!date\^-?\d+\^[^<>|]+\|[^<>]*"
    rf"|(?:https?://|mailto:)[^\s<>|]+{_LABEL}"
    r")>"
)
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_QUOTE_MARKER = re.compile(r"(?m)^[ \t]*(?:>[ \t]?)+")
MRKDWN_PROBLEM = "[ERROR] mrkdwn:"


def mrkdwn_problems(text: str, pointer: str = "") -> list[str]:
    """Control characters in mrkdwn that are not part of a Slack token or an entity.

    A `>` at the start of a line is a block quote, which Slack reads as such.
    """
    problems: list[str] = []
    rest = _TOKEN.sub("", text)
    rest = _ENTITY.sub("", rest)
    rest = _QUOTE_MARKER.sub("", rest)
    for char, name in (("<", "&lt;"), (">", "&gt;"), ("&", "&amp;")):
        if char in rest:
            problems.append(
                f"{MRKDWN_PROBLEM} unescaped '{char}' (write {name}, or a Slack token) "
                f"[json-pointer:{pointer}]: {_excerpt(text, char)}"
            )
    return problems


def _excerpt(text: str, char: str) -> str:
    at = text.find(char)
    return repr(text[max(0, at - 30) : at + 30])


def text_objects(value: Any, pointer: str = "") -> Iterator[tuple[str, JsonDict]]:
    """Every text object (`{"type": "plain_text"|"mrkdwn", "text": ...}`) inside a value."""
    if isinstance(value, dict):
        if value.get("type") in {"plain_text", "mrkdwn"} and isinstance(value.get("text"), str):
            yield pointer, value
            return
        for key, item in value.items():
            yield from text_objects(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from text_objects(item, f"{pointer}/{index}")


def block_text_length(blocks: list[Any]) -> int:
    """The characters of text a message's blocks carry: every string under a `text` key
    (text objects, `markdown` blocks, rich text elements), as bolt-js #2867 measured it."""

    def count(value: Any) -> int:
        if isinstance(value, dict):
            return sum(
                len(item) if key == "text" and isinstance(item, str) else count(item)
                for key, item in value.items()
            )
        if isinstance(value, list):
            return sum(count(item) for item in value)
        return 0

    return count(blocks)


def message_budget_used(blocks: list[Any]) -> int:
    """What a message's blocks take of its ~12,000: their text, and a little for each block.

    Slack staff speak of "12,000 text characters with a buffer for block containers"; bolt-js
    #2867 saw 11,341 characters over 45 blocks refused, and 9,597 over 50 accepted.
    """
    return block_text_length(blocks) + BLOCK_CONTAINER_CHARS * len(blocks)


def message_problems(
    blocks: Any, text: Any = None, *, mrkdwn: bool = True, budget: bool = True
) -> tuple[str | None, list[str]]:
    """Slack's answer to a message: (error, messages); (None, []) when it would be accepted.

    `mrkdwn`: the fallback `text` is mrkdwn (unless the call says `mrkdwn: false`).
    `budget`: apply the ~12,000-character block text budget (chat.postMessage, chat.update).
    """
    if text is not None and not isinstance(text, str):
        return "invalid_arguments", ["[ERROR] text must be a string [json-pointer:/text]"]
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        return "msg_too_long", []
    if blocks is not None:
        if not isinstance(blocks, list):
            return "invalid_blocks_format", [
                "[ERROR] blocks must be an array [json-pointer:/blocks]"
            ]
        problems = _blocks_problems(blocks)
        if len(blocks) > MAX_MESSAGE_BLOCKS:
            problems.append(
                f"[ERROR] no more than {MAX_MESSAGE_BLOCKS} items allowed [json-pointer:/blocks]"
            )
        if problems:
            return "invalid_blocks", problems
        if budget and block_text_length(blocks) > MAX_MESSAGE_BLOCK_TEXT:
            return "msg_blocks_too_long", []
    if isinstance(text, str) and mrkdwn:
        problems = mrkdwn_problems(text, "/text")
        if problems:
            return "invalid_arguments", problems
    return None, []


def view_too_large(view: JsonDict) -> bool:
    """Over 250 kB of JSON: Slack answers `view_too_large`."""
    return len(json.dumps(view).encode()) > MAX_VIEW_BYTES


def view_problems(view: Any) -> list[str]:
    """What Slack would refuse in a view (a modal, or the Home tab), size apart."""
    if not isinstance(view, dict):
        return ["[ERROR] view must be an object [json-pointer:/view]"]
    problems: list[str] = []
    kind = view.get("type")
    if kind not in {"modal", "home"}:
        problems.append("[ERROR] must be one of modal, home [json-pointer:/view/type]")
    if kind == "modal":
        if "title" not in view:
            problems.append("[ERROR] missing required field: title [json-pointer:/view]")
        for key in ("title", "submit", "close"):
            if key in view:
                problems += _text_problems(
                    view[key], f"/view/{key}", limit=MAX_VIEW_TITLE, plain_only=True
                )
    metadata = view.get("private_metadata", "")
    if not isinstance(metadata, str) or len(metadata) > MAX_PRIVATE_METADATA:
        problems.append(
            f"[ERROR] must be at most {MAX_PRIVATE_METADATA} characters "
            "[json-pointer:/view/private_metadata]"
        )
    for key in ("callback_id", "external_id"):
        problems += _id_problems(view.get(key), f"/view/{key}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*problems, "[ERROR] missing required field: blocks [json-pointer:/view]"]
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(
            f"[ERROR] no more than {MAX_VIEW_BLOCKS} items allowed [json-pointer:/view/blocks]"
        )
    problems += _blocks_problems(blocks, prefix="/view")
    submits = any(block.get("type") == "input" for block in blocks if isinstance(block, dict))
    if kind == "modal" and submits and "submit" not in view:
        problems.append("[ERROR] a view with input blocks needs submit [json-pointer:/view]")
    return problems


# -- blocks ----------------------------------------------------------------------------------


def _blocks_problems(blocks: list[Any], *, prefix: str = "") -> list[str]:
    problems: list[str] = []
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        pointer = f"{prefix}/blocks/{index}"
        if not isinstance(block, dict):
            problems.append(f"[ERROR] must be an object [json-pointer:{pointer}]")
            continue
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            problems.append(f"[ERROR] unknown block type {kind!r} [json-pointer:{pointer}/type]")
            continue
        if "block_id" in block:
            block_id = block["block_id"]
            problems += _id_problems(block_id, f"{pointer}/block_id")
            if block_id in block_ids:
                problems.append(f"[ERROR] duplicate block_id {block_id!r} [json-pointer:{pointer}]")
            block_ids.add(str(block_id))
        problems += _BLOCK_CHECKS.get(str(kind), _no_check)(block, pointer)
    return problems


def _no_check(block: JsonDict, pointer: str) -> list[str]:
    return []


def _section(block: JsonDict, pointer: str) -> list[str]:
    problems: list[str] = []
    if "text" not in block and "fields" not in block:
        problems.append(f"[ERROR] a section needs text or fields [json-pointer:{pointer}]")
    if "text" in block:
        problems += _text_problems(block["text"], f"{pointer}/text", limit=MAX_SECTION_TEXT)
    if "fields" in block:
        fields = block["fields"]
        if not isinstance(fields, list) or not fields:
            problems.append(f"[ERROR] fields must be a non-empty array [json-pointer:{pointer}]")
        else:
            if len(fields) > MAX_FIELDS:
                problems.append(
                    f"[ERROR] no more than {MAX_FIELDS} items allowed "
                    f"[json-pointer:{pointer}/fields]"
                )
            for index, item in enumerate(fields):
                problems += _text_problems(item, f"{pointer}/fields/{index}", limit=MAX_FIELD_TEXT)
    if "accessory" in block:
        problems += _element_problems(block["accessory"], f"{pointer}/accessory", ACCESSORIES)
    return problems


def _header(block: JsonDict, pointer: str) -> list[str]:
    return _text_problems(
        block.get("text"), f"{pointer}/text", limit=MAX_HEADER_TEXT, plain_only=True
    )


def _elements(block: JsonDict, pointer: str, most: int) -> tuple[list[Any], list[str]]:
    """A block's `elements` and the problems of their number (1 to `most`)."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [], [f"[ERROR] elements must be a non-empty array [json-pointer:{pointer}]"]
    if len(elements) > most:
        return elements, [
            f"[ERROR] no more than {most} items allowed [json-pointer:{pointer}/elements]"
        ]
    return elements, []


def _context(block: JsonDict, pointer: str) -> list[str]:
    elements, problems = _elements(block, pointer, MAX_CONTEXT_ELEMENTS)
    for index, element in enumerate(elements):
        at = f"{pointer}/elements/{index}"
        if isinstance(element, dict) and element.get("type") == "image":
            problems += _image_problems(element, at)
        else:
            problems += _text_problems(element, at, limit=MAX_SECTION_TEXT)
    return problems


def _actions(block: JsonDict, pointer: str) -> list[str]:
    elements, problems = _elements(block, pointer, MAX_ACTIONS_ELEMENTS)
    action_ids: set[str] = set()
    for index, element in enumerate(elements):
        at = f"{pointer}/elements/{index}"
        problems += _element_problems(element, at, INTERACTIVE)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None:
            if action_id in action_ids:
                problems.append(f"[ERROR] duplicate action_id {action_id!r} [json-pointer:{at}]")
            action_ids.add(str(action_id))
    return problems


def _input(block: JsonDict, pointer: str) -> list[str]:
    problems = _text_problems(
        block.get("label"), f"{pointer}/label", limit=MAX_LABEL, plain_only=True
    )
    if "hint" in block:
        problems += _text_problems(
            block["hint"], f"{pointer}/hint", limit=MAX_HINT, plain_only=True
        )
    return problems + _element_problems(block.get("element"), f"{pointer}/element", INPUTS)


def _image_block(block: JsonDict, pointer: str) -> list[str]:
    return _image_problems(block, pointer)


_BLOCK_CHECKS = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image_block,
}


# -- elements --------------------------------------------------------------------------------


def _element_problems(element: Any, pointer: str, allowed: frozenset[str]) -> list[str]:
    if not isinstance(element, dict):
        return [f"[ERROR] must be an object [json-pointer:{pointer}]"]
    kind = element.get("type")
    if kind not in allowed:
        return [f"[ERROR] element type {kind!r} is not allowed here [json-pointer:{pointer}/type]"]
    problems = _id_problems(element.get("action_id"), f"{pointer}/action_id")
    if "placeholder" in element:
        problems += _text_problems(
            element["placeholder"], f"{pointer}/placeholder", limit=MAX_PLACEHOLDER, plain_only=True
        )
    if kind == "button":
        problems += _text_problems(
            element.get("text"), f"{pointer}/text", limit=MAX_BUTTON_TEXT, plain_only=True
        )
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE):
            problems.append(
                f"[ERROR] must be at most {MAX_BUTTON_VALUE} characters "
                f"[json-pointer:{pointer}/value]"
            )
        url = element.get("url")
        if url is not None and (not isinstance(url, str) or len(url) > MAX_URL):
            problems.append(
                f"[ERROR] must be at most {MAX_URL} characters [json-pointer:{pointer}/url]"
            )
    elif kind == "image":
        problems += _image_problems(element, pointer)
    elif kind in {
        "static_select",
        "multi_static_select",
        "overflow",
        "checkboxes",
        "radio_buttons",
    }:
        problems += _options_problems(element, pointer)
    elif kind == "plain_text_input":
        problems += _plain_text_input_problems(element, pointer)
    return problems


def _options_problems(element: JsonDict, pointer: str) -> list[str]:
    problems: list[str] = []
    groups = element.get("option_groups")
    if groups is not None:
        if not isinstance(groups, list) or not 0 < len(groups) <= MAX_OPTIONS:
            return [f"[ERROR] 1 to {MAX_OPTIONS} option_groups [json-pointer:{pointer}]"]
        options = [
            (f"{pointer}/option_groups/{g}/options/{i}", option)
            for g, group in enumerate(groups)
            for i, option in enumerate(group.get("options") or [])
        ]
    else:
        listed = element.get("options")
        if not isinstance(listed, list) or not listed:
            return [f"[ERROR] options must be a non-empty array [json-pointer:{pointer}]"]
        limit = 5 if element.get("type") == "overflow" else MAX_OPTIONS
        if len(listed) > limit:
            problems.append(
                f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}/options]"
            )
        options = [(f"{pointer}/options/{i}", option) for i, option in enumerate(listed)]
    for at, option in options:
        if not isinstance(option, dict):
            problems.append(f"[ERROR] must be an object [json-pointer:{at}]")
            continue
        plain_only = element.get("type") not in {"checkboxes", "radio_buttons"}
        problems += _text_problems(
            option.get("text"), f"{at}/text", limit=MAX_OPTION_TEXT, plain_only=plain_only
        )
        value = option.get("value")
        if not isinstance(value, str) or not 0 < len(value) <= MAX_OPTION_VALUE:
            problems.append(
                f"[ERROR] must be 1 to {MAX_OPTION_VALUE} characters [json-pointer:{at}/value]"
            )
    chosen = [element["initial_option"]] if "initial_option" in element else []
    chosen += element.get("initial_options") or []
    known = [option for _, option in options]
    for option in chosen:
        if option not in known:
            problems.append(
                "[ERROR] initial_option must exactly match one of the options "
                f"[json-pointer:{pointer}/initial_option]"
            )
    return problems


def _plain_text_input_problems(element: JsonDict, pointer: str) -> list[str]:
    problems: list[str] = []
    max_length = element.get("max_length")
    if max_length is not None and (
        not isinstance(max_length, int) or not 0 < max_length <= MAX_INPUT_LENGTH
    ):
        problems.append(
            f"[ERROR] must be at most {MAX_INPUT_LENGTH} [json-pointer:{pointer}/max_length]"
        )
    initial = element.get("initial_value")
    ceiling = max_length if isinstance(max_length, int) else MAX_INPUT_LENGTH
    if initial is not None and (not isinstance(initial, str) or len(initial) > ceiling):
        problems.append(
            f"[ERROR] must be at most {ceiling} characters [json-pointer:{pointer}/initial_value]"
        )
    return problems


def _image_problems(element: JsonDict, pointer: str) -> list[str]:
    problems: list[str] = []
    if not (element.get("image_url") or element.get("slack_file")):
        problems.append(f"[ERROR] image_url or slack_file is required [json-pointer:{pointer}]")
    alt = element.get("alt_text")
    if not isinstance(alt, str) or not 0 < len(alt) <= MAX_LABEL:
        problems.append(f"[ERROR] alt_text is required [json-pointer:{pointer}/alt_text]")
    return problems


# -- text ------------------------------------------------------------------------------------


def _text_problems(value: Any, pointer: str, *, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        return [f"[ERROR] must be a text object [json-pointer:{pointer}]"]
    kind = value.get("type")
    allowed = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if kind not in allowed:
        return [f"[ERROR] must be one of {sorted(allowed)} [json-pointer:{pointer}/type]"]
    text = value["text"]
    problems: list[str] = []
    if not text:
        problems.append(f"[ERROR] must be more than 0 characters [json-pointer:{pointer}/text]")
    if len(text) > limit:
        problems.append(
            f"[ERROR] must be at most {limit} characters, was {len(text)} "
            f"[json-pointer:{pointer}/text]"
        )
    if kind == "mrkdwn":
        problems += mrkdwn_problems(text, f"{pointer}/text")
    return problems


def _id_problems(value: Any, pointer: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        return [f"[ERROR] must be 1 to {MAX_ID} characters [json-pointer:{pointer}]"]
    return []
