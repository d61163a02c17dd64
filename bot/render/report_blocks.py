"""The committee report as a Block Kit summary, within Slack's limits at any plan size.

Slack's limits, escaping and shortening text are the Block Kit module's (`bot.render.blockkit`).
The summary is laid out at the most detail that fits one message (50 blocks, and the block
text budget that `chat.postMessage` refuses beyond): with a big plan, fewer exceptions are
shown one by one and lists are shortened, always ending with how many more there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.dates import short_date
from bot.model.report import Digest, Flag, ReportLine
from bot.render.blockkit import (
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    Block,
    context,
    divider,
    escape_mrkdwn,
    escaped_line,
    header,
    section,
    shorten,
    shorten_mrkdwn,
)
from bot.render.fitting import MESSAGE_ROOM
from bot.render.report_indicators import (
    INDICATORS_HEADING,
    RAG_EMOJI,
    RAG_NAMES,
    actual_word,
    indicator_exceptions,
    rag_counts,
    target_word,
    trend_word,
)
from bot.render.report_wording import (
    direction_word,
    exceptions_words,
    past_target_words,
    previous_word,
)

EXCEPTION_BLOCKS = 12  # at most this many exceptions are shown one by one; the rest by ref


@dataclass(frozen=True)
class _Detail:
    """How much of the report one rendering shows."""

    exceptions: int = EXCEPTION_BLOCKS  # shown one by one
    note_chars: int = 280  # a note is cut to this; the files hold it in full
    title_chars: int = 200
    list_chars: int = 2900  # a list section (themes, completed, no update...)
    refs: int = 40  # refs listed per flag


# From the most detail to the least: the first that fits one message is sent.
_DETAILS = (
    _Detail(),
    _Detail(exceptions=10, note_chars=240, title_chars=180, list_chars=2500),
    _Detail(exceptions=8, note_chars=200, title_chars=150, list_chars=2000),
    _Detail(exceptions=6, note_chars=160, title_chars=120, list_chars=1600, refs=30),
    _Detail(exceptions=5, note_chars=120, title_chars=100, list_chars=1200, refs=30),
    _Detail(exceptions=4, note_chars=90, title_chars=90, list_chars=900, refs=20),
    _Detail(exceptions=3, note_chars=60, title_chars=80, list_chars=700, refs=20),
    _Detail(exceptions=0, note_chars=0, title_chars=60, list_chars=400, refs=10),
)


def _fit(lines: Sequence[str], *, limit: int = MAX_SECTION_TEXT, unit: str = "more") -> str:
    """Join as many lines as fit in `limit` characters, then `…and N more`."""
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        remaining = len(lines) - index
        tail = f"\n…and {remaining} {unit}"
        if size + len(line) + 1 + (len(tail) if remaining > 1 else 0) > limit:
            kept.append(tail.strip())
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def _emoji(digest: Digest, key: str | None) -> str:
    return digest.status(key or "no_update").emoji


def _status(digest: Digest, key: str | None) -> str:
    return f"{_emoji(digest, key)} {escape_mrkdwn(digest.label(key))}"


def summary_text(digest: Digest) -> str:
    """The notification text (and the fallback where blocks are not shown)."""
    parts = [
        f"{digest.counts[k]} {digest.label(k).lower()}"
        for k in digest.status_keys
        if digest.counts[k]
    ]
    # The scope names a directorate or theme from the plan file: escaped like anything typed.
    return shorten_mrkdwn(
        f"{'Draft ' if digest.is_draft else ''}progress report, "
        f"{escape_mrkdwn(digest.period_label)}, {escape_mrkdwn(digest.scope.label.lower())}: "
        f"{digest.total} actions — {', '.join(parts)}.",
        MAX_FALLBACK_TEXT,
    )


def _exception(digest: Digest, a: ReportLine, detail: _Detail) -> Block:
    lines = [
        f"*{escape_mrkdwn(a.ref)}* {escape_mrkdwn(shorten(a.title, detail.title_chars))}",
        f"{_status(digest, a.status)} · {escape_mrkdwn(direction_word(a.direction))} "
        f"(was {escape_mrkdwn(previous_word(digest, a))}) · {escape_mrkdwn(a.directorate)}",
    ]
    if a.revised_target_date:
        lines.append(f"Revised target: {short_date(a.revised_target_date)}")
    if a.note and detail.note_chars:
        lines.append(f"> {escaped_line(a.note, detail.note_chars)}")
    if a.amendment is not None:
        lines.append(
            f"_Amended after publication: {escape_mrkdwn(shorten(a.amendment.reason, 200))}_"
        )
    return section("\n".join(lines))


def render_blocks(digest: Digest, *, files_note: str = "") -> list[Block]:
    """The summary within one message: 50 blocks, 3000 characters a section, and the block
    text budget of `chat.postMessage`; typed text escaped; every count whole."""
    for detail in _DETAILS:
        blocks = _render(digest, files_note, detail)
        if MESSAGE_ROOM.holds(blocks):
            return blocks
    return blocks


def _render(digest: Digest, files_note: str, detail: _Detail) -> list[Block]:
    previous = digest.previous_period_key
    title = f"{'Draft: ' if digest.is_draft else ''}Progress report {digest.period_label}"
    blocks: list[Block] = [
        header(title),
        context(
            f"{escape_mrkdwn(digest.plan_name)} · {escape_mrkdwn(digest.scope.label)} · "
            f"{digest.total} actions · "
            + (
                "draft, not yet published"
                if digest.is_draft
                else f"published {short_date(digest.published_at)}"
            )
        ),
    ]
    counts = [
        f"{_status(digest, k)}: *{digest.counts[k]}* ({digest.previous_counts[k]} in {previous})"
        for k in digest.status_keys
        if digest.counts[k] or digest.previous_counts[k]
    ]
    blocks.append(section("*Summary*\n" + "\n".join(counts)))
    keys = [k for k in digest.status_keys if digest.counts[k]]
    themes = [
        f"*{escape_mrkdwn(g.name)}*: "
        + ", ".join(f"{_emoji(digest, k)} {g.counts[k]}" for k in keys if g.counts[k])
        for g in digest.by_theme
    ]
    if themes:
        blocks.append(
            section("*By theme*\n" + _fit(themes, limit=detail.list_chars, unit="more themes"))
        )
    blocks.append(divider())

    exceptions = digest.exceptions
    words = escape_mrkdwn(exceptions_words(digest))
    blocks.append(section(f"*Exceptions: {words} ({len(exceptions)})*"))
    if not exceptions:
        blocks.append(context("None this period."))
    blocks += [_exception(digest, a, detail) for a in exceptions[: detail.exceptions]]
    if len(exceptions) > detail.exceptions:
        rest = exceptions[detail.exceptions :]
        shown = _fit([escape_mrkdwn(a.ref) for a in rest], limit=detail.list_chars, unit="more")
        lead = f"…and {len(rest)} more" if detail.exceptions else words[:1].upper() + words[1:]
        blocks.append(section(f"{lead}: " + shown.replace("\n", ", ")))
    blocks.append(divider())

    completed = digest.completed_this_period
    if completed:
        lines = [
            f"*{escape_mrkdwn(a.ref)}* "
            f"{escape_mrkdwn(shorten(a.title, min(150, detail.title_chars)))}"
            for a in completed
        ]
        blocks.append(
            section(
                f"*Completed this period ({len(completed)})*\n"
                + _fit(lines, limit=detail.list_chars, unit="more completed")
            )
        )
    flagged = []
    for flag, words in (
        (Flag.SLIPPED, "Target date revised"),
        (Flag.GREEN_BUT_OVERDUE, escape_mrkdwn(past_target_words(digest, short=True))),
        (Flag.NEW, "First report"),
    ):
        refs = [escape_mrkdwn(a.ref) for a in digest.flagged(flag)]
        if refs:
            shown = ", ".join(refs[: detail.refs])
            if len(refs) > detail.refs:
                shown += f" and {len(refs) - detail.refs} more"
            flagged.append(f"*{words}* ({len(refs)}): {shown}")
    if flagged:
        blocks.append(section("\n".join(flagged)))

    amended = [a for a in digest.amended if a.amendment is not None]
    if amended:
        lines = [
            f"*{escape_mrkdwn(a.ref)}* {_status(digest, a.status)}: "
            f"_{escape_mrkdwn(shorten(a.amendment.reason, 300))}_ "
            f"({escape_mrkdwn(a.amendment.by)}, {short_date(a.amendment.at)})"
            for a in amended
            if a.amendment is not None
        ]
        blocks.append(
            section(
                f"*Amended after publication ({len(amended)})*\n"
                + _fit(lines, limit=detail.list_chars, unit="more amendments")
            )
        )
    missing = digest.no_update
    if missing:
        named = any(g.owner for g in digest.missing)
        if named:
            lines = [
                f"• {escape_mrkdwn(g.owner or '')} ({escape_mrkdwn(g.directorate)}): "
                + ", ".join(escape_mrkdwn(r) for r in g.refs)
                for g in digest.missing
            ]
        else:
            lines = [
                f"• {escape_mrkdwn(g.directorate)}: "
                f"{len(g.refs)} action{'s' if len(g.refs) != 1 else ''}"
                for g in digest.missing
            ]
        blocks.append(
            section(
                f"*No update received ({len(missing)})*\n"
                + _fit(
                    lines,
                    limit=detail.list_chars,
                    unit="more owners" if named else "more directorates",
                )
            )
        )
    else:
        blocks.append(section("*No update received*: none, every action has an update."))
    blocks += _indicators(digest, detail)
    if files_note:
        blocks.append(context(escape_mrkdwn(files_note)))
    return blocks


def _indicators(digest: Digest, detail: _Detail) -> list[Block]:
    """Counts by RAG and the red and amber indicators, one line each with a short note; the
    full table is in the files. Nothing for a plan without indicators."""
    if not digest.indicators:
        return []
    counts = ", ".join(
        f"{RAG_EMOJI[rag]} {escape_mrkdwn(RAG_NAMES[rag].lower())} *{n}*"
        for rag, n in rag_counts(digest).items()
        if n
    )
    lines = []
    for line in indicator_exceptions(digest):
        text = (
            f"{RAG_EMOJI[line.status]} *{escape_mrkdwn(line.ref)}* "
            f"{escape_mrkdwn(shorten(line.title, min(100, detail.title_chars)))}: "
            f"{escape_mrkdwn(actual_word(line))} (target {escape_mrkdwn(target_word(line))}) · "
            f"{escape_mrkdwn(trend_word(line.short_trend))}"
        )
        if line.note and detail.note_chars:
            text += f"\n> {escaped_line(line.note, detail.note_chars // 2)}"
        lines.append(text)
    body = f"*{INDICATORS_HEADING} ({len(digest.indicators)})*\n{counts}"
    if lines:
        body += "\n" + _fit(
            lines, limit=detail.list_chars - len(body) - 1, unit="more red or amber"
        )
    return [divider(), section(body)]
