"""Plan files as a folder of CSV files (UTF-8, comma delimited), three and an optional
`indicators.csv`: reading and writing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.domain.planfile import CellError
from bot.planio.cells import Table
from bot.planio.columns import ALL_SHEETS, SHEETS
from bot.planio.sheet_rows import Cell, text_to_write


def read_csv_tables(folder: Path, errors: list[CellError]) -> dict[str, Table]:
    """The sheets of a plan folder, one CSV file each; a file that cannot be read is an error."""
    tables: dict[str, Table] = {}
    for sheet in ALL_SHEETS:
        path = folder / f"{sheet}.csv"
        if not path.is_file():
            if sheet not in SHEETS:
                continue  # an optional sheet (settings, statuses, indicators)
            errors.append(CellError(sheet, None, None, f"missing file {sheet}.csv in {folder}"))
            continue
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                records = list(csv.reader(handle))
        except UnicodeDecodeError:
            errors.append(
                CellError(sheet, None, None, "not UTF-8 text; save the file as CSV UTF-8")
            )
            continue
        except (OSError, csv.Error) as exc:
            errors.append(CellError(sheet, None, None, f"cannot read {path.name}: {exc}"))
            continue
        headers = [cell.strip() for cell in records[0]] if records else []
        rows: list[tuple[int, list[object]]] = [
            (number, list(record)) for number, record in enumerate(records[1:], start=2)
        ]
        tables[sheet] = Table(sheet, headers, rows)
    return tables


def write_csv_folder(tables: dict[str, list[list[Cell]]], folder: Path) -> None:
    """Write each sheet as `<sheet>.csv` in `folder` (UTF-8, CRLF line ends, made if absent)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in tables.items():
        buffer = io.StringIO(newline="")
        # The default CRLF terminator makes csv quote any value holding a CR, so it survives.
        writer = csv.writer(buffer)
        writer.writerows([text_to_write(cell) for cell in row] for row in rows)
        (folder / f"{sheet}.csv").write_bytes(buffer.getvalue().encode("utf-8"))
