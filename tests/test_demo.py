"""`planbot demo`: from nothing to the seven report files, with no Slack and no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
from docx import Document

from bot.demo import REPLIES, run_demo


def test_planbot_demo_writes_all_seven_files_and_says_where(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PLANBOT_"))}
    env.pop("DATABASE_URL", None)
    env["SLACK_API_URL"] = "http://127.0.0.1:9/"  # were anything to call Slack, it would fail

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,  # a fresh directory: no .env, no database
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert elapsed < 60
    folder = tmp_path / "planbot-demo" / "report-2019-20-Q3"
    assert f"The report is in {folder.resolve()}:" in result.stdout
    files = sorted(p.name for p in folder.iterdir())
    assert files == [
        "sample-plan-2019-20-Q3.docx",
        "sample-plan-2019-20-Q3.html",
        "sample-plan-2019-20-Q3.json",
        "sample-plan-2019-20-Q3.md",
        "sample-plan-2019-20-Q3.pdf",
        "sample-plan-2019-20-Q3.png",
        "sample-plan-2019-20-Q3.xlsx",
    ]
    for name in files:
        assert name in result.stdout
    pdf = (folder / "sample-plan-2019-20-Q3.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"/StructTreeRoot" in pdf  # the tagged appendix
    assert "No update from: " in result.stdout
    assert (tmp_path / "planbot-demo" / "planbot-demo.db").exists()
    assert not (tmp_path / "planbot.db").exists()  # the demo never touches the default database


def test_demo_simulates_a_realistic_quarter(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "out")

    report = json.loads(result.files["json"].read_text(encoding="utf-8"))
    assert report["period"]["key"] == "2019-20-Q3"
    assert report["counts"] == {
        "not_started": 0,
        "green": 5,
        "amber": 4,
        "red": 2,
        "complete": 6,
        "on_hold": 0,
        "no_update": 3,
    }
    actions = {a["ref"]: a for a in report["actions"]}
    assert {r for r, a in actions.items() if "no_update" in a["flags"]} == {
        "ACT-10",
        "ACT-17",
        "ACT-20",
    }
    assert {r for r, a in actions.items() if "carried_forward" in a["flags"]} == {
        "ACT-1",
        "ACT-5",
        "ACT-11",
    }
    assert actions["ACT-6"]["status"] == "green"  # the second reply superseded the first
    assert actions["ACT-18"]["on_behalf_of"] == "Aisha Rahman"
    assert actions["ACT-13"]["revised_target_date"] == "2020-06-30"
    assert all(
        a["source"] == "demo" for a in actions.values() if a["status_period"] == "2019-20-Q3"
    )
    assert report["period"]["published_by"] == "Priya Shah"
    assert report["audience"] == "committee"
    assert len(REPLIES) == result.replies == 15
    assert len(result.silent) == 3

    document = Document(str(result.files["docx"]))
    assert document.tables[-1].rows[0].cells[0].text == "Ref"
    workbook = openpyxl.load_workbook(result.files["xlsx"])
    assert workbook["Actions"].max_row == 21

    again = run_demo(tmp_path / "out")  # running it twice starts afresh
    assert json.loads(again.files["json"].read_text(encoding="utf-8"))["counts"] == report["counts"]
