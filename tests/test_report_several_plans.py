"""Each plan's report in its own statuses, labels and colours, in every format.

The three plans of the several-plans issue (tests/support/three_plans.py) in one database, and
updates to the strategy recorded through the services: Sam's SP-1 goes from on track to a
major delay (which needs a note), Omar's SP-2 from a major delay to `amber`, the strategy's
word for a minor delay. Its report must speak of minor and major delays in every format, in
the strategy's colours, and never of the default scheme's "At risk" or "Off track".
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from pypdf import PdfReader
from sqlalchemy import update
from support.context import ctx
from support.slackapp import all_text
from support.strategy_updates import (
    AFTER_Q3_DEADLINE,
    IN_Q2_WINDOW,
    IN_Q3_WINDOW,
    strategy_quarters,
)
from support.three_plans import PERIOD, load_three_plans, write_plan_folder

from bot.domain.periods import Period
from bot.model.report import Digest, Flag
from bot.planio import read_plan
from bot.render.report_blocks import render_blocks, summary_text
from bot.render.report_chart import HATCHES, SAFE_COLOURS, chart_figure, chart_styles, render_chart
from bot.render.report_docx import render_docx
from bot.render.report_html import render_html
from bot.render.report_json import render_json
from bot.render.report_markdown import render_markdown
from bot.render.report_pdf import render_pdf
from bot.render.report_xlsx import render_xlsx
from bot.services.digest import compile_digest
from bot.services.plans import load_plan
from storage import models as m
from storage.db import Database

Q2, Q3 = Period.from_key("2026-27-Q2"), Period.from_key(PERIOD)
STRATEGY_KEYS = ("not_started", "on_track", "minor_delay", "major_delay", "complete", "no_update")
STRATEGY_COLOURS = {
    "Not started": "BFBFBF",
    "On track": "2E7D32",
    "Minor delay": "F9A825",
    "Major delay": "C62828",
    "Complete": "1565C0",
    "No update received": "FFFFFF",
}
DEFAULT_WORDS = ("At risk", "Off track", "at risk", "off track")


@pytest.fixture
def plans_db(db: Database, tmp_path: Path) -> Database:
    load_three_plans(db, tmp_path)
    strategy_quarters(db)
    return db


def strategy_q3(db: Database) -> Digest:
    return compile_digest(ctx(db, AFTER_Q3_DEADLINE, plan_key="strategy"), period=Q3)


def test_the_strategy_digest_is_compiled_by_its_own_scheme(plans_db: Database) -> None:
    digest = strategy_q3(plans_db)

    assert digest.plan_name == "Strategy 2020-23"
    assert digest.status_keys == STRATEGY_KEYS  # counted in the scheme's order
    assert list(digest.counts) == list(STRATEGY_KEYS)
    assert digest.counts == {**dict.fromkeys(STRATEGY_KEYS, 0), "minor_delay": 1, "major_delay": 1}
    assert digest.previous_counts["on_track"] == digest.previous_counts["major_delay"] == 1
    lines = {a.ref: a for a in digest.actions}
    assert (lines["SP-1"].status, lines["SP-1"].direction) == ("major_delay", "worse")
    assert (lines["SP-2"].status, lines["SP-2"].direction) == ("minor_delay", "improved")
    # The exceptions are the statuses that need a note: a major delay, not a minor one.
    assert [a.ref for a in digest.exceptions] == ["SP-1"]
    assert [s.label for s in digest.exception_statuses] == ["Major delay"]
    assert digest.on_track == "on_track"
    # The English plan beside it keeps the default scheme.
    english = compile_digest(ctx(plans_db, AFTER_Q3_DEADLINE, plan_key="improvement"), period=Q3)
    assert english.status_keys[:3] == ("not_started", "green", "amber")
    assert english.on_track == "green"


def test_on_track_past_the_target_date_is_the_plans_on_track_status(plans_db: Database) -> None:
    # The strategy's target for SP-1 is brought forward to before Q2's update deadline: on
    # track in Q2 (its on_track status, not the default scheme's green), it is past it.
    with plans_db.session() as session:
        session.execute(
            update(m.Action)
            .where(m.Action.ref == "SP-1")
            .values(target_date=dt.date(2026, 9, 30), revised_target_date=None)
        )
    digest = compile_digest(ctx(plans_db, IN_Q3_WINDOW, plan_key="strategy"), period=Q2)

    assert [a.ref for a in digest.flagged(Flag.GREEN_BUT_OVERDUE)] == ["SP-1"]
    assert "- On track but past the target date: SP-1" in render_markdown(digest)
    shown = all_text({"text": summary_text(digest), "blocks": render_blocks(digest)})
    assert "*On track but past target* (1): SP-1" in shown


def test_the_committee_comes_from_the_plans_settings_where_the_meeting_names_none(
    plans_db: Database,
) -> None:
    q4 = Q3.next()  # no meeting row: only the strategy's settings name its committee
    strategy = compile_digest(ctx(plans_db, AFTER_Q3_DEADLINE, plan_key="strategy"), period=q4)
    english = compile_digest(ctx(plans_db, AFTER_Q3_DEADLINE, plan_key="improvement"), period=q4)

    assert strategy.committee == "Joint Committee"
    assert render_markdown(strategy).splitlines()[2].startswith("*Joint Committee · ")
    assert english.committee == ""
    assert render_markdown(english).splitlines()[2] == "*Whole plan*"


def test_json_markdown_html_and_slack_use_the_strategys_statuses(plans_db: Database) -> None:
    digest = strategy_q3(plans_db)

    data = json.loads(render_json(digest))
    assert [s["key"] for s in data["statuses"]] == list(STRATEGY_KEYS)
    assert {s["label"]: s["colour"] for s in data["statuses"]} == {
        label: f"#{colour}" for label, colour in STRATEGY_COLOURS.items()
    }
    assert list(data["counts"]) == list(STRATEGY_KEYS)
    assert {a["ref"]: a["status"] for a in data["actions"]} == {
        "SP-1": "major_delay",
        "SP-2": "minor_delay",
    }
    assert data["sections"]["exceptions"] == ["SP-1"]

    markdown = render_markdown(digest)
    assert "## Exceptions (major delay)" in markdown
    assert "| Minor delay | 1 | 0 |" in markdown and "| Major delay | 1 | 1 |" in markdown
    assert "**Major delay** | On track | ▼ Worse" in markdown

    html = render_html(digest, with_chart=False)
    assert "Exceptions: major delay</h2>" in html
    assert 'style="background:#C62828;color:#ffffff">Major delay</td>' in html
    assert 'style="background:#F9A825;color:#000000">Minor delay</td>' in html

    shown = all_text({"text": summary_text(digest), "blocks": render_blocks(digest)})
    assert "*Exceptions: major delay (1)*" in shown
    assert ":red_circle: Major delay: *1* (1 in 2026-27-Q2)" in shown
    assert ":large_yellow_circle: Minor delay: *1* (0 in 2026-27-Q2)" in shown
    assert "1 minor delay, 1 major delay" in summary_text(digest)
    for text in (json.dumps(data), markdown, html, shown):
        assert not any(word in text for word in DEFAULT_WORDS)


def shading(cell: object) -> str | None:
    shd = cell._tc.tcPr.find(qn("w:shd"))  # type: ignore[attr-defined]
    return None if shd is None else str(shd.get(qn("w:fill")))


def test_word_cells_are_coloured_and_worded_by_the_strategys_scheme(plans_db: Database) -> None:
    digest = strategy_q3(plans_db)
    document = Document(io.BytesIO(render_docx(digest, with_chart=False)))

    summary = document.tables[0]
    assert {row.cells[0].text: shading(row.cells[0]) for row in summary.rows[1:-1]} == (
        STRATEGY_COLOURS
    )
    exceptions = document.tables[2]
    assert [
        (r.cells[0].text, r.cells[3].text, shading(r.cells[3])) for r in exceptions.rows[1:]
    ] == [("SP-1", "Major delay", "C62828")]
    full = {row.cells[0].text: row for row in document.tables[-1].rows}
    assert (full["SP-2"].cells[5].text, shading(full["SP-2"].cells[5])) == ("Minor delay", "F9A825")
    assert full["SP-2"].cells[6].text == "Major delay"  # the previous status, in words
    headings = [
        p.text for p in document.paragraphs if p.style and p.style.name.startswith("Heading")
    ]
    assert "2. Exceptions: actions reported as Major delay" in headings
    cells = " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    text = " ".join(p.text for p in document.paragraphs) + cells
    assert not any(word in text for word in DEFAULT_WORDS)


def test_excel_colours_each_strategy_status_by_its_label(plans_db: Database) -> None:
    digest = strategy_q3(plans_db)
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(digest)))

    actions = workbook["Actions"]
    assert {r[0].value: r[7].value for r in actions.iter_rows(min_row=2)} == {
        "SP-1": "Major delay",
        "SP-2": "Minor delay",
    }
    for sheet in ("Summary", "Actions", "Exceptions"):
        rules = [r for cf in workbook[sheet].conditional_formatting for r in cf.rules]
        fills = {
            re.search(r'"(.*)"', r.formula[0]).group(1): r.dxf.fill.fgColor.rgb[-6:]  # type: ignore[union-attr]
            for r in rules
        }
        assert fills == STRATEGY_COLOURS, sheet
    words = [
        str(c.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row
    ]
    assert "Minor delay" in words
    assert not any(word in text for text in words for word in DEFAULT_WORDS)


def test_the_pdf_speaks_of_the_strategys_statuses(plans_db: Database) -> None:
    digest = strategy_q3(plans_db)
    reader = PdfReader(io.BytesIO(render_pdf(digest)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)

    assert "2. Exceptions: actions reported as Major delay" in text
    assert "Status key: Not started; On track; Minor delay; Major delay; Complete;" in text
    assert "Major delay" in text and "Minor delay" in text
    assert not any(word in text for word in DEFAULT_WORDS)


def test_the_chart_draws_the_strategy_in_its_own_colours_each_hatched_apart(
    plans_db: Database,
) -> None:
    digest = strategy_q3(plans_db)

    styles = chart_styles(digest)
    assert list(styles) == [
        "complete",
        "on_track",
        "minor_delay",
        "major_delay",
        "not_started",
        "no_update",
    ]
    assert {digest.label(k): colour[1:] for k, (colour, _) in styles.items()} == STRATEGY_COLOURS
    hatches = [hatch for _, hatch in styles.values()]
    assert len(set(hatches)) == len(hatches)  # readable without colour
    figure = chart_figure(digest)
    drawn = {
        (to_hex(p.get_facecolor()).upper(), p.get_hatch() or "")
        for axes in figure.axes
        for p in axes.patches
        if isinstance(p, Rectangle) and p.get_width() and p.get_height()
    }
    # This period minor and major delays; last period on track and a major delay.
    assert drawn == {
        ("#F9A825", styles["minor_delay"][1]),
        ("#C62828", styles["major_delay"][1]),
        ("#2E7D32", styles["on_track"][1]),
    }
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend == ["On track", "Minor delay", "Major delay"]
    assert render_chart(digest).startswith(b"\x89PNG")

    # The default scheme keeps its colour-blind-safe palette and hatches.
    english = compile_digest(ctx(plans_db, AFTER_Q3_DEADLINE, plan_key="improvement"), period=Q3)
    assert chart_styles(english) == {
        k: (SAFE_COLOURS[k], HATCHES[k])
        for k in ("complete", "green", "amber", "red", "on_hold", "not_started", "no_update")
    }


def test_a_scheme_of_its_own_colours_reaches_every_format(db: Database, tmp_path: Path) -> None:
    # The strategy with a purple major delay: nothing of the default scheme's red is left.
    folder = write_plan_folder(tmp_path, "strategy")
    statuses = folder / "statuses.csv"
    statuses.write_text(statuses.read_text().replace("#C62828", "#7B1FA2"), encoding="utf-8")
    load_plan(db=db, plan_file=read_plan(folder), now=IN_Q2_WINDOW)
    strategy_quarters(db)
    digest = strategy_q3(db)

    assert chart_styles(digest)["major_delay"][0] == "#7B1FA2"
    assert 'style="background:#7B1FA2;color:#ffffff">Major delay</td>' in render_html(
        digest, with_chart=False
    )
    document = Document(io.BytesIO(render_docx(digest, with_chart=False)))
    full = {row.cells[0].text: row for row in document.tables[-1].rows}
    assert shading(full["SP-1"].cells[5]) == "7B1FA2"
    workbook = openpyxl.load_workbook(io.BytesIO(render_xlsx(digest)))
    rules = [r for cf in workbook["Actions"].conditional_formatting for r in cf.rules]
    assert any(
        r.dxf.fill.fgColor.rgb.endswith("7B1FA2") for r in rules if '"Major delay"' in r.formula[0]
    )
    with zipfile.ZipFile(io.BytesIO(render_docx(digest, with_chart=False))) as archive:
        assert "C62828" not in archive.read("word/document.xml").decode()
