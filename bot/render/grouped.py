"""Several lists on one surface (a plan's each, and within a plan yours, a directorate's, the
whole plan's), fitted together: every list keeps at least its head and a count, and the room
left is shared out, the lists that come `first` before the others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.render.blockkit import Block, context, section
from bot.render.fitting import Entry, Room, lay_out


@dataclass(frozen=True)
class ListPart:
    """One list of a surface: a head, its entries, what the rest are called (`more`, with
    `{n}`) and where to see them all (`pointer`). `first` parts (a person's own actions) get
    their share of the room before the others."""

    head: list[Block]
    entries: list[Entry]
    more: str
    pointer: str = ""
    first: bool = True

    def least(self) -> list[Block]:
        """The part at its smallest: its head and a count."""
        if not self.entries:
            return self.head
        return [*self.head, section(self.more.format(n=len(self.entries)) + "."), context(" ")]


def _divided(room: Room, parts: int) -> Room:
    """An equal share of `room` for each of `parts`."""
    return Room(
        room.blocks // parts,
        None if room.text is None else room.text // parts,
        None if room.size is None else room.size // parts,
    )


def _smaller(one: Room, other: Room) -> Room:
    """What both rooms hold."""

    def least(a: int | None, b: int | None) -> int | None:
        return b if a is None else a if b is None else min(a, b)

    return Room(
        min(one.blocks, other.blocks), least(one.text, other.text), least(one.size, other.size)
    )


def lay_out_parts(parts: Sequence[ListPart], room: Room) -> list[list[Block]]:
    """Each part's blocks (in the parts' order), all of them within `room`.

    The `first` parts are laid out first, each within an equal share of what the others'
    least leaves (and what one part leaves is there for the next); then the others, in
    order, each within what is left once the parts after it have their least. One part alone
    is laid out within the whole room, as `lay_out` would."""
    least = [part.least() for part in parts]
    order = [i for i, part in enumerate(parts) if part.first]
    order += [i for i, part in enumerate(parts) if not part.first]
    laid: dict[int, list[Block]] = {}
    for position, index in enumerate(order):
        part, later = parts[index], order[position + 1 :]
        share = room.less([block for other in later for block in least[other]])
        peers = sum(1 for other in later if parts[other].first)
        if part.first and peers:
            rest = [block for other in later if not parts[other].first for block in least[other]]
            share = _smaller(share, _divided(room.less(rest), peers + 1))
        laid[index] = lay_out(
            part.head, part.entries, [], share, more=part.more, pointer=part.pointer
        )
        room = room.less(laid[index])
    return [laid[index] for index in range(len(parts))]
