"""The committee report as an Excel workbook: a filterable sheet per section."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from copy import copy

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.formulas import looks_like_formula
from bot.model.report import Digest, Flag, ReportLine
from bot.render.report_indicators import (
    INDICATOR_COLUMNS,
    RAG_COLOURS,
    RAG_NAMES,
    indicator_row,
    polarity_word,
    rag_counts,
    rag_ink,
    rag_word,
)
from bot.render.report_wording import (
    PROGRESS_COLUMNS,
    commentary,
    direction_word,
    flag_words,
    heading,
    previous_word,
    publication_note,
    status_word,
)

Value = str | int | float | None
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
WRAP = Alignment(wrap_text=True, vertical="top")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _put(
    sheet: Worksheet, row: int, column: int, value: Value, *, wrapped: StyleArray | None = None
) -> StyleArray:
    """Write a value; text is always stored as text, never as a formula. Returns the style of a
    wrapped cell, which the next cells may take as `wrapped` (a copy costs far less than
    openpyxl looking the alignment up again for each cell of a big plan's sheets)."""
    cell = sheet.cell(row=row, column=column)
    if wrapped is None:
        cell.alignment = WRAP
        wrapped = copy(cell._style)
    else:
        cell._style = copy(wrapped)
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        cell.value = value
        cell.data_type = "s"
        if looks_like_formula(value):
            # The report's guard: the text unchanged, with Excel's quote prefix so it stays text
            # when a person edits the cell (plan files guard with an apostrophe: bot.planio).
            cell.quotePrefix = True
    else:
        cell.value = value
    return wrapped


LINE_POINTS = 15.0  # one line of 11-point text
MAX_ROW_POINTS = 409.0  # Excel's tallest row


def _lines(value: Value, width: float, *, bold: bool = False) -> int:
    """How many lines `value` wraps to in a column `width` characters wide (an estimate)."""
    if not isinstance(value, str) or not value:
        return 1
    # Plain proportional text fits a few more characters than the width; bold headings fewer.
    per_line = max(int(width * (0.85 if bold else 1.15)), 1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in value.split("\n"))


def _fit_rows(
    sheet: Worksheet,
    first_row: int,
    rows: Sequence[Sequence[Value]],
    widths: Sequence[float],
    *,
    bold: bool = False,
) -> None:
    """Give each row the height its wrapped text needs: neither Excel nor LibreOffice grows a
    row for wrapped text in a file they did not lay out themselves, so text would overlap."""
    for index, values in enumerate(rows, start=first_row):
        lines = max(
            (_lines(v, w, bold=bold) for v, w in zip(values, widths, strict=False)),
            default=1,
        )
        if lines > 1:
            sheet.row_dimensions[index].height = min(lines * LINE_POINTS, MAX_ROW_POINTS)


def _sheet(
    workbook: Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Value]],
    *,
    widths: Sequence[float],
    status_column: int | None = None,
    digest: Digest | None = None,
) -> Worksheet:
    """A sheet with a frozen, filterable header row and status colours by rule."""
    sheet = workbook.create_sheet(title)
    for column, text in enumerate(header, start=1):
        _put(sheet, 1, column, text)
        cell = sheet.cell(row=1, column=column)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    wrapped: StyleArray | None = None
    for index, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            wrapped = _put(sheet, index, column, value, wrapped=wrapped)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    _fit_rows(sheet, 1, [header], widths, bold=True)
    _fit_rows(sheet, 2, rows, widths)
    last = get_column_letter(len(header))
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if status_column is not None and digest is not None and rows:
        _status_colours(sheet, status_column, 2, len(rows) + 1, digest)
    return sheet


def _status_colours(
    sheet: Worksheet, column: int, first_row: int, last_row: int, digest: Digest
) -> None:
    """Colour each status cell by the status word it holds, so colours follow edits and sorts."""
    letter = get_column_letter(column)
    area = f"{letter}{first_row}:{letter}{last_row}"
    for info in digest.statuses:
        dark = sum(int(info.colour[i : i + 2], 16) * w for i, w in ((0, 299), (2, 587), (4, 114)))
        ink = "FFFFFF" if dark <= 150_000 else "000000"
        label = info.label.replace('"', '""')
        sheet.conditional_formatting.add(
            area,
            FormulaRule(
                formula=[f'EXACT({letter}{first_row},"{label}")'],
                fill=PatternFill("solid", fgColor=info.colour, bgColor=info.colour),
                font=Font(bold=True, color=ink),
            ),
        )


