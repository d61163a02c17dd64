"""Reading and writing plan files: an `.xlsx` workbook or a folder of three CSV files.

A plan file has three tables, `actions`, `people` and `meetings` (see the sample plan).
`read_plan` validates the whole file and reports every problem at once in a
`PlanFileError`; `write_plan` writes the same format back, in a stable order, so that
read → write → read → write gives identical files.

Formula injection: every text cell written is passed through `neutralise` and every text
cell read through `unneutralise`, so a spreadsheet never runs a value as a formula and
every value still round-trips exactly (see `neutralise`).

The modules, each importing only those listed before it: `columns` (the sheets and their
columns), `apostrophe_guard` (`neutralise`), `cells` (reading cells, dates and periods),
`headers` (checking header rows), `people_sheet` (the people sheet, and who is who),
`validation` (the sheets into a PlanFile, with every error), `sheet_rows` (a PlanFile as
rows to write), `csv_folder` and `workbook` (each format, both ways), `files` (`read_plan`
and `write_plan`, the format chosen by the path).
"""

from bot.planio.apostrophe_guard import neutralise, unneutralise
from bot.planio.files import SAMPLE_PLAN, read_plan, write_plan
from bot.planio.validation import PlanFileError

__all__ = [
    "SAMPLE_PLAN",
    "PlanFileError",
    "neutralise",
    "read_plan",
    "unneutralise",
    "write_plan",
]
