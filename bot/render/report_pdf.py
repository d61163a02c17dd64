# Over 400 lines: one tagged PDF appendix, from the Typst markup of each section to its
# accessibility metadata.
"""The committee appendix as a tagged, accessible PDF (PDF/UA-1), typeset by Typst.

Why Typst (the `typst` wheel): it is a typesetting compiler shipped inside the wheel, so it
installs from the package index alone (the README's fresh-machine commands keep working),
and it writes PDF/UA-1 itself: a structure tree with real headings, tables whose header rows
are TH cells and repeat on every page, figures with alt text, the language and the title,
headers and footers marked as artifacts. The others: ReportLab's open-source edition writes
untagged PDF (tagging is in its commercial edition); fpdf2 tags little beyond an image's alt
text (no table structure, no PDF/UA identification); WeasyPrint needs the system's Pango;
LibreOffice is a system install, and its export of the Word file is what failed the checker.

The layout is built here, in Python, as plain blocks (headings, paragraphs, tables, the
figure) and handed to a small generic Typst template as JSON through `sys.inputs`: no text
from the plan is ever read as Typst markup, so nothing in it needs escaping. The fonts are
the DejaVu ones matplotlib ships (system fonts are ignored), so the PDF is the same on every
machine, and the creation date is the report's own: the same digest gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import matplotlib
import typst

from bot.domain.dates import short_date
from bot.domain.indicators import Rag
from bot.model.indicators import IndicatorLine
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
    value_word,
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

HEADER_FILL = "D9D9D9"
THEME_FILL = "EDEDED"
# DejaVu, as matplotlib ships it: found once, the same fonts on every machine.
FONTS = typst.Fonts(
    include_system_fonts=False,
    include_embedded_fonts=False,
    font_paths=[str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")],
)
Cell = str | dict[str, Any]  # a table cell: its text, or its text with bold, colours, a span
_CONTROL = {c: None for c in range(32) if c not in (9, 10)}

# Relative widths of the full action table, as the Word appendix's (cm on A4 landscape).
PAGE_WIDTH_CM = 26.7  # A4 landscape less the margins
FULL_WIDTHS = (1.7, 5.0, 3.0, 1.8, 1.8, 2.4, 2.2, 2.2, 6.6)

# The template only lays out what the blocks say; every word comes from the data.
TEMPLATE = r"""
#let data = json(bytes(sys.inputs.data))
#set document(title: data.title, author: "planbot", keywords: data.keywords)
#set text(font: "DejaVu Sans", size: 9.5pt, lang: "en", region: "GB")
#set par(justify: false, spacing: 0.9em)
#set page(
  paper: "a4",
  flipped: true,
  margin: (x: 1.5cm, top: 1.9cm, bottom: 1.7cm),
  header: align(right, text(size: 8pt, fill: luma(60))[#data.running #if data.draft [*DRAFT*]]),
  footer: context align(center, text(size: 8pt)[
    Page #counter(page).display() of #counter(page).final().first()
  ]),
)
#show heading: set text(font: "DejaVu Sans", weight: "bold")
#show heading.where(level: 1): set text(size: 17pt)
#show heading.where(level: 2): set text(size: 13pt)
#show heading.where(level: 2): it => block(above: 1.4em, below: 0.7em, it)
#show heading.where(level: 3): set text(size: 10.5pt)
#set table(stroke: 0.5pt + luma(90), inset: (x: 4pt, y: 3.5pt))
#set table.cell(breakable: false)
#show table.cell: set par(spacing: 0.45em)
#show table.cell: set text(size: 8.5pt)

#let colour(hex) = rgb("#" + hex)
#let styled(c) = {
  let body = if c.at("bold", default: false) { strong(c.text) } else { c.text }
  if "fg" in c { text(fill: colour(c.fg), body) } else { body }
}
#let cell(c) = {
  if type(c) == str { c } else {
    table.cell(
      colspan: c.at("span", default: 1),
      fill: if "fill" in c { colour(c.fill) } else { none },
      styled(c),
    )
  }
}
// Widths in cm as in Word; a table wider than the page (a long status scheme) is shared out.
#let sized(widths) = {
  let total = widths.sum()
  if total > 26.7 { widths.map(w => w * 1fr) } else { widths.map(w => w * 1cm) }
}