def _action_values(digest: Digest, a: ReportLine) -> list[Value]:
    return [
        a.ref,
        a.title,
        a.theme,
        a.directorate,
        a.owner,
        a.target_date.isoformat(),
        a.revised_target_date.isoformat() if a.revised_target_date else None,
        status_word(digest, a.status),
        previous_word(digest, a),
        direction_word(a.direction),
        commentary(a),
        "; ".join(flag_words(digest, a)),
        a.updated_by,
        a.updated_at.strftime("%Y-%m-%d %H:%M") if a.updated_at else None,
        a.on_behalf_of,
    ]


ACTION_HEADER = [
    "Ref",
    "Action",
    "Theme",
    "Directorate",
    "Lead",
    *PROGRESS_COLUMNS,
    "Flags",
    "Updated by",
    "Updated at",
    "On behalf of",
]
ACTION_WIDTHS = [9, 45, 24, 22, 18, 12, 13, 16, 16, 13, 60, 28, 18, 16, 16]


def render_xlsx(digest: Digest) -> bytes:
    """The workbook as bytes: Summary, By theme, Exceptions, Completed, No update, Actions."""
    workbook = Workbook()
    cover = workbook.active
    cover.title = "Summary"
    keys = digest.status_keys
    previous = digest.previous_period_key
    counts: list[list[Value]] = [
        [digest.label(k), digest.counts[k], digest.previous_counts[k]] for k in keys
    ]
    lines: list[list[Value]] = [
        ["Status", f"This period ({digest.period_key})", f"Previous period ({previous})"],
        *counts,
        ["Total", digest.total, sum(digest.previous_counts.values())],
    ]
    for row, text in enumerate((digest.title, heading(digest), publication_note(digest)), 1):
        _put(cover, row, 1, text)
        cover.cell(row=row, column=1).alignment = Alignment()  # one line, running on to the right
    cover.cell(row=1, column=1).font = Font(bold=True, size=14)
    cover.row_dimensions[1].height = 20
    start = 5
    for offset, values in enumerate(lines):
        for column, value in enumerate(values, start=1):
            _put(cover, start + offset, column, value)
            if offset == 0:
                cell = cover.cell(row=start, column=column)
                cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    cover.auto_filter.ref = f"A{start}:C{start + len(keys)}"
    cover.freeze_panes = f"A{start + 1}"
    cover_widths = (28, 26, 26)
    for letter, width in zip("ABC", cover_widths, strict=True):
        cover.column_dimensions[letter].width = width
    _fit_rows(cover, start, lines[:1], cover_widths, bold=True)
    cover.page_setup.orientation = "landscape"
    cover.page_setup.fitToWidth = 1
    cover.page_setup.fitToHeight = 0
    cover.sheet_properties.pageSetUpPr.fitToPage = True
    _status_colours(cover, 1, start + 1, start + len(keys), digest)

    theme_header = ["Theme"]
    for k in keys:
        theme_header += [
            f"{digest.label(k)} ({digest.period_key})",
            f"{digest.label(k)} ({previous})",
        ]
    theme_header.append("Total")
    _sheet(
        workbook,
        "By theme",
        theme_header,
        [
            [
                g.name,
                *(v for k in keys for v in (g.counts[k], g.previous_counts[k])),
                g.total,
            ]
            for g in digest.by_theme
        ],
        widths=[34, *([14] * (2 * len(keys))), 9],
    )
    _sheet(
        workbook,
        "Exceptions",
        [
            "Ref",
            "Action",
            "Lead",
            "Directorate",
            "Status",
            "Previous",
            "Direction",
            "Target date",
            "Revised target",
            "Commentary",
        ],
        [
            [
                a.ref,
                a.title,
                a.owner,
                a.directorate,
                status_word(digest, a.status),
                previous_word(digest, a),
                direction_word(a.direction),
                a.target_date.isoformat(),
                a.revised_target_date.isoformat() if a.revised_target_date else None,
                commentary(a),
            ]
            for a in digest.exceptions
        ],
        widths=[9, 45, 18, 22, 16, 16, 13, 12, 13, 70],
        status_column=5,
        digest=digest,
    )
    _sheet(
        workbook,
        "Completed",
        ["Ref", "Action", "Theme", "Directorate", "Commentary"],
        [[a.ref, a.title, a.theme, a.directorate, a.note] for a in digest.completed_this_period],
        widths=[9, 50, 24, 22, 70],
    )
    named = any(g.owner for g in digest.missing)
    _sheet(
        workbook,
        "No update",
        ["Ref", "Action", "Directorate", *(["Lead"] if named else [])],
        [
            [a.ref, a.title, a.directorate, *([a.owner] if named else [])]
            for a in digest.actions
            if a.has(Flag.NO_UPDATE)
        ],
        widths=[9, 50, 24, 20],
    )
    _sheet(
        workbook,
        "Actions",
        ACTION_HEADER,
        [_action_values(digest, a) for a in digest.actions],
        widths=ACTION_WIDTHS,
        status_column=8,
        digest=digest,
    )
    _sheet(
        workbook,
        "Trend",
        ["Period", *(digest.label(k) for k in keys), "Total"],
        [[t.label, *(t.counts[k] for k in keys), sum(t.counts.values())] for t in digest.trend],
        widths=[14, *([14] * len(keys)), 9],
    )
    _indicators_sheet(workbook, digest)
    workbook.properties.title = digest.title
    workbook.properties.creator = "planbot"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


