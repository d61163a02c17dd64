"""The guard plan files put on formula-looking text: an apostrophe, taken off again on reading."""

from __future__ import annotations

import re

# A spreadsheet runs a cell starting with one of these as a formula (OWASP CSV injection).
_NEEDS_GUARD = re.compile(r"'*[=+\-@\t\r]")
_GUARDED = re.compile(r"'+[=+\-@\t\r]")


def neutralise(value: str) -> str:
    """The text to store in a cell so that no spreadsheet runs it as a formula.

    Rule: prefix one apostrophe when the value starts with a formula trigger
    (`=`, `+`, `-`, `@`, tab, carriage return) *or* with one or more apostrophes followed by
    a trigger. `unneutralise` removes exactly one leading apostrophe from a value of that
    second shape. So `=SUM(A1)` is stored as `'=SUM(A1)`, `'=already` as `''=already`,
    `'plain` and `it's` unchanged, and `unneutralise(neutralise(v)) == v` for every `v`.
    A person who types `'=SUM(A1)` in a plan file gets the text `=SUM(A1)`.
    """
    return "'" + value if _NEEDS_GUARD.match(value) else value


def unneutralise(value: str) -> str:
    """The value of a cell written by `neutralise`: one guarding apostrophe removed."""
    return value[1:] if _GUARDED.match(value) else value