#for b in data.blocks {
  if b.kind == "heading" {
    heading(level: b.level, b.text)
  } else if b.kind == "para" {
    par(if b.style == "bold" { strong(b.text) } else if b.style == "italic" {
      emph(b.text)
    } else { b.text })
  } else if b.kind == "table" {
    block(above: 0.6em, below: 1.1em, table(
      columns: sized(b.widths),
      align: (x, y) => if b.numeric.contains(x) and y > 0 { right } else { left },
      table.header(
        repeat: true,
        ..b.header.map(h => table.cell(fill: colour(data.header_fill), strong(h))),
      ),
      ..b.rows.flatten().map(cell),
    ))
  } else if b.kind == "figure" {
    figure(
      image(bytes(b.png), alt: b.alt, width: if "width_cm" in b { b.width_cm * 1cm } else { 100% }),
      caption: figure.caption(position: bottom, emph(b.caption)),
      supplement: none,
      numbering: none,
    )
  }
}
"""


def _clean(text: str) -> str:
    """Text as the page shows it: control characters (a bell in a note) dropped."""
    return text.translate(_CONTROL)


def _text_colour(fill: str) -> str:
    red, green, blue = (int(fill[i : i + 2], 16) for i in (0, 2, 4))
    return "000000" if (0.299 * red + 0.587 * green + 0.114 * blue) > 150 else "FFFFFF"


class _Blocks:
    """The appendix top to bottom, as the template's blocks."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def heading(self, text: str, level: int) -> None:
        self.items.append({"kind": "heading", "level": level, "text": _clean(text)})

    def para(self, text: str, style: str = "") -> None:
        self.items.append({"kind": "para", "text": _clean(text), "style": style})

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        *,
        numeric: Sequence[int] = (),
    ) -> None:
        self.items.append(
            {
                "kind": "table",
                "header": [_clean(h) for h in header],
                "rows": [[_cell(c) for c in row] for row in rows],
                "widths": list(widths),
                "numeric": list(numeric),
            }
        )

    def figure(self, png: bytes, alt: str, caption: str, *, max_height_cm: float = 0) -> None:
        """A picture the page's width; a tall one (the indicators' small multiples) narrower,
        so that with its caption it fits one landscape page."""
        item: dict[str, Any] = {
            "kind": "figure",
            "png": list(png),
            "alt": _clean(alt),
            "caption": _clean(caption),
        }
        if max_height_cm:
            width, height = int.from_bytes(png[16:20]), int.from_bytes(png[20:24])  # IHDR
            item["width_cm"] = round(min(PAGE_WIDTH_CM, max_height_cm * width / height), 2)
        self.items.append(item)


def _cell(value: Cell) -> Cell:
    if isinstance(value, str):
        return _clean(value)
    return {**value, "text": _clean(value["text"])}


def _status(digest: Digest, key: str | None, text: str | None = None) -> dict[str, Any]:
    """A status cell: its colour, and its name in words (readable in black and white)."""
    info = digest.status(key or "no_update")
    return {
        "text": text if text is not None else status_word(digest, key),
        "fill": info.colour,
        "fg": _text_colour(info.colour),
        "bold": True,
    }


def _bold(text: str) -> dict[str, Any]:
    return {"text": text, "bold": True}


def render_pdf(digest: Digest, *, chart_png: bytes | None = None, with_chart: bool = True) -> bytes:
    """The appendix as PDF/UA-1 bytes: summary, chart and its data, exceptions, every action."""
    blocks = _Blocks()
    _summary(blocks, digest, chart_png, with_chart=with_chart)
    _exceptions(blocks, digest)
    _completed(blocks, digest)
    _missing(blocks, digest)
    _all_actions(blocks, digest)
    _indicators(blocks, digest, with_chart=with_chart)
    data = {
        "title": _clean(digest.title),
        "keywords": [_clean(digest.plan_name), digest.period_key, "committee appendix"],
        "running": _clean(f"{digest.plan_name}: {digest.period_label}"),
        "draft": digest.is_draft,
        "header_fill": HEADER_FILL,
        "blocks": blocks.items,
    }
    pdf: bytes = typst.compile(
        TEMPLATE.encode("utf-8"),
        format="pdf",
        font_paths=FONTS,
        ignore_system_fonts=True,
        sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
        pdf_standards=["ua-1"],
        timestamp=digest.generated_at.astimezone(dt.UTC).replace(microsecond=0),
    )
    return pdf


