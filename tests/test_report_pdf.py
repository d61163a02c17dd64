"""The published appendix as a tagged PDF: read back, walked, and checked against PDF/UA-1."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from pdfua import Severity, validate
from pypdf import PdfReader
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, PdfObject

from bot.demo import run_demo
from bot.model.report import Digest
from bot.render.report_pdf import render_pdf


@dataclass(frozen=True)
class Appendix:
    digest: Digest
    path: Path  # written by `planbot digest --format pdf --out ...`
    reader: PdfReader


@pytest.fixture(scope="module")
def appendix(tmp_path_factory: pytest.TempPathFactory) -> Appendix:
    """The demo's quarter, then `planbot digest --format pdf --out appendix.pdf` against it."""
    folder = tmp_path_factory.mktemp("pdf")
    result = run_demo(folder / "demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PLANBOT_"))}
    env["DATABASE_URL"] = f"sqlite:///{result.database}"
    out = folder / "appendix.pdf"
    command = [sys.executable, "-m", "bot", "digest", "--period", "2019-20-Q3"]
    command += ["--format", "pdf", "--out", str(out), "--committee"]
    done = subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert f"to {out}" in done.stderr
    return Appendix(result.digest, out, PdfReader(out))


def is_true(value: PdfObject) -> bool:
    return isinstance(value, BooleanObject) and bool(value.value)


def resolved(value: PdfObject | None) -> PdfObject | None:
    return value.get_object() if value is not None else None


def struct_elements(node: PdfObject | None) -> Iterator[DictionaryObject]:
    """Every structure element under `node`, depth first."""
    node = resolved(node)
    if isinstance(node, ArrayObject):
        for item in node:
            yield from struct_elements(item)
    elif isinstance(node, DictionaryObject) and "/S" in node:
        yield node
        yield from struct_elements(node.get("/K"))
    elif isinstance(node, DictionaryObject) and "/K" in node:  # the root
        yield from struct_elements(node.get("/K"))


def catalog(reader: PdfReader) -> DictionaryObject:
    root = reader.trailer["/Root"].get_object()
    assert isinstance(root, DictionaryObject)
    return root


def roles(reader: PdfReader) -> list[str]:
    root = catalog(reader)
    return [str(e["/S"]).lstrip("/") for e in struct_elements(root["/StructTreeRoot"])]


def page_texts(reader: PdfReader) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_the_appendix_holds_every_ref_of_the_report(appendix: Appendix) -> None:
    text = " ".join(page_texts(appendix.reader))
    found = set(re.findall(r"\bACT-\d+\b", text))
    assert found == {a.ref for a in appendix.digest.actions}
    assert len(found) == 20
    for a in appendix.digest.exceptions:
        assert a.ref in text
    assert "Off track" in text and "At risk" in text and "No update received" in text


def test_the_appendix_is_tagged_with_title_language_and_structure(appendix: Appendix) -> None:
    root = catalog(appendix.reader)
    mark_info, viewer = root["/MarkInfo"], root["/ViewerPreferences"]
    assert isinstance(mark_info, DictionaryObject) and isinstance(viewer, DictionaryObject)
    assert is_true(mark_info["/Marked"])
    assert str(root["/Lang"]) == "en-GB"
    assert is_true(viewer["/DisplayDocTitle"])  # the title shown, not the file's name
    assert appendix.reader.metadata is not None
    assert appendix.reader.metadata.title == appendix.digest.title
    metadata = appendix.reader.xmp_metadata
    assert metadata is not None
    assert "pdfuaid" in str(metadata.rdf_root.toxml())  # declares PDF/UA-1 in its XMP
    found = roles(appendix.reader)
    assert {"H1", "H2", "H3", "Table", "TH", "TR", "TD", "Figure"} <= set(found)
    assert found.count("H1") == 1
    # No empty heading (pdfua 0.1.3's own check of this, UA-14-001, fails on Typst's arrays).
    headings = [
        e for e in struct_elements(root["/StructTreeRoot"]) if str(e["/S"]) in {"/H1", "/H2", "/H3"}
    ]
    assert headings and all(e.get("/K") not in (None, []) for e in headings)
    # Summary, exceptions, completed, no update, all actions, performance indicators.
    assert found.count("H2") == 6
    assert found.count("Table") == 11  # status, theme, chart data, exceptions, completed,
    # no update, all actions; indicators by RAG, red and amber, their chart data, every one


