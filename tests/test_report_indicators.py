"""The report's indicators section in every format: counts by RAG, red and amber with their
commentary and chart, every indicator; values by unit; nothing for a plan without indicators."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from pypdf import PdfReader
from support.context import ctx
from support.slackrules import message_problems

from bot.domain.calendar import Cycle
from bot.domain.indicators import Rag, Unit
from bot.domain.periods import Period
from bot.model.report import Digest
from bot.planio import SAMPLE_PLAN, read_plan
from bot.render.report_blocks import render_blocks
from bot.render.report_docx import render_docx
from bot.render.report_html import render_html
from bot.render.report_indicator_chart import render_indicator_chart
from bot.render.report_indicators import value_word
from bot.render.report_markdown import render_markdown
from bot.render.report_pdf import render_pdf
from bot.render.report_xlsx import render_xlsx
from bot.services.digest import compile_digest
from bot.services.plans import load_plan
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2020, 1, 27, 12, 0, tzinfo=LONDON)
Q2 = Period(2019, 2)
HOSTILE = '=HYPERLINK("http://x") <!channel> <script>alert(1)</script> *b* $x$ '


@pytest.fixture
def q2(sample_db: Database) -> Digest:
    """The sample plan's Q2 2019/20: PI-5 red, six amber, PI-4 green."""
    return compile_digest(ctx(sample_db, NOW, cycle=Cycle()), period=Q2)


def test_each_indicator_carries_its_last_five_quarters_for_the_chart(q2: Digest) -> None:
    pi6 = next(line for line in q2.indicators if line.ref == "PI-6")
    assert [(p.label, p.target, p.actual) for p in pi6.history] == [  # type: ignore[comparison-overlap]
        ("Q2 2018/19", 1500, 1765),
        ("Q3 2018/19", 1500, 1690),
        ("Q4 2018/19", 1500, 1610),
        ("Q1 2019/20", 1200, 1450),
        ("Q2 2019/20", 1200, 1310),
    ]


def test_markdown_has_counts_exceptions_with_commentary_and_every_indicator(q2: Digest) -> None:
    text = render_markdown(q2).split("## Performance indicators", 1)[1]

    assert "8 indicators: 1 red, 6 amber, 1 green, 0 with no data." in text
    exceptions = text.split("### Red and amber indicators", 1)[1].split("### Every", 1)[0]
    assert exceptions.index("**PI-5**") < exceptions.index("**PI-1**")  # red first
    assert "**Red: off target**, 80.4% against 90.0% (higher is better)" in exceptions
    assert "> Two officers on long-term leave" in exceptions
    assert "**PI-4**" not in exceptions  # green
    assert (
        "| **PI-6** | Agency spend | £1,200k | £1,310k | **Amber: within tolerance** | "
        "▲ Improved | ▲ Improved | Eleven interim managers" in text
    )
    assert "| 2.0 days | 2.1 days |" in text


def test_html_has_the_section_rag_in_words_and_colour_and_the_chart_with_numbers(
    q2: Digest,
) -> None:
    html = render_html(q2)
    section = html.split('<h2 id="indicators">Performance indicators</h2>', 1)[1]

    assert '<th scope="row">Red: off target</th><td class="num">1</td>' in section
    assert 'style="background:#C62828;color:#FFFFFF">Red: off target</td>' in section
    assert 'style="background:#F9A825;color:#000000">Amber: within tolerance</td>' in section
    assert "<h4>PI-5 Freedom of information requests answered within 20 working days</h4>" in (
        section
    )
    alt = section.split('alt="', 1)[1].split('"', 1)[0]
    assert alt.startswith("Charts of the 7 red and amber indicators, one each")
    assert "PI-5 Freedom of information" in alt and "Q2 2019/20 actual 80.4%, target 90.0%" in alt
    assert "PI-4 " not in alt


def test_the_chart_is_one_panel_per_red_or_amber_indicator_and_none_without_them(
    q2: Digest,
) -> None:
    png = render_indicator_chart(q2)
    assert png is not None and png.startswith(b"\x89PNG")
    width, height = int.from_bytes(png[16:20]), int.from_bytes(png[20:24])
    assert width > height  # seven panels: three rows of three
    greens = tuple(dataclasses.replace(line, status=Rag.GREEN) for line in q2.indicators)
    assert render_indicator_chart(dataclasses.replace(q2, indicators=greens)) is None


