"""Every format of the report opens in its own reader and holds every action, text intact."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from markdown_it import MarkdownIt
from PIL import Image
from sqlalchemy import select
from support.context import ctx

from bot.domain.periods import Period
from bot.domain.planfile import ActionRow, HistoryRow, MeetingRow, PersonRow, PlanFile
from bot.model.report import Digest, ReportAudience
from bot.render.report_chart import render_chart
from bot.render.report_docx import render_docx
from bot.render.report_html import render_html
from bot.render.report_json import render_json
from bot.render.report_markdown import render_markdown
from bot.render.report_xlsx import render_xlsx
from bot.services.digest import compile_digest
from bot.services.plans import load_plan
from storage import models as m
from storage.db import Database

NOW = dt.datetime(2020, 1, 30, 16, 0, tzinfo=dt.UTC)
Q2 = Period(2019, 2)
TITLES = {
    "ACT-1": 'Cut agency spend by £1.2m & report <monthly> to the "Joint Committee" > target',
    "ACT-2": '=HYPERLINK("http://evil.example","click me")',
    "ACT-3": "<script>alert('x')</script> & <b>not bold</b> &amp; &copy;",
    "ACT-4": "Price $5 to $10 *bold* _under_ [link](http://x.example) | pipe # hash `code`",
    "ACT-5": "- looks like a list item",
    "ACT-6": "+44 helpline & @SUM(A1) for £",
}
NOTES = {
    "ACT-1": "Savings of £0.4m <at risk> & mitigations <!channel> <@U0PO00001> being identified.",
    "ACT-2": "=1+1",
    "ACT-3": "Line one\nLine two with a bell\x07 character",
    "ACT-4": "",
    "ACT-5": "1. numbered\n# heading",
    "ACT-6": "-10% on last year",
}
STATUSES = {"ACT-1": "red", "ACT-2": "amber", "ACT-3": "green", "ACT-4": "complete"}
THEMES = {"ACT-1": "Money & <people>", "ACT-2": "Money & <people>"}


def hostile_plan() -> PlanFile:
    people = [
        PersonRow("U0PO00001", "Priya Shah", "p@x.example", "admin", "Programme <Office>"),
        PersonRow("U0OW00001", "Olu O'Neill & Co", "o@x.example", "owner", "Finance & Legal"),
    ]
    actions = [
        ActionRow(
            ref,
            title,
            THEMES.get(ref, "Service £ quality"),
            "Finance & Legal",
            "U0OW00001",
            dt.date(2020, 3, 31),
            dt.date(2020, 6, 30) if ref == "ACT-1" else None,
        )
        for ref, title in TITLES.items()
    ]
    history = [HistoryRow(ref, Q2.key, status, NOTES[ref]) for ref, status in STATUSES.items()] + [
        HistoryRow("ACT-1", "2019-20-Q1", "amber", "Earlier.")
    ]
    return PlanFile(
        key="hostile",
        name="Plan & <Co> £",
        people=people,
        actions=actions,
        meetings=[MeetingRow(Q2.key, dt.date(2019, 10, 18), "Joint <Committee> & Co")],
        history=history,
    )


@pytest.fixture(scope="module")
def digest(tmp_path_factory: pytest.TempPathFactory) -> Digest:
    path = tmp_path_factory.mktemp("formats") / "plan.db"
    db = Database(f"sqlite:///{path}")
    db.create_all()
    load_plan(db=db, plan_file=hostile_plan(), now=NOW)
    compiled = compile_digest(
        ctx(db, NOW, plan_key="hostile"), period=Q2, scope="all", audience=ReportAudience.DRAFT
    )
    db.dispose()
    return compiled


def squash(text: str) -> str:
    return " ".join(text.split())


def intact(text: str) -> str:
    """A title as it must read in every format (control characters are dropped)."""
    return squash(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text))


class TextAndTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def joined(self) -> str:
        return squash(" ".join(self.text))


def parse_html(markup: str) -> TextAndTags:
    parser = TextAndTags()
    parser.feed(markup)
    parser.close()
    return parser


def test_json_holds_every_action_with_text_as_written(digest: Digest) -> None:
    data = json.loads(render_json(digest))
    assert {a["ref"]: a["title"] for a in data["actions"]} == TITLES
    notes = {a["ref"]: a["note"] for a in data["actions"]}
    assert notes["ACT-1"] == NOTES["ACT-1"]
    assert data["plan"]["name"] == "Plan & <Co> £"


def test_html_is_self_contained_and_escapes_everything(digest: Digest) -> None:
    markup = render_html(digest)
    page = parse_html(markup)

    for ref, title in TITLES.items():
        assert ref in page.joined
        assert intact(title) in page.joined
    assert intact(NOTES["ACT-1"]) in page.joined
    assert "script" not in page.tags and "b" not in page.tags
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert "&amp;amp;" in markup  # a literal "&amp;" in a title stays literal
    # No external assets: the chart is inline, the styles are in the page.
    assert "link" not in page.tags
    sources = [value or "" for name, value in page.attrs if name in {"src", "href"}]
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    # Accessible: a language, headed tables with scoped header cells, alt text.
    assert '<html lang="en-GB">' in markup
    assert page.tags.count("caption") >= 3
    assert ("scope", "col") in page.attrs and ("scope", "row") in page.attrs
    assert any(name == "alt" and value for name, value in page.attrs)


def test_markdown_renders_to_the_same_text_without_markup_leaking(digest: Digest) -> None:
    markdown = render_markdown(digest)
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    page = parse_html(rendered)

    for ref, title in TITLES.items():
        assert ref in page.joined
        assert intact(title) in page.joined, title
    assert "script" not in page.tags
    assert "a" not in page.tags  # the [link](...) in a title is not a link
    assert page.tags.count("table") == 3  # summary, by theme, all actions
    assert "<script>" not in markdown


def style_name(paragraph: Paragraph) -> str:
    """The name of a Word paragraph's style (python-docx gives each paragraph one)."""
    style = paragraph.style
    assert style is not None
    name = style.name
    assert isinstance(name, str)
    return name