def test_the_chart_is_a_figure_with_its_numbers_in_words(appendix: Appendix) -> None:
    root = catalog(appendix.reader)
    figures = [e for e in struct_elements(root["/StructTreeRoot"]) if str(e["/S"]) == "/Figure"]
    assert len(figures) == 2  # the statuses, then the red and amber indicators
    alt = str(figures[0]["/Alt"])
    digest = appendix.digest
    assert alt.startswith("Chart in two parts.")
    assert f"This period, {digest.total} actions: " in alt
    assert "5 on track, 4 at risk, 2 off track, 6 complete and 3 no update received." in alt
    for theme in digest.by_theme:
        assert f"{theme.name}: " in alt
    for point in digest.trend:
        assert f"{point.label}: " in alt
    # Its data as a table as well: a row per quarter.
    text = " ".join(page_texts(appendix.reader))
    assert "Chart data: actions in each status, quarter by quarter" in text
    assert "Q1 2019/20 5 9 6 0 0 0 0 20" in text


def test_the_indicators_chart_is_a_figure_with_each_exceptions_quarters_in_words(
    appendix: Appendix,
) -> None:
    root = catalog(appendix.reader)
    figures = [e for e in struct_elements(root["/StructTreeRoot"]) if str(e["/S"]) == "/Figure"]
    alt = str(figures[1]["/Alt"])
    assert alt.startswith("Charts of the 5 red and amber indicators, one each")
    assert (
        "PI-2 Days to process new benefit claims (red, lower is better): Q3 2018/19 actual "
        "22.0 days, target 20.0 days;" in alt
    )
    assert "Q3 2019/20 actual 23.4 days, target 20.0 days." in alt
    assert "PI-6 Agency spend (amber, lower is better)" in alt and "£1,240k" in alt
    assert "PI-1 " not in alt and "PI-8 " not in alt  # green, and no data: not charted
    text = " ".join(page_texts(appendix.reader))
    assert "6. Performance indicators" in text
    assert "Red: off target 1" in text and "No data 1" in text  # counts by RAG, in words
    assert "PI-2 target 20.0 days 20.0 days 20.0 days 20.0 days 20.0 days" in text


def test_the_header_row_repeats_on_every_page_of_the_action_table(appendix: Appendix) -> None:
    pages = page_texts(appendix.reader)
    start = next(i for i, text in enumerate(pages) if "5. All actions" in text)
    end = next(i for i, text in enumerate(pages) if "6. Performance indicators" in text)
    assert end - start >= 2  # the demo's table runs over pages
    for number, text in enumerate(pages[start:end], start=start + 1):
        assert "Ref Action Lead Target date Revised target Status Previous Direction" in text, (
            f"page {number} has no header row"
        )
        assert f"Page {number} of {len(pages)}" in text


def test_pdfua_finds_no_error(appendix: Appendix) -> None:
    report = validate(str(appendix.path))
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert errors == [], [f"{f.rule_id}: {f.message}" for f in errors]
    assert report.findings == ()  # no warning either (title, its display, PDF/UA id)


def test_status_is_in_words_and_colour_and_text_from_anyone_stays_literal(
    appendix: Appendix,
) -> None:
    digest = appendix.digest
    hostile = replace(digest, plan_name='Plan & <Co> $5 *bold* #set text(red) "quoted" \\ back')
    reader = PdfReader(io.BytesIO(render_pdf(hostile, with_chart=False)))
    assert reader.metadata is not None
    assert reader.metadata.title == hostile.title
    text = " ".join(page_texts(reader))
    assert "#set text(red)" in text and "*bold*" in text and "$5" in text
    assert "Figure" not in roles(reader)


def test_the_same_digest_gives_the_same_bytes(appendix: Appendix) -> None:
    first = render_pdf(appendix.digest, with_chart=False)
    assert first == render_pdf(appendix.digest, with_chart=False)
    assert first.startswith(b"%PDF-")
