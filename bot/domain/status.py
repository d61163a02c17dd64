"""The status scheme: statuses, their synonyms, colours and order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.errors import InvalidInput


class Direction(StrEnum):
    """Direction of travel of an action against the previous period."""

    IMPROVED = "improved"
    SAME = "same"
    WORSE = "worse"
    NEW = "new"


@dataclass(frozen=True)
class StatusDef:
    """One status of a scheme."""

    key: str
    label: str
    colour: str  # hex RGB without '#', used for cells and charts
    emoji: str
    rank: int | None  # higher is better; None: no direction of travel (e.g. on hold)
    synonyms: tuple[str, ...] = ()
    needs_note: bool = False
    closes: bool = False


def fold_word(text: str) -> str:
    """A status word as it is looked up: case, spaces, `-` and `_` folded."""
    return re.sub(r"[\s_\-]+", "_", text.strip().lower())


@dataclass(frozen=True)
class StatusScheme:
    """An ordered set of statuses with the words people use for them."""

    statuses: tuple[StatusDef, ...]
    _lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for status in self.statuses:
            for word in (status.key, status.label, *status.synonyms):
                lookup[fold_word(word)] = status.key
        object.__setattr__(self, "_lookup", lookup)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.statuses)

    def get(self, key: str) -> StatusDef:
        for status in self.statuses:
            if status.key == key:
                return status
        raise KeyError(key)

    def lookup(self, text: str) -> str | None:
        """The status key for a word people type, or None."""
        return self._lookup.get(fold_word(text))

    def parse(self, text: str) -> str:
        """The status key for `text`; refuses anything else, listing the valid statuses."""
        key = self.lookup(text)
        if key is None:
            raise InvalidInput(
                f"'{text.strip()}' is not a status.",
                hint=f"Use one of: {', '.join(self.keys)}.",
            )
        return key

    def label(self, key: str) -> str:
        return self.get(key).label

    def needs_note(self, key: str) -> bool:
        return self.get(key).needs_note

    def closes(self, key: str) -> bool:
        """True for a status that closes the action (complete); False for unknown keys."""
        return any(s.key == key and s.closes for s in self.statuses)

    def direction(self, previous: str | None, current: str | None) -> Direction | None:
        """Direction of travel from `previous` to `current`; None where either has no order."""
        if current is None:
            return None
        if previous is None:
            return Direction.NEW
        before, after = self.get(previous).rank, self.get(current).rank
        if before is None or after is None:
            return Direction.SAME if previous == current else None
        if after > before:
            return Direction.IMPROVED
        if after < before:
            return Direction.WORSE
        return Direction.SAME

    def is_worse(self, previous: str | None, current: str) -> bool:
        return self.direction(previous, current) is Direction.WORSE

    @property
    def on_track(self) -> str | None:
        """The best status of an open action (green by default): the highest-ranked one that
        does not complete it. Such an action past its target date is "green but overdue"."""
        ranked = [s for s in self.statuses if s.rank is not None and not s.closes]
        return max(ranked, key=lambda s: s.rank or 0).key if ranked else None

    def ordered(self, keys: Iterable[str]) -> list[str]:
        """`keys` in the scheme's order."""
        wanted = set(keys)
        return [k for k in self.keys if k in wanted]


@dataclass(frozen=True)
class StatusWords:
    """The status words of several schemes at once, for reading a command before its plan is
    known (`/update ACT-12 minor delay …` where one plan says minor_delay): a word is a status
    word when any scheme knows it. The plan's own scheme then reads it (`StatusScheme.parse`)."""

    schemes: tuple[StatusScheme, ...]

    def lookup(self, text: str) -> str | None:
        for scheme in self.schemes:
            key = scheme.lookup(text)
            if key is not None:
                return key
        return None


DEFAULT_SCHEME = StatusScheme(
    statuses=(
        StatusDef(
            "not_started",
            "Not started",
            "BFBFBF",
            ":white_circle:",
            0,
            ("not-started", "not started", "ns", "none"),
        ),
        StatusDef(
            "green",
            "On track",
            "2E7D32",
            ":large_green_circle:",
            3,
            ("g", "on-track", "on track", "ontrack", "ok"),
        ),
        StatusDef(
            "amber",
            "At risk",
            "F9A825",
            ":large_yellow_circle:",
            2,
            ("a", "at-risk", "at risk", "yellow"),
            needs_note=True,
        ),
        StatusDef(
            "red",
            "Off track",
            "C62828",
            ":red_circle:",
            1,
            ("r", "off-track", "off track"),
            needs_note=True,
        ),
        StatusDef(
            "complete",
            "Complete",
            "1565C0",
            ":large_blue_circle:",
            4,
            ("blue", "b", "done", "completed", "closed", "finished"),
            closes=True,
        ),
        StatusDef(
            "on_hold",
            "On hold",
            "6A1B9A",
            ":double_vertical_bar:",
            None,
            ("hold", "on-hold", "on hold", "paused", "pause"),
        ),
    )
)
