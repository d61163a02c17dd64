"""How planbot writes a date in what people read: `23 Jan 2020`, `Thu 23 Jan 2020`."""

from __future__ import annotations

import datetime as dt


def day(value: dt.date) -> str:
    """`23 Jan 2020`."""
    return f"{value.day} {value:%b %Y}"


def weekday(value: dt.date) -> str:
    """`Thu 23 Jan 2020`."""
    return f"{value:%a} {value.day} {value:%b %Y}"
