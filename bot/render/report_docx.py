# Over 400 lines: one Word appendix, its tables, cell shading and accessibility settings
# (title, language, headings, alt text), which python-docx leaves to the caller.
"""The committee report as a Word document in the shape of a committee appendix.

Over 400 lines because the appendix is one document laid out top to bottom, and the
python-docx table work it needs (rows cloned from a template, widths, shading) serves it alone.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from copy import deepcopy
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from bot.domain.dates import short_date
from bot.domain.indicators import Rag
from bot.model.report import Digest, ReportLine
from bot.render.report_chart import render_chart
from bot.render.report_indicator_chart import render_indicator_chart
from bot.render.report_indicators import (
    INDICATOR_COLUMNS,
    INDICATORS_HEADING,
    RAG_COLOURS,
    actual_word,
    indicator_chart_description,
    indicator_exceptions,
    indicator_row,
    polarity_word,
    rag_counts,
    rag_ink,
    rag_word,
    target_word,
    trends_sentence,
)
from bot.render.report_wording import (
    PROGRESS_COLUMNS,
    chart_description,
    commentary,
    counts_cell,
    direction_word,
    exceptions_state,
    flagged_lists,
    heading,
    previous_word,
    publication_note,
    status_word,
)

FONT = "Arial"  # the house font of most council committee papers
LANGUAGE = "en-GB"
HEADER_FILL = "D9D9D9"
THEME_FILL = "EDEDED"
_ILLEGAL_XML = {c: None for c in range(32) if c not in (9, 10, 13)}

PAGE_WIDTH = 26.7  # cm: A4 landscape less 1.5 cm margins
# Widths in cm of the full action table on A4 landscape with 1.5 cm margins (26.7 cm).
FULL_WIDTHS = (1.7, 5.0, 3.0, 1.8, 1.8, 2.4, 2.2, 2.2, 6.6)


def _on_page(widths: Sequence[float]) -> tuple[float, ...]:
    """Column widths shrunk in proportion to fit the page (a plan with many statuses)."""
    scale = min(1.0, PAGE_WIDTH / sum(widths))
    return tuple(round(width * scale, 2) for width in widths)


def _clean(text: str) -> str:
    """Text Word can hold: XML 1.0 forbids most control characters."""
    return text.translate(_ILLEGAL_XML)


def _text_colour(fill: str) -> RGBColor:
    red, green, blue = (int(fill[i : i + 2], 16) for i in (0, 2, 4))
    dark = (0.299 * red + 0.587 * green + 0.114 * blue) <= 150
    return RGBColor(0xFF, 0xFF, 0xFF) if dark else RGBColor(0, 0, 0)


def _shade(cell: object, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc_pr.append(shading)


def _row_props(row: object, *, header: bool) -> None:
    """Header rows repeat on every page; no row breaks across pages."""
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    if header:
        element = OxmlElement("w:tblHeader")
        element.set(qn("w:val"), "true")
        tr_pr.append(element)
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    tr_pr.append(cant_split)


def _write(cell: object, text: str, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    paragraphs = _clean(text).split("\n") or [""]
    first = cell.paragraphs[0]  # type: ignore[attr-defined]
    for index, part in enumerate(paragraphs):
        paragraph = first if index == 0 else cell.add_paragraph()  # type: ignore[attr-defined]
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(part)
        run.bold = bold
        run.font.size = Pt(9)
        if colour is not None:
            run.font.color.rgb = colour


def _table(
    document: object,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    widths: Sequence[float] | None = None,
    status_columns: dict[int, Sequence[str | None]] | None = None,
    digest: Digest | None = None,
) -> object:
    """A bordered table whose header row repeats; status columns are coloured and worded.

    python-docx takes about a millisecond a cell, seconds for a big plan's appendix, so the
    data rows are copies of one blank row and of the paragraphs `_write` makes, made once by
    python-docx itself: the document is the same, element for element.
    """
    table = document.add_table(rows=1, cols=len(header))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _row_props(table.rows[0], header=True)
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _shade(cell, HEADER_FILL)
        _write(cell, text, bold=True)
    blank, paragraphs = _row_templates(table, widths)
    if widths:
        _fix_widths(table, widths)
    tbl = table._tbl
    for index, values in enumerate(rows):
        tr = deepcopy(blank)
        for column, (tc, text) in enumerate(zip(tr.tc_lst, values, strict=True)):
            statuses = (status_columns or {}).get(column)
            if statuses is not None and digest is not None:
                info = digest.status(statuses[index] or "no_update")
                _shade_tc(tc, info.colour)
                paragraph = paragraphs.coloured(_text_colour(info.colour))
            else:
                paragraph = paragraphs.bold if column == 0 else paragraphs.plain
            _fill(tc, paragraph, text)
        tbl.append(tr)
    return table


class _Paragraphs:
    """The cell paragraphs `_write` makes, empty, to be copied: plain, bold, bold in colour."""

    def __init__(self, cell: object) -> None:
        self._cell = cell
        self.plain = self._made(bold=False)
        self.bold = self._made(bold=True)
        self._coloured: dict[str, Any] = {}

    def _made(self, *, bold: bool, colour: RGBColor | None = None) -> Any:
        tc = self._cell._tc  # type: ignore[attr-defined]
        for p in tc.p_lst:
            tc.remove(p)
        tc.add_p()
        _write(self._cell, "", bold=bold, colour=colour)
        return tc.p_lst[0]

    def coloured(self, colour: RGBColor) -> Any:
        key = str(colour)
        if key not in self._coloured:
            self._coloured[key] = self._made(bold=True, colour=colour)
        return self._coloured[key]


def _row_templates(table: object, widths: Sequence[float] | None) -> tuple[Any, _Paragraphs]:
    """A blank data row as `add_row` makes it (with its final widths), and a cell's paragraphs;
    the rows used to make them are taken out of the table again."""
    row = table.add_row()  # type: ignore[attr-defined]
    _row_props(row, header=False)
    if widths:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)
    blank = deepcopy(row._tr)
    for tc in blank.tc_lst:
        for p in tc.p_lst:
            tc.remove(p)
    scratch = table.add_row()  # type: ignore[attr-defined]
    paragraphs = _Paragraphs(scratch.cells[0])
    for tr in (row._tr, scratch._tr):
        tr.getparent().remove(tr)
    return blank, paragraphs


def _shade_tc(tc: Any, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc.get_or_add_tcPr().append(shading)


def _fill(tc: Any, paragraph: Any, text: str) -> None:
    """What `_write` puts in a cell: one copy of `paragraph` for each line of `text`."""
    for line in _clean(text).split("\n"):
        p = deepcopy(paragraph)
        if "\t" in line or "\r" in line:
            p.r_lst[0].text = line  # tabs and breaks become their own elements
        elif line:
            p.r_lst[0].add_t(line)  # what setting the text does, without its loop per character
        tc.append(p)


def _fix_widths(table: object, widths: Sequence[float]) -> None:
    """Fixed column widths: Word reads the cells' widths, LibreOffice the table grid."""
    table.autofit = False  # type: ignore[attr-defined]
    tbl_pr = table._tbl.tblPr  # type: ignore[attr-defined]
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for column, width in zip(table.columns, widths, strict=True):  # type: ignore[attr-defined]
        column.width = Cm(width)
    for row in table.rows:  # type: ignore[attr-defined]
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def _page_number_field(paragraph: object, instruction: str) -> None:
    run = paragraph.add_run()  # type: ignore[attr-defined]
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        if kind is None:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
        if kind == "separate":
            placeholder = OxmlElement("w:t")
            placeholder.text = "1"
            run._r.append(placeholder)


