"""The committee report as one self-contained, accessible HTML page (no external assets)."""

from __future__ import annotations

import base64
from html import escape as _escape

from bot.domain.dates import short_date
from bot.domain.indicators import Rag
from bot.model.report import Digest, Flag, ReportLine
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
    direction_word,
    exceptions_words,
    flagged_lists,
    heading,
    previous_word,
    publication_note,
    status_word,
    target_dates,
)

_CSS = """
body{font-family:Arial,Helvetica,sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;
color:#1a1a1a;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:2px solid #444}
h3{font-size:1.05rem;margin-bottom:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
caption{text-align:left;font-weight:bold;padding:.3rem 0}
th,td{border:1px solid #777;padding:.3rem .45rem;vertical-align:top;text-align:left}
thead th{background:#e8e8e8}
td.num{text-align:right}
.status{font-weight:bold;white-space:nowrap}
.note{white-space:pre-wrap}
.draft{border:3px solid #b00;padding:.5rem;color:#b00;font-weight:bold}
.published{border:2px solid #1565C0;padding:.5rem}
.amended{font-style:italic}
.ref{white-space:nowrap}
figure{margin:1rem 0}img{max-width:100%;height:auto}
@media print{body{max-width:none}h2{page-break-after:avoid}tr{page-break-inside:avoid}}
"""


def _e(text: str) -> str:
    return _escape(text, quote=True)


def _text_colour(fill: str) -> str:
    red, green, blue = (int(fill[i : i + 2], 16) for i in (0, 2, 4))
    return "#000000" if (0.299 * red + 0.587 * green + 0.114 * blue) > 150 else "#ffffff"


def _status_cell(digest: Digest, key: str | None) -> str:
    info = digest.status(key or "no_update")
    style = f"background:#{info.colour};color:{_text_colour(info.colour)}"
    return f'<td class="status status-{_e(info.key)}" style="{style}">{_e(info.label)}</td>'


def _table(caption: str, header: list[str], rows: list[str], *, row_headers: bool = False) -> str:
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in header)
    return (
        f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _num(value: int) -> str:
    return f'<td class="num">{value}</td>'


def _action_row(digest: Digest, a: ReportLine) -> str:
    note = commentary(a)
    note_class = "note amended" if a.has(Flag.AMENDED) else "note"
    return (
        f'<tr><th scope="row">{_e(a.ref)}</th><td>{_e(a.title)}</td><td>{_e(a.theme)}</td>'
        f"<td>{_e(a.owner)}<br>{_e(a.directorate)}</td>"
        f"<td>{_e(short_date(a.target_date))}</td><td>{_e(short_date(a.revised_target_date))}</td>"
        f"{_status_cell(digest, a.status)}"
        f"<td>{_e(previous_word(digest, a))}</td><td>{_e(direction_word(a.direction))}</td>"
        f'<td class="{note_class}">{_e(note)}</td></tr>'
    )


def render_html(digest: Digest, *, chart_png: bytes | None = None, with_chart: bool = True) -> str:
    """The whole report as an HTML document; every piece of text is escaped."""
    keys = digest.status_keys
    previous = digest.previous_period_key
    banner_class = "draft" if digest.is_draft else "published"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(digest.title)}</title><style>{_CSS}</style></head><body>",
        "<header>",
        f"<h1>{_e(digest.title)}</h1>",
        f"<p>{_e(heading(digest))}</p>",
        f'<p class="{banner_class}" role="note">{_e(publication_note(digest))}</p>',
        "</header><main>",
        '<section aria-labelledby="summary"><h2 id="summary">Summary</h2>',
    ]
    rows = [
        f'<tr><th scope="row">{_e(digest.label(k))}</th>'
        f"{_num(digest.counts[k])}{_num(digest.previous_counts[k])}</tr>"
        for k in keys
    ]
    rows.append(
        f'<tr><th scope="row">Total</th>{_num(digest.total)}'
        f"{_num(sum(digest.previous_counts.values()))}</tr>"
    )
    parts.append(_table("Actions by status", ["Status", digest.period_key, previous], rows))
    theme_rows = [
        f'<tr><th scope="row">{_e(g.name)}</th>'
        + "".join(
            f'<td class="num">{g.counts[k]} <span class="prev">({g.previous_counts[k]})</span></td>'
            for k in keys
        )
        + f"{_num(g.total)}</tr>"
        for g in digest.by_theme
    ]
    parts.append(
        _table(
            f"Actions by theme and status: {digest.period_key} ({previous} in brackets)",
            ["Theme", *(digest.label(k) for k in keys), "Total"],
            theme_rows,
        )
    )
    if with_chart:
        png = chart_png if chart_png is not None else render_chart(digest)
        data = base64.b64encode(png).decode("ascii")
        caption = (
            f"Chart: statuses by theme for {digest.period_key}, and the number of actions in "
            f"each status over the last {len(digest.trend)} quarters. The same figures are in "
            "the tables."
        )
        parts.append(
            f'<figure><img src="data:image/png;base64,{data}" '
            f'alt="{_e(chart_description(digest))}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>"
        )
    parts.append("</section>")

    parts.append(
        '<section aria-labelledby="exceptions"><h2 id="exceptions">'
        f"Exceptions: {_e(exceptions_words(digest))}</h2>"
    )
    if not digest.exceptions:
        parts.append("<p>None this period.</p>")
    for a in digest.exceptions:
        parts.append(
            f"<article><h3>{_e(a.ref)} {_e(a.title)}</h3><dl>"
            f"<dt>Status</dt><dd>{_e(status_word(digest, a.status))} (previously "
            f"{_e(previous_word(digest, a))}; {_e(direction_word(a.direction))})</dd>"
            f"<dt>Lead</dt><dd>{_e(a.owner)}, {_e(a.directorate)}</dd>"
            f"<dt>Target date</dt><dd>{_e(target_dates(a))}</dd>"
            f'<dt>Commentary</dt><dd class="note">{_e(commentary(a))}</dd></dl></article>'
        )
    parts.append("</section>")

    parts.append(
        '<section aria-labelledby="completed"><h2 id="completed">Completed this period</h2>'
    )
    completed = digest.completed_this_period
    if completed:
        parts.append(
            _table(
                "Actions completed this period",
                ["Ref", "Action", "Directorate", "Commentary"],
                [
                    f'<tr><th scope="row">{_e(a.ref)}</th><td>{_e(a.title)}</td>'
                    f'<td>{_e(a.directorate)}</td><td class="note">{_e(a.note)}</td></tr>'
                    for a in completed
                ],
            )
        )
    else:
        parts.append("<p>None this period.</p>")
    parts.append("<ul>")
    for flag, title in flagged_lists(digest):
        refs = ", ".join(a.ref for a in digest.flagged(flag)) or "none"
        parts.append(f"<li>{_e(title)}: {_e(refs)}</li>")
    parts.append("</ul></section>")

    parts.append('<section aria-labelledby="missing"><h2 id="missing">No update received</h2>')
    if digest.missing:
        parts.append("<ul>")
        for group in digest.missing:
            who = f"{group.owner} ({group.directorate})" if group.owner else group.directorate
            parts.append(f"<li>{_e(who)}: {_e(', '.join(group.refs))}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p>Every action in scope has an update for this period.</p>")
    parts.append("</section>")

    parts.append('<section aria-labelledby="all"><h2 id="all">All actions</h2>')
    parts.append(
        _table(
            f"Every action: status for {digest.period_key} against {previous}",
            ["Ref", "Action", "Theme", "Lead", *PROGRESS_COLUMNS],
            [_action_row(digest, a) for a in digest.actions],
        )
    )
    parts.append("</section>")
    parts += _indicators(digest, with_chart=with_chart)
    parts.append("</main>")
    parts.append(
        f"<footer><p>Compiled by planbot on {_e(short_date(digest.generated_at))} from the updates "
        f"recorded for {_e(digest.period_key)}.</p></footer></body></html>"
    )
    return "\n".join(parts) + "\n"


