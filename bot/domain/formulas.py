"""Which text a spreadsheet runs as a formula: one rule for every spreadsheet planbot writes.

Excel, LibreOffice and Google Sheets run a cell whose text starts with `=`, `+`, `-` or `@` as
a formula (or DDE), and a leading tab or carriage return can hide one (OWASP, "CSV
injection"). Each writer guards such text in the way its format allows:

- plan files (`bot.planio`, CSV folders and the plan workbook), which planbot reads back: an
  apostrophe in front (`bot.planio.neutralise`), taken off again on reading;
- the report workbook (`bot.render.report_xlsx`), read by people: the text as it is, stored
  as a string with Excel's quote-prefix style.
"""

from __future__ import annotations

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could run `text` as a formula if a cell held it as it is."""
    return text.startswith(FORMULA_TRIGGERS)
