"""Dates as planbot writes them for people: Slack messages, the report's files, the command line,
and the services' refusals (pure formatting, so it lives with the domain)."""

from __future__ import annotations

import datetime as dt

NOT_APPLICABLE = "–"  # what a report shows where there is nothing to show: no date, no value


def short_date(value: dt.date | None) -> str:
    """`23 Jan 2020` (a datetime: its date); a dash for none."""
    if value is None:
        return NOT_APPLICABLE
    return f"{value.day} {value:%b %Y}"


def weekday_date(value: dt.date) -> str:
    """`Thu 23 Jan 2020`."""
    return f"{value:%a} {short_date(value)}"


def long_date(value: dt.date | None) -> str:
    """`Friday 7 February 2020`; a dash for none."""
    if value is None:
        return NOT_APPLICABLE
    return f"{value:%A} {value.day} {value:%B %Y}"


def utc_date_time(value: dt.datetime | None) -> str:
    """`31 Jan 2020 14:05 UTC`; a dash for none."""
    if value is None:
        return NOT_APPLICABLE
    utc = value.astimezone(dt.UTC)
    return f"{short_date(utc)} {utc:%H:%M} UTC"
