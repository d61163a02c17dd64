"""Fitting a surface: what a message or a view holds, and long lists laid out within it.

A message may carry 50 blocks and about 12,000 characters of block text; a view 100 blocks
and 250 KB of JSON (`bot.render.blockkit` has the limits and the margins laid out to). A list
too long for that is shown at the most detail that fits, and never loses an item silently:
some in full, the next on one line each, the rest by key or counted, and where to see them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.render.blockkit import (
    BLOCK_CONTAINER_CHARS,
    BLOCK_TEXT_BUDGET,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    MAX_VIEW_BLOCKS,
    VIEW_BYTES_BUDGET,
    Block,
    context,
    section,
    shorten_mrkdwn,
)


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
        part = shorten_mrkdwn(part, limit)
        if current and len(current) + len(sep) + len(part) > limit:
            chunks.append(current)
            current = part
        else:
            current = f"{current}{sep}{part}" if current else part
    if current:
        chunks.append(current)
    return chunks


def _largest(low: int, high: int, holds: Callable[[int], bool]) -> int | None:
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
