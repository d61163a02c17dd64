"""`read_plan` and `write_plan`: the format chosen by the path, and the plan named after it."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from bot.domain.planfile import CellError, PlanFile
from bot.domain.status import DEFAULT_SCHEME, StatusScheme
from bot.planio.csv_folder import read_csv_tables, write_csv_folder
from bot.planio.sheet_rows import plan_tables
from bot.planio.validation import PlanFileError, plan_from_tables
from bot.planio.workbook import read_workbook_tables, workbook_bytes

SAMPLE_PLAN = Path(__file__).parents[1] / "sample_plan"  # the sample plan shipped with planbot


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "plan"


def _stem(path: Path) -> str:
    resolved = path if path.name else path.resolve()
    return resolved.stem if resolved.suffix.lower() == ".xlsx" else resolved.name


def plan_key_for(path: Path) -> str:
    """The plan key a file name gives: `Sample_Plan.xlsx` → `sample-plan`."""
    return _slug(_stem(path))


def _plan_name_for(path: Path) -> str:
    words = " ".join(re.sub(r"[_\-]+", " ", _stem(path)).split()) or "Plan"
    return words[0].upper() + words[1:] if words.islower() else words


def read_plan(
    path: Path, *, key: str | None = None, scheme: StatusScheme = DEFAULT_SCHEME
) -> PlanFile:
    """Read and validate a plan file; raise `PlanFileError` listing every problem in it."""
    errors: list[CellError] = []
    if path.is_dir():
        tables = read_csv_tables(path, errors)
    elif path.suffix.lower() == ".xlsx" and path.is_file():
        tables = read_workbook_tables(path, errors)
    else:
        if not path.exists():
            message = f"there is no file or folder {path}"
        elif path.suffix.lower() == ".xls":
            message = "this is an old .xls workbook; save it as .xlsx (Excel Workbook)"
        else:
            message = (
                "not a plan file: give an .xlsx workbook or a folder holding actions.csv, "
                "people.csv and meetings.csv"
            )
        raise PlanFileError([CellError(path.name or str(path), None, None, message)])

    return plan_from_tables(
        tables, errors, key=key or plan_key_for(path), name=_plan_name_for(path), scheme=scheme
    )


def write_plan(plan: PlanFile, path: Path) -> None:
    """Write `plan` as an `.xlsx` workbook (path ends in .xlsx) or a folder of three CSVs.

    Text is written verbatim except that `neutralise` guards formula-looking values and, in
    a workbook only, characters XML cannot hold (control characters other than tab, LF and
    CR) are dropped.
    """
    tables = plan_tables(plan)
    if path.suffix.lower() == ".xlsx":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(workbook_bytes(tables))
    else:
        write_csv_folder(tables, path)