def test_word_document_is_a_landscape_appendix_with_every_action(digest: Digest) -> None:
    content = render_docx(digest)
    document = Document(io.BytesIO(content))

    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    text = squash(" ".join([p.text for p in document.paragraphs] + cells))
    for ref, title in TITLES.items():
        assert ref in text
        assert intact(title) in text
    assert intact(NOTES["ACT-3"]) in squash(" ".join(cells))
    section = document.sections[0]
    width, height = section.page_width, section.page_height
    assert width is not None and height is not None
    assert width > height  # landscape
    for table in document.tables:
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None
    footer_xml = section.footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    # The full table: status cells are coloured and always carry the status word.
    full = document.tables[-1]
    rows = {row.cells[0].text: row for row in full.rows}
    red = rows["ACT-1"].cells[5]
    assert red.text == "Off track"
    assert red._tc.tcPr.find(qn("w:shd")).get(qn("w:fill")) == "C62828"
    assert rows["ACT-5"].cells[5].text == "No update received"
    assert rows["Money & <people>"].cells[0].text == "Money & <people>"  # a theme row
    # Headings the clerk expects, in order.
    headings = [p.text for p in document.paragraphs if style_name(p).startswith("Heading")]
    assert headings == [
        "1. Summary",
        "2. Exceptions: actions off track or at risk",
        "3. Completed this period",
        "4. No update received",
        "5. All actions",
    ]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert any(name.startswith("word/media/") for name in archive.namelist())  # the chart


def test_excel_workbook_has_a_filterable_sheet_per_section_and_no_formulas(
    digest: Digest,
) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(digest)))

    assert workbook.sheetnames == [
        "Summary",
        "By theme",
        "Exceptions",
        "Completed",
        "No update",
        "Actions",
        "Trend",
    ]
    actions = workbook["Actions"]
    rows = {row[0].value: row for row in actions.iter_rows(min_row=2)}
    assert set(rows) == set(TITLES)
    for ref, title in TITLES.items():
        cell = rows[ref][1]
        assert cell.value == title
        assert cell.data_type == "s"
    formula_like = rows["ACT-2"][1]
    assert formula_like.quotePrefix is True
    assert rows["ACT-2"][10].value == "=1+1" and rows["ACT-2"][10].data_type == "s"
    assert rows["ACT-6"][1].quotePrefix is True
    assert rows["ACT-1"][7].value == "Off track"
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.freeze_panes == "B2"
    assert len(actions.conditional_formatting) >= 1
    rules = [r for cf in actions.conditional_formatting for r in cf.rules]
    assert any('"Off track"' in r.formula[0] for r in rules)
    exceptions = workbook["Exceptions"]
    assert [r[0].value for r in exceptions.iter_rows(min_row=2)] == ["ACT-1", "ACT-2"]
    # Every cell in the workbook is a value: nothing would run as a formula.
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row)