def _set_language(document: object) -> None:
    """British English for the whole document (screen readers, spelling): the default run
    properties of its styles, which every paragraph inherits."""
    styles = document.styles.element  # type: ignore[attr-defined]
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_defaults)
    r_pr = run_defaults.find(qn("w:rPr"))
    if r_pr is None:
        r_pr = OxmlElement("w:rPr")
        run_defaults.append(r_pr)
    for old in r_pr.findall(qn("w:lang")):
        r_pr.remove(old)
    lang = OxmlElement("w:lang")
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), LANGUAGE)
    r_pr.append(lang)


def _describe_picture(
    document: object, description: str, title: str = "Chart: statuses by theme, and the trend"
) -> None:
    """Alt text on the last picture added: Word's 'Alt Text' is the drawing's `descr`."""
    shape = document.inline_shapes[-1]  # type: ignore[attr-defined]
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", _clean(description))
    doc_pr.set("title", title)


def _heading(document: object, text: str, level: int) -> None:
    paragraph = document.add_heading(_clean(text), level=level)  # type: ignore[attr-defined]
    paragraph.paragraph_format.keep_with_next = True


def _para(document: object, text: str, *, bold: bool = False, italic: bool = False) -> object:
    paragraph = document.add_paragraph()  # type: ignore[attr-defined]
    run = paragraph.add_run(_clean(text))
    run.bold = bold
    run.italic = italic
    return paragraph


def _setup(document: object, digest: Digest) -> None:
    section = document.sections[0]  # type: ignore[attr-defined]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.5))
    section.top_margin = section.bottom_margin = Cm(1.5)
    styles = document.styles  # type: ignore[attr-defined]
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3"):
        style = styles[name]
        style.font.name = FONT
        style.font.color.rgb = RGBColor(0, 0, 0)
    styles["Title"].font.size = Pt(20)

    header = section.header.paragraphs[0]
    header.text = _clean(f"{digest.plan_name}: {digest.period_label}")
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if digest.is_draft:
        header.add_run("  DRAFT").bold = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _page_number_field(footer, "PAGE")
    footer.add_run(" of ")
    _page_number_field(footer, "NUMPAGES")