def _summary(blocks: _Blocks, digest: Digest, chart_png: bytes | None, *, with_chart: bool) -> None:
    keys = digest.status_keys
    previous = digest.previous_period_key
    blocks.heading(digest.title, 1)
    blocks.para(heading(digest), "bold")
    blocks.para(publication_note(digest), "bold" if digest.is_draft else "")

    blocks.heading("1. Summary", 2)
    words = "; ".join(s.label for s in digest.statuses)
    blocks.para(
        f"Status key: {words}. Every status is written out in words, so the tables read the "
        "same in black and white. Direction of travel compares each action with "
        f"{digest.previous_period_label}: ▲ improved, ▶ no change, ▼ worse, ★ first report.",
        "italic",
    )
    blocks.heading("Actions by status", 3)
    rows: list[list[Cell]] = [
        [_status(digest, k), str(digest.counts[k]), str(digest.previous_counts[k])] for k in keys
    ]
    rows.append([_bold("Total"), str(digest.total), str(sum(digest.previous_counts.values()))])
    blocks.table(
        ["Status", f"This period ({digest.period_key})", f"Previous period ({previous})"],
        rows,
        (6.0, 5.0, 5.0),
        numeric=(1, 2),
    )
    blocks.heading(f"Actions by theme: this period ({previous} in brackets)", 3)
    blocks.table(
        ["Theme", *(digest.label(k) for k in keys), "Total"],
        [
            [
                _bold(g.name),
                *(counts_cell(g.counts[k], g.previous_counts[k]) for k in keys),
                str(g.total),
            ]
            for g in digest.by_theme
        ],
        (7.1, *([2.4] * len(keys)), 2.0),
        numeric=tuple(range(1, len(keys) + 2)),
    )
    if not with_chart:
        return
    blocks.heading("Chart: statuses by theme, and the trend", 3)
    png = chart_png if chart_png is not None else render_chart(digest)
    blocks.figure(
        png,
        chart_description(digest),
        "Statuses by theme this period, and the number of actions in each status over the "
        f"last {len(digest.trend)} quarters. Its figures are in the tables above and below.",
    )
    blocks.heading("Chart data: actions in each status, quarter by quarter", 3)
    blocks.table(
        ["Quarter", *(digest.label(k) for k in keys), "Total"],
        [
            [_bold(t.label), *(str(t.counts.get(k, 0)) for k in keys), str(sum(t.counts.values()))]
            for t in digest.trend
        ],
        (7.1, *([2.4] * len(keys)), 2.0),
        numeric=tuple(range(1, len(keys) + 2)),
    )


def _exceptions(blocks: _Blocks, digest: Digest) -> None:
    exceptions_heading, no_exceptions = exceptions_state(digest)
    blocks.heading(f"2. Exceptions: {exceptions_heading}", 2)
    if not digest.exceptions:
        blocks.para(no_exceptions)
        return
    blocks.table(
        ["Ref", "Action", "Lead", "Status", "Direction", "Revised target", "Commentary"],
        [
            [
                _bold(a.ref),
                a.title,
                f"{a.owner}\n{a.directorate}",
                _status(digest, a.status),
                f"{direction_word(a.direction)}\n(was {previous_word(digest, a)})",
                short_date(a.revised_target_date)
                + (f"\n(target {short_date(a.target_date)})" if a.revised_target_date else ""),
                commentary(a),
            ]
            for a in digest.exceptions
        ],
        (1.7, 5.3, 3.2, 2.4, 2.4, 2.6, 9.1),
    )


def _completed(blocks: _Blocks, digest: Digest) -> None:
    blocks.heading("3. Completed this period", 2)
    completed = digest.completed_this_period
    if completed:
        blocks.table(
            ["Ref", "Action", "Directorate", "Commentary"],
            [[_bold(a.ref), a.title, a.directorate, commentary(a)] for a in completed],
            (1.9, 8.0, 4.2, 12.6),
        )
    else:
        blocks.para("No action was completed this period.")
    for flag, title in flagged_lists(digest):
        refs = ", ".join(a.ref for a in digest.flagged(flag)) or "none"
        blocks.para(f"{title}: {refs}.")


def _missing(blocks: _Blocks, digest: Digest) -> None:
    blocks.heading("4. No update received", 2)
    if any(g.owner for g in digest.missing):
        blocks.para("Draft only: the published version does not name people.", "italic")
        blocks.table(
            ["Directorate", "Lead officer", "Actions"],
            [[g.directorate, g.owner or "", ", ".join(g.refs)] for g in digest.missing],
            (7.0, 6.0, 13.7),
        )
    elif digest.missing:
        blocks.table(
            ["Directorate", "Actions with no update received"],
            [[g.directorate, ", ".join(g.refs)] for g in digest.missing],
            (8.0, 18.7),
        )
    else:
        blocks.para("Every action in scope has an update for this period.")