def test_word_has_the_section_with_shaded_rag_cells_repeated_headers_and_alt_text(
    q2: Digest,
) -> None:
    document = Document(io.BytesIO(render_docx(q2)))

    headings = [p.text for p in document.paragraphs if p.style and p.style.name == "Heading 1"]
    assert headings[-1] == "6. Performance indicators"
    assert len(document.inline_shapes) == 2
    alt = document.inline_shapes[1]._inline.docPr.get("descr")
    assert "PI-6 Agency spend (amber, lower is better): Q2 2018/19 actual £1,765k" in alt
    every = document.tables[-1]
    assert [c.text for c in every.rows[0].cells][:5] == [
        "Ref",
        "Indicator",
        "Target",
        "Actual",
        "RAG",
    ]
    header = every.rows[0]._tr.trPr
    assert header is not None and header.find(qn("w:tblHeader")) is not None
    pi5 = next(row for row in every.rows if row.cells[0].text == "PI-5")
    rag = pi5.cells[4]
    assert rag.text == "Red: off target"
    assert rag._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "C62828"


def test_excel_has_an_indicators_sheet_with_numbers_and_neutralised_formulas(
    q2: Digest,
) -> None:
    pi1 = dataclasses.replace(q2.indicators[0], title=HOSTILE, note="=1+2")
    digest = dataclasses.replace(q2, indicators=(pi1, *q2.indicators[1:]))
    sheet = load_workbook(io.BytesIO(render_xlsx(digest)))["Indicators"]
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0][:3] == ("Ref", "Indicator", "Theme")
    pi5 = next(r for r in rows if r[0] == "PI-5")
    assert pi5[7:10] == ("90.0%", "80.4%", "Red: off target")
    assert pi5[-2:] == (90, 80.4)
    counts = [r[:2] for r in rows if r[1] is not None and isinstance(r[1], int)]
    assert ("Red: off target", 1) in counts and ("No data", 0) in counts
    title, note = sheet["B2"], sheet["M2"]
    assert title.value == HOSTILE and title.data_type == "s" and title.quotePrefix
    assert note.value == "=1+2" and note.data_type == "s" and note.quotePrefix
    assert sheet.freeze_panes == "B2" and sheet.print_title_rows == "$1:$1"


def test_pdf_has_the_section_and_both_figures(q2: Digest) -> None:
    reader = PdfReader(io.BytesIO(render_pdf(q2)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)

    assert "6. Performance indicators" in text
    assert "Red: off target 1 Amber: within tolerance 6 Green: on target 1 No data 0" in text
    assert "PI-6 actual £1,765k £1,690k £1,610k £1,450k £1,310k" in text


def test_slack_shows_counts_and_red_and_amber_within_the_fake_slacks_rules(q2: Digest) -> None:
    blocks = render_blocks(q2)
    text = blocks[-1]["text"]["text"]
    assert text.startswith("*Performance indicators (8)*")
    assert ":red_circle: red *1*" in text
    assert ":red_circle: *PI-5* Freedom of information" in text
    assert "80.4% (target 90.0%) · ▼ Worse" in text
    assert message_problems(blocks) == (None, [])

    # Hundreds of red indicators with hostile titles and long notes still fit, escaped.
    many = tuple(
        dataclasses.replace(q2.indicators[4], ref=f"PI-{n}", title=HOSTILE * 5, note=HOSTILE * 40)
        for n in range(400)
    )
    blocks = render_blocks(dataclasses.replace(q2, indicators=many))
    assert message_problems(blocks) == (None, [])
    last = blocks[-1]["text"]["text"]
    assert "<!channel>" not in last and "&lt;!channel&gt;" in last
    assert "more red or amber" in last


def test_values_are_written_by_unit_and_decimals(q2: Digest) -> None:
    line = q2.indicators[0]

    def shown(unit: Unit, value: str, decimals: int = 0) -> str:
        return value_word(dataclasses.replace(line, unit=unit, decimals=decimals), Decimal(value))

    assert shown(Unit.PERCENT, "96.4") == "96.4%"
    assert shown(Unit.PERCENT, "95", 1) == "95.0%"
    assert shown(Unit.POUNDS, "1250") == "£1,250"
    assert shown(Unit.THOUSANDS, "1310") == "£1,310k"
    assert shown(Unit.MILLIONS, "1.25", 2) == "£1.25m"
    assert shown(Unit.DAYS, "12.5") == "12.5 days"
    assert shown(Unit.NUMBER, "12500") == "12,500"
    assert shown(Unit.RATIO, "1.5", 2) == "1.50"


def test_a_plan_without_indicators_shows_no_section(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(SAMPLE_PLAN, folder)
    (folder / "indicators.csv").unlink()
    load_plan(db=db, plan_file=read_plan(folder), now=NOW)
    digest = compile_digest(ctx(db, NOW, cycle=Cycle()), period=Q2)
    assert digest.indicators == ()

    assert "## Performance indicators" not in render_markdown(digest)
    assert 'id="indicators"' not in render_html(digest, with_chart=False)
    assert "*Performance indicators (" not in str(render_blocks(digest))
    assert "Indicators" not in load_workbook(io.BytesIO(render_xlsx(digest))).sheetnames
    document = Document(io.BytesIO(render_docx(digest, with_chart=False)))
    assert "Performance indicators" not in [p.text for p in document.paragraphs]
    assert render_indicator_chart(digest) is None