def _status_key_paragraph(document: object, digest: Digest) -> None:
    words = "; ".join(f"{s.label}" for s in digest.statuses)
    _para(
        document,
        f"Status key: {words}. Every status is written out in words, so the tables read the "
        "same in black and white. Direction of travel compares each action with "
        f"{digest.previous_period_label}: ▲ improved, ▶ no change, ▼ worse, ★ first report.",
        italic=True,
    )


def render_docx(
    digest: Digest, *, chart_png: bytes | None = None, with_chart: bool = True
) -> bytes:
    """The appendix as .docx bytes: summary, exceptions, completed, no update, every action."""
    document = Document()
    _setup(document, digest)
    core = document.core_properties
    core.title = _clean(digest.title)
    core.subject = _clean(digest.period_label)
    core.author = "planbot"
    core.language = LANGUAGE
    _set_language(document)

    document.add_heading(_clean(digest.title), level=0)
    _para(document, heading(digest), bold=True)
    _para(document, publication_note(digest), bold=digest.is_draft)

    keys = digest.status_keys
    previous = digest.previous_period_key
    _heading(document, "1. Summary", 1)
    _status_key_paragraph(document, digest)
    _table(
        document,
        ["Status", f"This period ({digest.period_key})", f"Previous period ({previous})"],
        [[digest.label(k), str(digest.counts[k]), str(digest.previous_counts[k])] for k in keys]
        + [["Total", str(digest.total), str(sum(digest.previous_counts.values()))]],
        widths=(6.0, 5.0, 5.0),
        status_columns={0: [*keys, None]},
        digest=digest,
    )
    _para(document, "")
    _para(document, f"By theme: number of actions this period ({previous} in brackets).")
    _table(
        document,
        ["Theme", *(digest.label(k) for k in keys), "Total"],
        [
            [g.name, *(counts_cell(g.counts[k], g.previous_counts[k]) for k in keys), str(g.total)]
            for g in digest.by_theme
        ],
        widths=_on_page((7.1, *([2.4] * len(keys)), 2.0)),
    )
    if with_chart:
        png = chart_png if chart_png is not None else render_chart(digest)
        _para(document, "")
        document.add_picture(io.BytesIO(png), width=Cm(25.5))
        _describe_picture(document, chart_description(digest))
        caption = _para(
            document,
            "Figure: statuses by theme this period, and the number of actions in each status "
            f"over the last {len(digest.trend)} quarters.",
            italic=True,
        )
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER  # type: ignore[attr-defined]

    exceptions_heading, no_exceptions = exceptions_state(digest)
    _heading(document, f"2. Exceptions: {exceptions_heading}", 1)
    if digest.exceptions:
        _table(
            document,
            ["Ref", "Action", "Lead", "Status", "Direction", "Revised target", "Commentary"],
            [
                [
                    a.ref,
                    a.title,
                    f"{a.owner}\n{a.directorate}",
                    status_word(digest, a.status),
                    f"{direction_word(a.direction)}\n(was {previous_word(digest, a)})",
                    short_date(a.revised_target_date)
                    + (f"\n(target {short_date(a.target_date)})" if a.revised_target_date else ""),
                    commentary(a),
                ]
                for a in digest.exceptions
            ],
            widths=(1.7, 5.3, 3.2, 2.4, 2.4, 2.6, 9.1),
            status_columns={3: [a.status for a in digest.exceptions]},
            digest=digest,
        )
    else:
        _para(document, no_exceptions)

    _heading(document, "3. Completed this period", 1)
    completed = digest.completed_this_period
    if completed:
        _table(
            document,
            ["Ref", "Action", "Directorate", "Commentary"],
            [[a.ref, a.title, a.directorate, commentary(a)] for a in completed],
            widths=(1.9, 8.0, 4.2, 12.6),
        )
    else:
        _para(document, "No action was completed this period.")
    _para(document, "")
    for flag, title in flagged_lists(digest):
        refs = ", ".join(a.ref for a in digest.flagged(flag)) or "none"
        _para(document, f"{title}: {refs}.")

    _heading(document, "4. No update received", 1)
    named = any(g.owner for g in digest.missing)
    if named:
        _para(document, "Draft only: the published version does not name people.", italic=True)
        _table(
            document,
            ["Directorate", "Lead officer", "Actions"],
            [[g.directorate, g.owner or "", ", ".join(g.refs)] for g in digest.missing],
            widths=(7.0, 6.0, 13.7),
        )
    elif digest.missing:
        _table(
            document,
            ["Directorate", "Actions with no update received"],
            [[g.directorate, ", ".join(g.refs)] for g in digest.missing],
            widths=(8.0, 18.7),
        )
    else:
        _para(document, "Every action in scope has an update for this period.")

    _heading(document, "5. All actions", 1)
    table = _table(
        document,
        ["Ref", "Action", "Lead", *PROGRESS_COLUMNS],
        [_full_row(digest, a) for a in digest.actions],
        widths=FULL_WIDTHS,
        status_columns={5: [a.status for a in digest.actions]},
        digest=digest,
    )
    _theme_rows(table, digest)
    _indicators(document, digest, with_chart=with_chart)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _theme_rows(table: object, digest: Digest) -> None:
    """A shaded row naming the theme before each theme's actions, as committee appendices do."""
    rows = table.rows  # type: ignore[attr-defined]
    for index, action in reversed(list(enumerate(digest.actions))):
        first_of_theme = index == 0 or digest.actions[index - 1].theme != action.theme
        if not first_of_theme:
            continue
        anchor = rows[index + 1]._tr
        new_row = table.add_row()  # type: ignore[attr-defined]
        _row_props(new_row, header=False)
        merged = new_row.cells[0].merge(new_row.cells[-1])
        _shade(merged, THEME_FILL)
        _write(merged, action.theme, bold=True)
        merged.paragraphs[0].paragraph_format.keep_with_next = True  # never alone at a page end
        anchor.addprevious(new_row._tr)


