"""The committee report as Markdown, for a wiki page or an e-mail."""

from __future__ import annotations

import re

from bot.domain.dates import short_date
from bot.model.report import Digest, ReportLine
from bot.render.report_indicators import (
    INDICATOR_COLUMNS,
    INDICATORS_HEADING,
    actual_word,
    indicator_exceptions,
    indicator_row,
    polarity_word,
    rag_counts_sentence,
    rag_word,
    target_word,
    trends_sentence,
)
from bot.render.report_wording import (
    commentary,
    counts_cell,
    direction_word,
    exceptions_words,
    flagged_lists,
    heading,
    past_target_words,
    previous_word,
    publication_note,
    status_word,
    target_dates,
)

# CommonMark treats these as markup; a backslash before any ASCII punctuation is literal.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")


def escape_markdown(text: str) -> str:
    """`text` as literal Markdown on one line: markup characters and entities neutralised."""
    text = _ENTITY.sub(r"\\&", _SPECIAL.sub(r"\\\1", text))
    text = re.sub(r"^([\s]*)([+\-=]|\d+\.)(\s)", r"\1\\\2\3", text)  # lists and headings
    return " ".join(text.split())


def _cell(text: str) -> str:
    """A table cell: escaped, line breaks as `<br>`."""
    return "<br>".join(escape_markdown(part) for part in text.splitlines() if part.strip()) or " "


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _line_ref(line: ReportLine) -> str:
    return f"**{escape_markdown(line.ref)}** {escape_markdown(line.title)}"


def render_markdown(digest: Digest) -> str:
    """The whole report: summary, exceptions, completed, flags, no update, every action."""
    previous = digest.previous_period_key
    out = [
        f"# {escape_markdown(digest.title)}",
        "",
        f"*{escape_markdown(heading(digest))}*",
        "",
        f"**{escape_markdown(publication_note(digest))}**",
        "",
        "## Summary",
        "",
    ]
    keys = digest.status_keys
    out += _table(
        ["Status", escape_markdown(digest.period_key), escape_markdown(previous)],
        [
            [
                escape_markdown(digest.label(k)),
                str(digest.counts[k]),
                str(digest.previous_counts[k]),
            ]
            for k in keys
        ]
        + [["**Total**", f"**{digest.total}**", f"**{sum(digest.previous_counts.values())}**"]],
    )
    out += [f"By theme: this period ({escape_markdown(previous)} in brackets).", ""]
    out += _table(
        ["Theme", *(escape_markdown(digest.label(k)) for k in keys), "Total"],
        [
            [
                escape_markdown(g.name),
                *(counts_cell(g.counts[k], g.previous_counts[k]) for k in keys),
                str(g.total),
            ]
            for g in digest.by_theme
        ],
    )

    out += [f"## Exceptions ({escape_markdown(exceptions_words(digest))})", ""]
    if not digest.exceptions:
        out += ["None this period.", ""]
    for line in digest.exceptions:
        out += [
            f"### {escape_markdown(line.ref)} {escape_markdown(line.title)}",
            "",
            f"- Status: **{escape_markdown(status_word(digest, line.status))}** "
            f"(previously {escape_markdown(previous_word(digest, line))}; "
            f"{escape_markdown(direction_word(line.direction))})",
            f"- Lead: {escape_markdown(line.owner)}, {escape_markdown(line.directorate)}",
            f"- Target date: {target_dates(line)}",
            "",
        ]
        out += [f"> {escape_markdown(part)}" for part in commentary(line).splitlines()] + [""]

    out += ["## Completed this period", ""]
    completed = digest.completed_this_period
    out += [f"- {_line_ref(a)}: {escape_markdown(a.note)}" for a in completed] or [
        "None this period."
    ]
    out += [""]

    out += [
        f"## New, slipped and {escape_markdown(past_target_words(digest, short=True).lower())}",
        "",
    ]
    for flag, title in flagged_lists(digest):
        lines = digest.flagged(flag)
        refs = ", ".join(escape_markdown(a.ref) for a in lines) or "none"
        out += [f"- {title}: {refs}"]
    out += [""]

    out += ["## No update received", ""]
    if not digest.missing:
        out += ["Every action in scope has an update for this period.", ""]
    for group in digest.missing:
        who = (
            f"{escape_markdown(group.owner)} ({escape_markdown(group.directorate)})"
            if group.owner
            else escape_markdown(group.directorate)
        )
        out += [f"- {who}: {', '.join(escape_markdown(r) for r in group.refs)}"]
    if digest.missing:
        out += [""]

    out += ["## All actions", ""]
    out += _table(
        [
            "Ref",
            "Action",
            "Theme",
            "Lead",
            "Target",
            "Revised",
            "Status",
            "Previous",
            "Direction",
            "Commentary",
        ],
        [
            [
                escape_markdown(a.ref),
                _cell(a.title),
                _cell(a.theme),
                _cell(f"{a.owner}, {a.directorate}"),
                short_date(a.target_date),
                short_date(a.revised_target_date),
                f"**{escape_markdown(status_word(digest, a.status))}**",
                escape_markdown(previous_word(digest, a)),
                escape_markdown(direction_word(a.direction)),
                _cell(commentary(a)),
            ]
            for a in digest.actions
        ],
    )
    out += _indicators(digest)
    return "\n".join(out).rstrip() + "\n"


def _indicators(digest: Digest) -> list[str]:
    """The indicators section: counts by RAG, red and amber with commentary, the table."""
    if not digest.indicators:
        return []
    out = [f"## {INDICATORS_HEADING}", "", escape_markdown(rag_counts_sentence(digest)), ""]
    out += ["### Red and amber indicators", ""]
    exceptions = indicator_exceptions(digest)
    if not exceptions:
        out += ["None this period.", ""]
    for line in exceptions:
        out += [
            f"- **{escape_markdown(line.ref)}** {escape_markdown(line.title)}: "
            f"**{escape_markdown(rag_word(line.status))}**, "
            f"{escape_markdown(actual_word(line))} against {escape_markdown(target_word(line))} "
            f"({escape_markdown(polarity_word(line))}). {escape_markdown(trends_sentence(line))}",
        ]
        if line.note:
            out += [f"  > {escape_markdown(line.note)}"]
    out += ["", "### Every indicator", ""]
    out += _table(
        list(INDICATOR_COLUMNS),
        [
            [
                f"**{_cell(cells[0])}**",
                *(_cell(c) for c in cells[1:4]),
                f"**{_cell(cells[4])}**",
                *(_cell(c) for c in cells[5:]),
            ]
            for cells in (indicator_row(line) for line in digest.indicators)
        ],
    )
    return out
