"""The report's accessible formats: axe-core on the HTML in headless Chromium; the Word appendix.

Chromium and chromedriver are Debian's (`chromium`, `chromium-driver`), axe-core is the npm
package pinned in tests/axe (`npm ci --prefix tests/axe`); `.ci/run` installs all three.
The browser is driven over the WebDriver protocol with httpx, so nothing else is needed.
Without them the axe tests are skipped with the reason; under CI they fail instead.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document
from docx.oxml.ns import qn

from bot.demo import run_demo
from bot.model.report import Digest, ReportAudience
from bot.render.report_docx import render_docx
from bot.render.report_html import render_html

AXE_JS = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA: the rules PSBAR 2018 asks for.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
  .then(r => done({
    violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary),
    })),
    passes: r.passes.map(p => p.id),
  }))
  .catch(e => done({error: String(e)}));
"""


@pytest.fixture(scope="module")
def demo_digests(tmp_path_factory: pytest.TempPathFactory) -> tuple[Digest, Digest]:
    """The demo's quarter as the committee sees it, and the draft that names people."""
    result = run_demo(tmp_path_factory.mktemp("a11y") / "demo")
    committee = result.digest
    assert committee.audience is ReportAudience.COMMITTEE
    return committee, _draft_of(committee)


def _draft_of(digest: Digest) -> Digest:
    return replace(digest, audience=ReportAudience.DRAFT, published_at=None, published_by=None)


@dataclass
class Browser:
    """A headless Chromium session, over WebDriver."""

    client: httpx.Client
    session: str

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.request(method, f"/session/{self.session}{path}", json=body)
        answer = response.json()
        assert response.status_code == 200, answer
        return answer["value"]

    def axe(self, page: Path) -> dict[str, Any]:
        """axe-core's WCAG A and AA results for `page`."""
        self.call("POST", "/url", {"url": page.as_uri()})
        self.call("POST", "/execute/sync", {"script": AXE_JS.read_text("utf-8"), "args": []})
        result: dict[str, Any] = self.call(
            "POST", "/execute/async", {"script": RUN_AXE, "args": [WCAG_TAGS]}
        )
        assert "error" not in result, result
        return result


def _missing_tools() -> str:
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    if not AXE_JS.exists():
        missing.append(f"axe-core ({AXE_JS}: npm ci --prefix tests/axe)")
    return ", ".join(missing)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing = _missing_tools()
    if missing:
        message = f"the HTML accessibility check needs {missing}; .ci/run installs them"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    driver = subprocess.Popen(
        [str(shutil.which("chromedriver")), f"--port={port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert driver.stdout is not None
        for line in driver.stdout:  # it says so once it listens
            if "started successfully" in line:
                break
        else:
            pytest.fail("chromedriver stopped before it started")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            options = {
                "binary": shutil.which("chromium"),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                ],
            }
            response = client.post(
                "/session",
                json={"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}},
            )
            assert response.status_code == 200, response.text
            session = response.json()["value"]["sessionId"]
            browser = Browser(client, session)
            browser.call("POST", "/timeouts", {"script": 60_000})
            try:
                yield browser
            finally:
                client.delete(f"/session/{session}")
    finally:
        driver.terminate()
        driver.wait(timeout=30)


def _violations(result: dict[str, Any]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']}: {v['nodes']}" for v in result["violations"]]


def test_axe_finds_no_wcag_violation_in_the_html_report(
    browser: Browser, demo_digests: tuple[Digest, Digest], tmp_path: Path
) -> None:
    for digest in demo_digests:
        page = tmp_path / f"report-{digest.audience}.html"
        page.write_text(render_html(digest), encoding="utf-8")

        result = browser.axe(page)

        assert _violations(result) == []
        # It did look: the rules that matter for this page ran and passed.
        passed = set(result["passes"])
        assert {"color-contrast", "image-alt", "html-has-lang", "document-title"} <= passed
        assert {"th-has-data-cells", "td-headers-attr", "list"} <= passed


def test_axe_as_run_here_does_see_a_violation(browser: Browser, tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>x</title></head><body><main><img src="a.png">'
        '<p style="color:#aaa;background:#fff">faint</p></main></body></html>',
        encoding="utf-8",
    )
    found = {v["id"] for v in browser.axe(page)["violations"]}
    assert {"image-alt", "html-has-lang", "color-contrast"} <= found


def test_the_word_appendix_has_alt_text_headings_title_and_language(
    demo_digests: tuple[Digest, Digest],
) -> None:
    digest = demo_digests[0]
    document = Document(io.BytesIO(render_docx(digest)))

    pictures = document.inline_shapes
    assert len(pictures) == 2  # the statuses, then the red and amber indicators
    alt = pictures[0]._inline.docPr.get("descr")
    assert alt.startswith("Chart in two parts.") and alt.count(". ") >= 3
    assert "This period, 20 actions: 5 on track, 4 at risk, 2 off track, 6 complete" in alt
    for theme in digest.by_theme:
        assert f"{theme.name}: " in alt
    # Real headings: Word's Title and Heading 1 styles, which its navigation pane and a
    # screen reader list; the header row of every table repeats on each page.
    styles = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    assert ("Title", digest.title) in styles
    assert [text for name, text in styles if name == "Heading 1"] == [
        "1. Summary",
        "2. Exceptions: actions off track or at risk",
        "3. Completed this period",
        "4. No update received",
        "5. All actions",
        "6. Performance indicators",
    ]
    indicators_alt = pictures[1]._inline.docPr.get("descr")
    assert indicators_alt.startswith("Charts of the 5 red and amber indicators")
    assert "Q3 2019/20 actual 23.4 days, target 20.0 days." in indicators_alt
    for table in document.tables:
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None
    assert document.core_properties.title == digest.title
    assert document.core_properties.language == "en-GB"
    defaults = document.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "en-GB"
