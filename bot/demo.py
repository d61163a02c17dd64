"""`planbot demo`: a simulated quarter on the sample plan, then the committee report as files.

Owners reply to the Q3 2019/20 cycle through `record_update`, the service the Slack
handlers call, on the days they would have replied in January 2020; three do not reply.
The programme office then publishes (locks) the period and the report is written in every
format. No Slack and no network: a fresh SQLite database in the output folder.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.calendar import Cycle
from bot.domain.periods import Period
from bot.model.report import Digest, ReportAudience
from bot.model.updates import Source
from bot.planio import SAMPLE_PLAN, read_plan
from bot.render.report_chart import render_chart
from bot.render.report_docx import render_docx
from bot.render.report_html import render_html
from bot.render.report_json import render_json
from bot.render.report_markdown import render_markdown
from bot.render.report_pdf import render_pdf
from bot.render.report_xlsx import render_xlsx
from bot.services.context import RequestContext
from bot.services.digest import compile_digest
from bot.services.indicators import record_measure
from bot.services.plans import load_plan
from bot.services.publication import lock_period
from bot.services.updates import record_update
from storage.db import Database

PERIOD = Period(2019, 3)  # Q3 2019/20: October–December 2019
LONDON = ZoneInfo("Europe/London")
ADMIN = "U0PO00001"  # Priya Shah, the programme office
IMPORTED_AT = dt.datetime(2019, 10, 21, 9, 0, tzinfo=LONDON)
PUBLISHED_AT = dt.datetime(2020, 1, 30, 16, 45, tzinfo=LONDON)  # the publication deadline


@dataclass(frozen=True)
class Reply:
    """One update as an owner (or someone for them) sends it in the Q3 window."""

    ref: str
    actor: str  # Slack ID of who sends it
    when: dt.datetime
    status: str
    note: str
    revised: dt.date | None = None


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2020, 1, day, hour, minute, tzinfo=LONDON)


# The window opens on Thu 9 Jan 2020; the update deadline is Thu 23 Jan 2020.
REPLIES = (
    Reply(
        "ACT-2",
        "U0MD00001",
        _at(9, 10, 5),
        "complete",
        "Quarterly priority-setting meetings with both Chief Executives are now business as "
        "usual; the action is closed.",
    ),
    Reply(
        "ACT-3",
        "U0BS00002",
        _at(10, 14, 20),
        "amber",
        "Havering templates are live. Newham's templates are held up by the web platform "
        "migration; all partner-facing material will carry the new brand by the end of March.",
        dt.date(2020, 3, 31),
    ),
    Reply(
        "ACT-4",
        "U0BS00001",
        _at(13, 9, 40),
        "red",
        "The analyst post is still vacant after two rounds of advertising, so the borough "
        "usage data cannot be completed. Interim analyst starts 3 February; SLA review "
        "re-planned to finish in June.",
        dt.date(2020, 6, 30),
    ),
    Reply(
        "ACT-6",
        "U0BS00002",
        _at(13, 11, 0),
        "amber",
        "Second survey delayed.",  # superseded two days later: the latest update counts
        dt.date(2020, 3, 31),
    ),
    Reply(
        "ACT-6",
        "U0BS00002",
        _at(15, 16, 30),
        "green",
        "Second survey opened on 13 January; the first survey found 78% satisfied "
        "against the 80% target.",
    ),
    Reply(
        "ACT-7",
        "U0BS00001",
        _at(14, 8, 55),
        "green",
        "Exception reports now go to every directors' meeting for amber and red indicators.",
    ),
    Reply(
        "ACT-8",
        "U0LG00001",
        _at(16, 12, 10),
        "green",
        "Assessment visit on 28 January; the evidence portfolio is complete.",
    ),
    Reply(
        "ACT-9",
        "U0HR00002",
        _at(17, 15, 45),
        "complete",
        "Engagement sessions reached 420 staff; the culture programme is now part of the "
        "HR & OD business plan.",
    ),
    Reply(
        "ACT-12",
        "U0HR00002",
        _at(17, 15, 50),
        "amber",
        "Appraisal completion has reached 78% against the 90% target; directors are chasing "
        "their managers and the training plan is drafted.",
        dt.date(2020, 4, 30),
    ),
    Reply(
        "ACT-13",
        "U0FN00002",
        _at(20, 10, 30),
        "red",
        "The forecast shortfall has risen to £0.6m because the Exchequer restructure was "
        "deferred. A recovery plan goes to the Joint Committee in February.",
        dt.date(2020, 6, 30),
    ),
    Reply(
        "ACT-14",
        "U0FN00001",
        _at(20, 17, 5),
        "amber",
        "Recovery plan agreed with Newham: the overspend is down to £1.2m (<£1.5m tolerance) "
        "& falling as agency staff are replaced.",
    ),
    Reply(
        "ACT-15",
        "U0FN00002",
        _at(21, 9, 15),
        "complete",
        "Savings proposals were adopted in both partners' medium-term financial strategies.",
    ),
    Reply(
        "ACT-16",
        "U0MD00001",
        _at(21, 13, 0),
        "green",
        "Draft target operating model shared with both partners for comment.",
    ),
    Reply(
        "ACT-18",
        "U0IT00001",  # the ICT director, for Aisha Rahman who is on leave
        _at(22, 11, 20),
        "amber",
        "Contract award moved to February while legal review of the data-protection "
        "schedule finishes; go-live plan unaffected so far.",
        dt.date(2020, 5, 31),
    ),
    Reply(
        "ACT-19",
        "U0IT00002",
        _at(22, 16, 40),
        "green",
        "Automated account creation is live in every directorate; provisioning takes 3 "
        "working days on average.",
    ),
)
# ACT-1, ACT-5 and ACT-11 were completed in Q2 (carried forward); ACT-10, ACT-17 and ACT-20
# get no update: their owners do not reply.


@dataclass(frozen=True)
class Measure:
    """One indicator actual as its owner reports it in the Q3 window (`/update PI-2 23.4 ...`)."""

    ref: str
    actor: str
    when: dt.datetime
    value: str
    note: str = ""


MEASURES = (
    Measure("PI-1", "U0ET00001", _at(13, 10, 5), "95.8%", "Payment runs back to weekly."),
    Measure(
        "PI-2",
        "U0ET00001",
        _at(13, 10, 9),
        "23.4 days",
        "The universal credit backlog grew again in December; two agency assessors start in "
        "February.",
    ),
    Measure(
        "PI-3",
        "U0HR00002",
        _at(15, 14, 0),
        "2.1",
        "Seasonal illness; the wellbeing offer started in November.",
    ),
    Measure("PI-4", "U0IT00002", _at(16, 9, 30), "72.4%"),
    Measure(
        "PI-5",
        "U0LG00001",
        _at(17, 11, 45),
        "86.0%",
        "Daily triage is working; one officer back from leave.",
    ),
    Measure(
        "PI-6",
        "U0HR00001",
        _at(20, 15, 10),
        "£1,240k",
        "Two more interim posts filled permanently in December.",
    ),
    Measure(
        "PI-7",
        "U0FN00002",
        _at(21, 9, 20),
        "83.6",
        "Cumulative; 0.4 points behind profile, on course for the year-end target.",
    ),
)
# PI-8's owner does not report: it shows no data.


@dataclass(frozen=True)
class DemoResult:
    folder: Path
    database: Path
    files: dict[str, Path]  # format -> file
    digest: Digest
    replies: int
    silent: tuple[str, ...]  # "Name (ACT-10)" for each owner who did not reply


FORMATS = ("pdf", "docx", "xlsx", "html", "md", "json", "png")


def run_demo(out: Path, *, progress: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Build the demo database in `out`, simulate Q3 2019/20 and write the report files."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "planbot-demo.db"
    for leftover in out.glob("planbot-demo.db*"):
        leftover.unlink()
    folder = out / f"report-{PERIOD.key}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()

    db = Database(f"sqlite:///{database}")
    try:
        progress(f"Creating a fresh database at {database}")
        db.upgrade()
        plan_file = read_plan(SAMPLE_PLAN)
        load_plan(db=db, plan_file=plan_file, now=IMPORTED_AT)
        progress(
            f"Loaded the sample plan: {len(plan_file.actions)} actions with Q1 and Q2 "
            "2019/20 history"
        )
        published = RequestContext(db, Cycle(), PUBLISHED_AT, plan_key=plan_file.key, actor=ADMIN)
        for reply in REPLIES:
            record_update(
                replace(published, now=reply.when, actor=reply.actor),
                ref=reply.ref,
                status=reply.status,
                note=reply.note,
                revised_target_date=reply.revised,
                source=Source.DEMO,
            )
        for measure in MEASURES:
            record_measure(
                replace(published, now=measure.when, actor=measure.actor),
                ref=measure.ref,
                value=measure.value,
                note=measure.note,
                source=Source.DEMO,
            )
        progress(
            f"Simulated {len(REPLIES)} replies and {len(MEASURES)} indicator actuals to the "
            f"{PERIOD.label} cycle"
        )
        lock_period(published, period=PERIOD)
        digest, named = (
            compile_digest(published, period=PERIOD, audience=audience)
            for audience in (ReportAudience.COMMITTEE, ReportAudience.DRAFT)
        )
    finally:
        db.dispose()

    chart = render_chart(digest)
    stem = f"{digest.plan_key}-{digest.period_key}"
    contents: dict[str, bytes] = {
        "pdf": render_pdf(digest, chart_png=chart),
        "docx": render_docx(digest, chart_png=chart),
        "xlsx": render_xlsx(digest),
        "html": render_html(digest, chart_png=chart).encode("utf-8"),
        "md": render_markdown(digest).encode("utf-8"),
        "json": render_json(digest).encode("utf-8"),
        "png": chart,
    }
    files = {}
    for fmt in FORMATS:
        path = folder / f"{stem}.{fmt}"
        path.write_bytes(contents[fmt])
        files[fmt] = path
    silent = tuple(
        f"{group.owner} ({', '.join(group.refs)})" for group in named.missing if group.owner
    )
    return DemoResult(folder, database, files, digest, len(REPLIES), silent)