def _all_actions(blocks: _Blocks, digest: Digest) -> None:
    """Every action, a shaded row naming each theme before its actions, as in Word."""
    blocks.heading("5. All actions", 2)
    rows: list[list[Cell]] = []
    for index, action in enumerate(digest.actions):
        if index == 0 or digest.actions[index - 1].theme != action.theme:
            rows.append(
                [
                    {
                        "text": action.theme,
                        "bold": True,
                        "fill": THEME_FILL,
                        "span": len(FULL_WIDTHS),
                    }
                ]
            )
        rows.append(_full_row(digest, action))
    blocks.table(["Ref", "Action", "Lead", *PROGRESS_COLUMNS], rows, FULL_WIDTHS)


def _full_row(digest: Digest, a: ReportLine) -> list[Cell]:
    return [
        _bold(a.ref),
        a.title,
        f"{a.owner}\n{a.directorate}",
        short_date(a.target_date),
        short_date(a.revised_target_date),
        _status(digest, a.status),
        previous_word(digest, a),
        direction_word(a.direction),
        commentary(a),
    ]


def _rag(status: Rag) -> dict[str, Any]:
    """A RAG cell: its colour, and the RAG in words."""
    return {
        "text": rag_word(status),
        "fill": RAG_COLOURS[status],
        "fg": rag_ink(status),
        "bold": True,
    }


def _indicators(blocks: _Blocks, digest: Digest, *, with_chart: bool) -> None:
    """6. Performance indicators: counts by RAG, red and amber with commentary, their chart
    and its data, every indicator. Nothing for a plan without indicators."""
    if not digest.indicators:
        return
    blocks.heading(f"6. {INDICATORS_HEADING}", 2)
    blocks.para(
        "RAG is worked out from the actual and the target, within each indicator's tolerance: "
        "green on or better than target, amber within tolerance, red beyond it. Short trend "
        "compares with the previous quarter, long trend with the same quarter a year before.",
        "italic",
    )
    blocks.heading("Indicators by RAG status", 3)
    counts: list[list[Cell]] = [[_rag(rag), str(n)] for rag, n in rag_counts(digest).items()]
    blocks.table(
        ["RAG status", "Indicators"],
        [*counts, [_bold("Total"), str(len(digest.indicators))]],
        (6.0, 4.0),
        numeric=(1,),
    )
    blocks.heading("Red and amber indicators", 3)
    exceptions = indicator_exceptions(digest)
    if exceptions:
        blocks.table(
            ["Ref", "Indicator", "Lead", "Target", "Actual", "RAG", "Trend", "Commentary"],
            [
                [
                    _bold(line.ref),
                    f"{line.title}\n({polarity_word(line)})",
                    f"{line.owner}\n{line.directorate}",
                    target_word(line),
                    actual_word(line),
                    _rag(line.status),
                    trends_sentence(line),
                    line.note,
                ]
                for line in exceptions
            ],
            (1.5, 4.6, 3.2, 2.0, 2.0, 2.8, 3.6, 7.0),
            numeric=(3, 4),
        )
        png = render_indicator_chart(digest) if with_chart else None
        if png is not None:
            blocks.figure(
                png,
                indicator_chart_description(digest),
                "Each red and amber indicator's last quarters against its target. Its figures "
                "are in the table below.",
                max_height_cm=14.5,
            )
            blocks.heading("Chart data: red and amber indicators, quarter by quarter", 3)
            quarters = [p.label for p in exceptions[0].history]
            blocks.table(
                ["Indicator", *quarters],
                _chart_rows(exceptions),
                (5.0, *([3.0] * len(quarters))),
                numeric=tuple(range(1, len(quarters) + 1)),
            )
    else:
        blocks.para("No indicator is red or amber this period.")
    blocks.heading("Every indicator", 3)
    rows: list[list[Cell]] = []
    for line in digest.indicators:
        cells = indicator_row(line)
        rows.append([_bold(cells[0]), *cells[1:4], _rag(line.status), *cells[5:]])
    blocks.table(
        list(INDICATOR_COLUMNS), rows, (1.5, 5.2, 2.2, 2.2, 2.8, 2.5, 2.5, 7.8), numeric=(2, 3)
    )


def _chart_rows(exceptions: Sequence[IndicatorLine]) -> list[list[Cell]]:
    """Two rows per indicator: its targets, then its actuals, quarter by quarter."""
    rows: list[list[Cell]] = []
    for line in exceptions:
        rows.append(
            [_bold(f"{line.ref} target"), *(_value_or_none(line, p.target) for p in line.history)]
        )
        rows.append([f"{line.ref} actual", *(value_word(line, p.actual) for p in line.history)])
    return rows


def _value_or_none(line: IndicatorLine, value: Decimal | None) -> str:
    return value_word(line, value) if value is not None else "none"
