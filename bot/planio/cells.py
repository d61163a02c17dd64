"""Reading one sheet's cells: text with the formula guard removed, dates, periods, yes/no."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.domain.periods import Period, parse_period
from bot.domain.planfile import CellError
from bot.errors import InvalidInput
from bot.planio.apostrophe_guard import unneutralise

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_Key = TypeVar("_Key", bound=Hashable)
_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0"})


@dataclass
class Table:
    """One sheet as read: header texts (trimmed) and the data rows with their row numbers."""

    sheet: str
    headers: list[str]
    rows: list[tuple[int, list[object]]]
    columns: dict[str, int] = field(default_factory=dict)  # lower-case header → index


class FormulaWithoutValue:
    """Marks a workbook cell that holds a formula with no saved value."""


def cell_text(value: object) -> str:
    """The text of a cell value, trimmed, with a formula guard removed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unneutralise(value.strip())
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: object) -> bool:
    """Whether a cell holds nothing but white space."""
    return value is None or (isinstance(value, str) and not value.strip())


class Row:
    """One data row, recording its problems as it is read."""

    def __init__(
        self, table: Table, number: int, values: list[object], errors: list[CellError]
    ) -> None:
        self.table = table
        self.number = number
        self.values = values
        self._errors = errors
        self.ok = True

    def error(self, index: int | None, message: str) -> None:
        column = self.table.headers[index] if index is not None else None
        self._errors.append(CellError(self.table.sheet, self.number, column, message))
        self.ok = False

    def first_in_sheet(self, name: str, key: _Key, seen: dict[_Key, int], duplicate: str) -> bool:
        """Whether no earlier row had `key`; if one did, an error `duplicate (also row N)`."""
        if key in seen:
            self.error(self.index(name), f"{duplicate} (also row {seen[key]})")
            return False
        seen[key] = self.number
        return True

    def index(self, name: str) -> int | None:
        return self.table.columns.get(name)

    def raw(self, index: int) -> object:
        return self.values[index] if index < len(self.values) else None

    def text(self, name: str) -> str:
        """The trimmed text of an optional column ("" when blank or absent)."""
        index = self.index(name)
        return "" if index is None else self.text_at(index)

    def text_at(self, index: int) -> str:
        value = self.raw(index)
        if isinstance(value, FormulaWithoutValue):
            self.error(index, "holds a formula with no saved value; type the value instead")
            return ""
        return cell_text(value)

    def required(self, name: str) -> str | None:
        """The text of a required column; None (and an error) when blank."""
        index = self.index(name)
        if index is None:  # the missing column is reported once, on row 1
            return None
        text = self.text_at(index)
        if not text:
            if not isinstance(self.raw(index), FormulaWithoutValue):
                self.error(index, f"{name} is blank")
            return None
        return text

    def date(self, name: str, *, required: bool) -> dt.date | None:
        index = self.index(name)
        if index is None:
            return None
        value = self.raw(index)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = self.text_at(index)
        if not text:
            if required and not isinstance(value, FormulaWithoutValue):
                self.error(index, f"{name} is blank")
            return None
        try:
            return parse_date(text)
        except ValueError as exc:
            self.error(index, str(exc))
            return None

    def flag(self, name: str, *, default: bool) -> bool:
        index = self.index(name)
        if index is None:
            return default
        text = self.text_at(index).lower()
        if not text:
            return default
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.error(index, f"'{text}' is not yes or no")
        return default


def data_rows(table: Table, errors: list[CellError]) -> Iterable[Row]:
    """The rows of `table` that hold anything, each recording its problems in `errors`."""
    for number, values in table.rows:
        if all(is_blank(value) for value in values):
            continue
        yield Row(table, number, values, errors)


def parse_date(text: str) -> dt.date:
    """A date written `2019-07-31` or `31/07/2019`; ValueError with a readable message."""
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := _UK_DATE.fullmatch(text):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
    else:
        raise ValueError(f"'{text}' is not a date; write it as 2019-07-31 or 31/07/2019")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"'{text}' is not a real date") from None


def read_period(text: str) -> Period | None:
    """A period named with its year (`2019-20-Q3`, `2019/20 Q3`, `Q3 2019/20`), or None."""
    try:
        return Period.from_key(text)
    except InvalidInput:
        pass
    if not re.search(r"\d{4}", text):
        return None  # a bare `Q3` depends on today's date: not in a file
    try:
        return parse_period(text, today=dt.date(2000, 1, 1))
    except InvalidInput:
        return None