INDICATOR_HEADER = [
    *INDICATOR_COLUMNS[:2],
    "Theme",
    "Directorate",
    "Lead",
    "Unit",
    "Polarity",
    *INDICATOR_COLUMNS[2:],
    "Target (number)",
    "Actual (number)",
]
INDICATOR_WIDTHS = [8, 42, 24, 22, 18, 8, 16, 12, 12, 24, 18, 18, 60, 12, 12]


def _indicators_sheet(workbook: Workbook, digest: Digest) -> None:
    """An `Indicators` sheet: every indicator (values as written and as numbers, RAG in words
    and colour), then the counts by RAG. None for a plan without indicators."""
    if not digest.indicators:
        return
    rows: list[list[Value]] = []
    for line in digest.indicators:
        cells = indicator_row(line)
        rows.append(
            [
                *cells[:2],
                line.theme,
                line.directorate,
                line.owner,
                line.unit.value,
                polarity_word(line),
                *cells[2:],
                float(line.target) if line.target is not None else None,
                float(line.actual) if line.actual is not None else None,
            ]
        )
    sheet = _sheet(workbook, "Indicators", INDICATOR_HEADER, rows, widths=INDICATOR_WIDTHS)
    rag_column = INDICATOR_HEADER.index("RAG") + 1
    _rag_colours(sheet, rag_column, 2, len(rows) + 1)
    start = len(rows) + 3
    for column, text in enumerate(("RAG status", "Indicators"), start=1):
        _put(sheet, start, column, text)
        cell = sheet.cell(row=start, column=column)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    counts = rag_counts(digest)
    for offset, (rag, number) in enumerate(counts.items(), start=1):
        _put(sheet, start + offset, 1, rag_word(rag))
        _put(sheet, start + offset, 2, number)
    _rag_colours(sheet, 1, start + 1, start + len(counts))


def _rag_colours(sheet: Worksheet, column: int, first_row: int, last_row: int) -> None:
    """Colour each RAG cell by the words it holds, as `_status_colours` does for statuses."""
    letter = get_column_letter(column)
    area = f"{letter}{first_row}:{letter}{last_row}"
    for rag in RAG_NAMES:
        fill = RAG_COLOURS[rag]
        sheet.conditional_formatting.add(
            area,
            FormulaRule(
                formula=[f'EXACT({letter}{first_row},"{rag_word(rag)}")'],
                fill=PatternFill("solid", fgColor=fill, bgColor=fill),
                font=Font(bold=True, color=rag_ink(rag)),
            ),
        )
