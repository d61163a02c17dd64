"""Plan files as an `.xlsx` workbook: reading (with Excel's saved formula values) and writing."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from bot.domain.planfile import CellError
from bot.planio.apostrophe_guard import neutralise
from bot.planio.cells import FormulaWithoutValue, Table, cell_text
from bot.planio.columns import ALL_SHEETS, SHEETS
from bot.planio.sheet_rows import Cell, text_to_write

# Fixed workbook properties and zip timestamps make the .xlsx byte-stable.
_FIXED_TIMESTAMP = dt.datetime(2000, 1, 1)  # noqa: DTZ001 - openpyxl writes naive times
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# Characters XML 1.0 cannot hold; openpyxl refuses them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def read_workbook_tables(path: Path, errors: list[CellError]) -> dict[str, Table]:
    """The sheets of a plan workbook; a formula cell counts as the value Excel saved for it."""
    try:
        workbook = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        reason = str(exc) or type(exc).__name__
        errors.append(
            CellError(
                path.name,
                None,
                None,
                f"cannot read this file as an Excel workbook (.xlsx): {reason}",
            )
        )
        return {}
    sheets: dict[str, Any] = {}
    for worksheet in workbook.worksheets:
        name = str(worksheet.title).strip().lower()
        if name in ALL_SHEETS and name in sheets:
            errors.append(
                CellError(name, None, None, f"the workbook has two sheets named '{name}'")
            )
        sheets.setdefault(name, worksheet)
    cached: Any = None  # a second copy with the values Excel saved for formulas, if needed
    tables: dict[str, Table] = {}
    for sheet in ALL_SHEETS:
        worksheet = sheets.get(sheet)
        if worksheet is None:
            if sheet not in SHEETS:
                continue  # an optional sheet (settings, statuses, indicators)
            errors.append(CellError(sheet, None, None, f"missing sheet '{sheet}'"))
            continue
        grid: list[tuple[int, list[object]]] = []
        for cells in worksheet.iter_rows():
            values: list[object] = []
            for cell in cells:
                value: object = cell.value
                if cell.data_type == "f":
                    if cached is None:
                        cached = openpyxl.load_workbook(path, data_only=True)
                    value = cached[worksheet.title].cell(cell.row, cell.column).value
                    if value is None:
                        value = FormulaWithoutValue()
                values.append(value)
            if cells:
                grid.append((int(cells[0].row), values))
        headers = [cell_text(value) for value in grid[0][1]] if grid else []
        tables[sheet] = Table(sheet, headers, grid[1:])
    return tables


def _column_width(rows: list[list[Cell]], index: int) -> float:
    longest = max(
        (len(text_to_write(row[index]).split("\n", 1)[0]) for row in rows if index < len(row)),
        default=8,
    )
    return float(min(max(longest, 8), 60) + 2)


def workbook_bytes(tables: dict[str, list[list[Cell]]]) -> bytes:
    """The sheets as a byte-stable `.xlsx`: bold, frozen headers and text stored as text."""
    workbook: Any = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for sheet, rows in tables.items():
        worksheet = workbook.create_sheet(sheet)
        for row_number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                cell = worksheet.cell(row_number, column)
                if isinstance(value, dt.date):
                    cell.value = value
                    cell.number_format = "yyyy-mm-dd"
                elif value:
                    cell.value = _XML_ILLEGAL.sub("", neutralise(value))
                    cell.data_type = "s"  # text, never a formula
                if row_number == 1:
                    cell.font = bold
        worksheet.freeze_panes = "A2"
        for column in range(len(rows[0])):
            letter = get_column_letter(column + 1)
            worksheet.column_dimensions[letter].width = _column_width(rows, column)
    workbook.properties.creator = "planbot"
    workbook.properties.created = _FIXED_TIMESTAMP
    workbook.properties.modified = _FIXED_TIMESTAMP
    raw = io.BytesIO()
    # ExcelWriter, not Workbook.save: save() stamps `modified` with the current time.
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    return _with_fixed_zip_times(raw.getvalue())


def _with_fixed_zip_times(data: bytes) -> bytes:
    """The same zip archive with every entry dated 1980-01-01, so equal content is equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
