"""The guard plan files put on formula-looking text: an apostrophe, taken off again on reading.

What counts as a formula is `bot.domain.formulas.looks_like_formula`, the rule the report
workbook follows too; plan files guard with an apostrophe because planbot reads them back and
a CSV cell has no style to carry the guard.
"""

from __future__ import annotations

from bot.domain.formulas import looks_like_formula


def neutralise(value: str) -> str:
    """The text to store in a cell so that no spreadsheet runs it as a formula.

    Rule: prefix one apostrophe when the value looks like a formula (starts with `=`, `+`,
    `-`, `@`, tab, carriage return) *or* is one or more apostrophes followed by such a value.
    `unneutralise` removes exactly one leading apostrophe from a value of that second shape.
    So `=SUM(A1)` is stored as `'=SUM(A1)`, `'=already` as `''=already`, `'plain` and `it's`
    unchanged, and `unneutralise(neutralise(v)) == v` for every `v`. A person who types
    `'=SUM(A1)` in a plan file gets the text `=SUM(A1)`.
    """
    return "'" + value if looks_like_formula(value.lstrip("'")) else value


def unneutralise(value: str) -> str:
    """The value of a cell written by `neutralise`: one guarding apostrophe removed."""
    guarded = value.startswith("'") and looks_like_formula(value.lstrip("'"))
    return value[1:] if guarded else value
