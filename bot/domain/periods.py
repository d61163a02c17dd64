"""Reporting periods: financial-year quarters such as `2019-20-Q3` (October–December 2019)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.errors import InvalidInput

FY_START_MONTH = 4  # UK public-sector financial years start on 1 April

_KEY = re.compile(r"^(\d{4})-(\d{2})-Q([1-4])$")
_FORMS = (
    re.compile(r"^(?P<y1>\d{4})\s*[/-]\s*(?P<y2>\d{2}|\d{4})\s*-?\s*Q(?P<q>[1-4])$", re.I),
    re.compile(r"^Q(?P<q>[1-4])\s*[-,]?\s*(?P<y1>\d{4})\s*[/-]\s*(?P<y2>\d{2}|\d{4})$", re.I),
    re.compile(r"^Q(?P<q>[1-4])$", re.I),
)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True, order=True)
class Period:
    """A financial-year quarter: `start_year` is the year the financial year begins."""

    start_year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1-4, not {self.quarter}")

    @property
    def key(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}-Q{self.quarter}"

    @property
    def financial_year(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def start(self) -> dt.date:
        month = FY_START_MONTH + 3 * (self.quarter - 1)
        return dt.date(self.start_year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        return self.next().start - dt.timedelta(days=1)

    @property
    def short_label(self) -> str:
        """`Q3 2019/20`."""
        return f"Q{self.quarter} {self.financial_year}"

    @property
    def label(self) -> str:
        """`Q3 2019/20 (October–December 2019)`."""
        first, last = self.start, self.end
        return (
            f"{self.short_label} ({_MONTHS[first.month - 1]}–{_MONTHS[last.month - 1]} {last.year})"
        )

    def next(self) -> Period:
        if self.quarter == 4:
            return Period(self.start_year + 1, 1)
        return Period(self.start_year, self.quarter + 1)

    def previous(self) -> Period:
        if self.quarter == 1:
            return Period(self.start_year - 1, 4)
        return Period(self.start_year, self.quarter - 1)

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        """The quarter that `day` falls in."""
        months_in = (day.month - FY_START_MONTH) % 12
        start_year = day.year if day.month >= FY_START_MONTH else day.year - 1
        return cls(start_year, months_in // 3 + 1)

    @classmethod
    def from_key(cls, key: str) -> Period:
        """The period for a canonical key such as `2019-20-Q3`."""
        match = _KEY.match(key.strip())
        if not match:
            raise InvalidInput(
                f"'{key}' is not a period key.", hint="Periods look like 2019-20-Q3."
            )
        year, short, quarter = int(match[1]), int(match[2]), int(match[3])
        if (year + 1) % 100 != short:
            raise InvalidInput(
                f"'{key}' is not a period key: {year} is not followed by {short:02d}.",
                hint=f"Did you mean {year}-{(year + 1) % 100:02d}-Q{quarter}?",
            )
        return cls(year, quarter)


def parse_period(text: str, *, today: dt.date) -> Period:
    """Read `2019-20-Q3`, `2019/20 Q3`, `Q3 2019/20` or `Q3` (this financial year)."""
    cleaned = " ".join(text.split())
    if _KEY.match(cleaned):
        return Period.from_key(cleaned)
    for form in _FORMS:
        match = form.match(cleaned)
        if not match:
            continue
        quarter = int(match["q"])
        if "y1" not in match.groupdict():
            return Period(Period.containing(today).start_year, quarter)
        year = int(match["y1"])
        second = int(match["y2"])
        if second % 100 != (year + 1) % 100:
            break
        return Period(year, quarter)
    raise InvalidInput(
        f"'{text.strip()}' is not a period I can read.",
        hint="Write it as 2019-20-Q3, 2019/20 Q3, Q3 2019/20, or Q3 for this financial year.",
    )