def _rag_cell(status: Rag) -> str:
    style = f"background:#{RAG_COLOURS[status]};color:#{rag_ink(status)}"
    return f'<td class="status rag-{_e(status.value)}" style="{style}">{_e(rag_word(status))}</td>'


def _indicators(digest: Digest, *, with_chart: bool) -> list[str]:
    """The indicators section: counts by RAG, red and amber with commentary and their chart,
    every indicator's line. None for a plan without indicators."""
    if not digest.indicators:
        return []
    parts = [
        f'<section aria-labelledby="indicators"><h2 id="indicators">{INDICATORS_HEADING}</h2>',
        _table(
            "Indicators by RAG status",
            ["RAG status", "Indicators"],
            [
                f'<tr><th scope="row">{_e(rag_word(rag))}</th>{_num(n)}</tr>'
                for rag, n in rag_counts(digest).items()
            ]
            + [f'<tr><th scope="row">Total</th>{_num(len(digest.indicators))}</tr>'],
        ),
        '<h3 id="indicator-exceptions">Red and amber indicators</h3>',
    ]
    exceptions = indicator_exceptions(digest)
    if not exceptions:
        parts.append("<p>No indicator is red or amber this period.</p>")
    for line in exceptions:
        parts.append(
            f"<article><h4>{_e(line.ref)} {_e(line.title)}</h4><dl>"
            f"<dt>RAG</dt><dd>{_e(rag_word(line.status))}: {_e(actual_word(line))} against a "
            f"target of {_e(target_word(line))} ({_e(polarity_word(line))})</dd>"
            f"<dt>Trend</dt><dd>{_e(trends_sentence(line))}</dd>"
            f"<dt>Lead</dt><dd>{_e(line.owner)}, {_e(line.directorate)}</dd>"
            f'<dt>Commentary</dt><dd class="note">{_e(line.note or "None given.")}</dd></dl>'
            "</article>"
        )
    png = render_indicator_chart(digest) if with_chart else None
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure><img src="data:image/png;base64,{data}" '
            f'alt="{_e(indicator_chart_description(digest))}">'
            "<figcaption>Chart: each red and amber indicator's last quarters against its "
            "target. The same figures are in the indicators table.</figcaption></figure>"
        )
    rows = []
    for line in digest.indicators:
        cells = indicator_row(line)
        rows.append(
            f'<tr><th scope="row" class="ref">{_e(cells[0])}</th><td>{_e(cells[1])}</td>'
            f'<td class="num">{_e(cells[2])}</td><td class="num">{_e(cells[3])}</td>'
            f"{_rag_cell(line.status)}<td>{_e(cells[5])}</td><td>{_e(cells[6])}</td>"
            f'<td class="note">{_e(cells[7])}</td></tr>'
        )
    parts.append(
        _table(
            f"Every indicator: {digest.period_key} against target",
            list(INDICATOR_COLUMNS),
            rows,
        )
    )
    parts.append("</section>")
    return parts
