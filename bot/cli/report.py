"""`planbot digest` (the committee report in any format) and `planbot demo` (the try-out)."""

from __future__ import annotations

import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import PlanOption, now, request, settings, user_errors

if TYPE_CHECKING:
    from bot.model.report import Digest


class ReportFormat(StrEnum):
    JSON = "json"
    MD = "md"
    HTML = "html"
    DOCX = "docx"
    XLSX = "xlsx"
    PNG = "png"
    PDF = "pdf"


BINARY = {ReportFormat.DOCX, ReportFormat.XLSX, ReportFormat.PNG, ReportFormat.PDF}


def digest(
    report_format: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="The output format.", case_sensitive=False),
    ],
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            "-p",
            help="2019-20-Q3, 'Q3 2019/20' or Q3. Default: the latest period with updates "
            "(never after the open period); with no updates at all, the open period.",
        ),
    ] = None,
    scope: Annotated[
        str,
        typer.Option("--scope", "-s", help="all, 'theme:<name>' or 'directorate:<name>'."),
    ] = "all",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write; default: standard output (text formats)."),
    ] = None,
    committee: Annotated[
        bool,
        typer.Option(
            "--committee",
            help="The committee version: no names in 'no update received' (drafts name owners).",
        ),
    ] = False,
    plan: PlanOption = None,
) -> None:
    """Compile the committee report for a period and scope, in one format."""
    from bot.domain.periods import parse_period
    from bot.model.report import ReportAudience, parse_scope
    from bot.services.digest import compile_digest
    from bot.services.digest_requests import default_period

    current = settings()
    with user_errors():
        ctx = request(current, plan, now())
        chosen = parse_period(period, today=ctx.local_today) if period else default_period(ctx)
        compiled = compile_digest(
            ctx,
            period=chosen,
            scope=parse_scope(scope),
            audience=ReportAudience.COMMITTEE if committee else ReportAudience.DRAFT,
        )
    content = render(compiled, report_format)
    if out is None:
        if report_format in BINARY:
            if sys.stdout.isatty():
                raise typer.BadParameter(
                    f"{report_format} is a binary format; give --out FILE.", param_hint="--out"
                )
            sys.stdout.buffer.write(content)
            return
        sys.stdout.write(content.decode("utf-8"))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    typer.echo(
        f"Wrote {compiled.title} ({compiled.scope.label.lower()}, {len(compiled.actions)} "
        f"actions) to {out}.",
        err=True,
    )


def render(compiled: Digest, report_format: ReportFormat) -> bytes:
    """The report in `report_format`, as bytes."""
    from bot.render.report_chart import render_chart
    from bot.render.report_docx import render_docx
    from bot.render.report_html import render_html
    from bot.render.report_json import render_json
    from bot.render.report_markdown import render_markdown
    from bot.render.report_pdf import render_pdf
    from bot.render.report_xlsx import render_xlsx

    match report_format:
        case ReportFormat.JSON:
            return render_json(compiled).encode("utf-8")
        case ReportFormat.MD:
            return render_markdown(compiled).encode("utf-8")
        case ReportFormat.HTML:
            return render_html(compiled).encode("utf-8")
        case ReportFormat.DOCX:
            return render_docx(compiled)
        case ReportFormat.XLSX:
            return render_xlsx(compiled)
        case ReportFormat.PNG:
            return render_chart(compiled)
        case ReportFormat.PDF:
            return render_pdf(compiled)


def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the demo database and the report.")
    ] = Path("planbot-demo"),
) -> None:
    """Try planbot without Slack: simulate a quarter on the sample plan and write the report."""
    from bot.demo import run_demo
    from bot.domain.dates import short_date

    started = time.monotonic()
    with user_errors():
        result = run_demo(out, progress=lambda line: typer.echo(f"- {line}"))
    compiled = result.digest
    counts = ", ".join(
        f"{compiled.counts[k]} {compiled.label(k).lower()}"
        for k in compiled.status_keys
        if compiled.counts[k]
    )
    typer.echo("")
    typer.echo(f"{compiled.title}")
    typer.echo(f"  {compiled.total} actions: {counts}.")
    typer.echo(
        f"  Exceptions: {', '.join(a.ref for a in compiled.exceptions) or 'none'}; "
        f"completed this quarter: "
        f"{', '.join(a.ref for a in compiled.completed_this_period) or 'none'}."
    )
    if result.silent:
        typer.echo(f"  No update from: {'; '.join(result.silent)}.")
    typer.echo(
        f"  Published and locked {short_date(compiled.published_at)} by {compiled.published_by}."
    )
    typer.echo("")
    typer.echo(f"The report is in {result.folder.resolve()}:")
    width = max(len(p.name) for p in result.files.values())
    for fmt, path in result.files.items():
        typer.echo(f"  {path.name:<{width}}  {DESCRIPTIONS[fmt]}")
    typer.echo("")
    typer.echo(
        f"Database: {result.database.resolve()} (done in {time.monotonic() - started:.1f} s). "
        f"Try: DATABASE_URL=sqlite:///{result.database.resolve()} planbot digest --format md"
    )


DESCRIPTIONS = {
    "pdf": "PDF: the committee appendix, tagged for accessibility (PDF/UA-1)",
    "docx": "Word: the committee appendix",
    "xlsx": "Excel: a filterable sheet per section",
    "html": "HTML: one self-contained page",
    "md": "Markdown: for a wiki or an e-mail",
    "json": "JSON: the compiled data (docs/digest-json.md)",
    "png": "Chart: statuses by theme and the trend",
}


def register(app: typer.Typer) -> None:
    """Add `digest` and `demo` to `app`."""
    app.command("digest")(digest)
    app.command("demo")(demo)