def _full_row(digest: Digest, a: ReportLine) -> list[str]:
    return [
        a.ref,
        a.title,
        f"{a.owner}\n{a.directorate}",
        short_date(a.target_date),
        short_date(a.revised_target_date),
        status_word(digest, a.status),
        previous_word(digest, a),
        direction_word(a.direction),
        commentary(a),
    ]


def _rag_column(table: object, column: int, statuses: Sequence[Rag]) -> None:
    """RAG cells shaded in their colour, the word in black or white on it (bold); rows past
    `statuses` (a total) are left plain."""
    for row, status in zip(table.rows[1:], statuses, strict=False):  # type: ignore[attr-defined]
        cell = row.cells[column]
        _shade(cell, RAG_COLOURS[status])
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                run.bold = True
                run.font.color.rgb = RGBColor.from_string(rag_ink(status))


def _indicators(document: object, digest: Digest, *, with_chart: bool) -> None:
    """6. Performance indicators: counts by RAG, red and amber with commentary and their chart,
    every indicator. Nothing for a plan without indicators."""
    if not digest.indicators:
        return
    _heading(document, f"6. {INDICATORS_HEADING}", 1)
    counts = rag_counts(digest)
    _para(
        document,
        "RAG is worked out from the actual and the target, within each indicator's tolerance: "
        "green on or better than target, amber within tolerance, red beyond it. Short trend "
        "compares with the previous quarter, long trend with the same quarter a year before.",
        italic=True,
    )
    table = _table(
        document,
        ["RAG status", "Indicators"],
        [[rag_word(rag), str(n)] for rag, n in counts.items()]
        + [["Total", str(len(digest.indicators))]],
        widths=(6.0, 4.0),
    )
    _rag_column(table, 0, list(counts))
    _heading(document, "Red and amber indicators", 2)
    exceptions = indicator_exceptions(digest)
    if exceptions:
        table = _table(
            document,
            ["Ref", "Indicator", "Lead", "Target", "Actual", "RAG", "Trend", "Commentary"],
            [
                [
                    line.ref,
                    f"{line.title}\n({polarity_word(line)})",
                    f"{line.owner}\n{line.directorate}",
                    target_word(line),
                    actual_word(line),
                    rag_word(line.status),
                    trends_sentence(line),
                    line.note,
                ]
                for line in exceptions
            ],
            widths=(1.5, 4.6, 3.2, 2.0, 2.0, 2.6, 3.6, 7.2),
        )
        _rag_column(table, 5, [line.status for line in exceptions])
    else:
        _para(document, "No indicator is red or amber this period.")
    png = render_indicator_chart(digest) if with_chart else None
    if png is not None:
        _para(document, "")
        document.add_picture(io.BytesIO(png), width=Cm(25.5))  # type: ignore[attr-defined]
        _describe_picture(
            document,
            indicator_chart_description(digest),
            "Chart: red and amber indicators against target",
        )
        caption = _para(
            document,
            "Figure: each red and amber indicator's last quarters against its target.",
            italic=True,
        )
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER  # type: ignore[attr-defined]
    _heading(document, "Every indicator", 2)
    table = _table(
        document,
        list(INDICATOR_COLUMNS),
        [indicator_row(line) for line in digest.indicators],
        widths=(1.5, 5.2, 2.2, 2.2, 2.8, 2.5, 2.5, 7.8),
    )
    _rag_column(table, 4, [line.status for line in digest.indicators])