def test_excel_rows_are_tall_enough_for_their_wrapped_text(sample_db: Database) -> None:
    """Neither Excel nor LibreOffice grows a row for wrapped text in a file it did not lay out:
    without heights set, long commentary overlaps the next row (seen rendered by LibreOffice)."""
    long_note = "The recovery plan was agreed by the joint committee in principle. " * 12
    with sample_db.session() as session:
        latest = session.scalar(
            select(m.Update)
            .join(m.Action)
            .join(m.Period)
            .where(m.Action.ref == "ACT-12", m.Period.key == Q2.key)
            .order_by(m.Update.id.desc())
        )
        assert latest is not None
        latest.note = long_note.strip()
    sample = compile_digest(ctx(sample_db, NOW), period=Q2)
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(sample)))

    actions = workbook["Actions"]
    heights = {r[0].value: actions.row_dimensions[r[0].row].height for r in actions.iter_rows()}
    assert heights["ACT-12"] is not None and heights["ACT-12"] >= 11 * 15  # 800 characters
    assert heights["Ref"] == 2 * 15  # the header: "Revised target" takes two lines
    assert None in heights.values() and 30.0 in heights.values()  # each row as its own text
    assert all(h is None or h <= 409 for h in heights.values())
    summary = workbook["Summary"]
    assert summary["A2"].alignment.wrap_text is not True  # the heading runs on, unwrapped
    assert summary.row_dimensions[5].height == 2 * 15  # "Previous period (...)" on two lines


def test_an_exception_without_a_revised_date_says_nothing_of_one(digest: Digest) -> None:
    html, markdown = render_html(digest, chart_png=None), render_markdown(digest)
    # ACT-1 was revised to 30 Jun 2020; ACT-2, also an exception, was not.
    assert "31 Mar 2020; revised 30 Jun 2020" in html and "revised –" not in html
    assert "- Target date: 31 Mar 2020; revised 30 Jun 2020" in markdown
    assert "- Target date: 31 Mar 2020\n" in markdown and "revised: –" not in markdown


def test_chart_is_a_png_that_decodes(digest: Digest, tmp_path: Path) -> None:
    png = render_chart(digest)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 1000 and image.height > 500
    path = tmp_path / "chart.png"
    path.write_bytes(png)
    pixels = matplotlib.image.imread(str(path))
    assert pixels.shape[0] == image.height


def test_a_scoped_report_holds_only_its_actions_in_every_format(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'plan.db'}")
    db.create_all()
    load_plan(db=db, plan_file=hostile_plan(), now=NOW)
    scoped = compile_digest(
        ctx(db, NOW, plan_key="hostile"), period=Q2, scope="theme:Money & <people>"
    )
    db.dispose()
    wanted, others = {"ACT-1", "ACT-2"}, set(TITLES) - {"ACT-1", "ACT-2"}

    texts = {
        "json": " ".join(a["ref"] for a in json.loads(render_json(scoped))["actions"]),
        "html": parse_html(render_html(scoped, with_chart=False)).joined,
        "md": render_markdown(scoped),
        "docx": " ".join(
            c.text
            for t in Document(io.BytesIO(render_docx(scoped, with_chart=False))).tables
            for r in t.rows
            for c in r.cells
        ),
        "xlsx": " ".join(
            str(r[0].value)
            for r in openpyxl.load_workbook(io.BytesIO(render_xlsx(scoped)))["Actions"].iter_rows()
        ),
    }
    for fmt, text in texts.items():
        found = set(re.findall(r"ACT-\d+", text))
        assert wanted <= found, fmt
        assert not (others & found), fmt
