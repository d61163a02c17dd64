"""The committee report as a Block Kit summary, within Slack's limits at any plan size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.render.report_wording import day, direction_word, previous_word
from bot.services.digest import ActionLine, Digest, Flag

Block = dict[str, Any]

MAX_BLOCKS = 50  # Slack: blocks in one message
MAX_SECTION_CHARS = 3000  # Slack: text of a section block
MAX_HEADER_CHARS = 150  # Slack: plain text of a header block
MAX_CONTEXT_CHARS = 2000  # kept well under Slack's context element limit
EXCEPTION_BLOCKS = 12  # exceptions shown one by one; the rest are listed by ref
NOTE_CHARS = 280  # a note is cut to this in the summary; the files hold it in full


def escape(text: str) -> str:
    """Text a person typed, made inert in mrkdwn: no mentions, links or formatting tricks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fit(lines: Sequence[str], *, limit: int = MAX_SECTION_CHARS, unit: str = "more") -> str:
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


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION_CHARS)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, 2000)}]}


def _emoji(digest: Digest, key: str | None) -> str:
    return digest.status(key or "no_update").emoji


def _status(digest: Digest, key: str | None) -> str:
    return f"{_emoji(digest, key)} {escape(digest.label(key))}"


def summary_text(digest: Digest) -> str:
    """The notification text (and the fallback where blocks are not shown)."""
    parts = [
        f"{digest.counts[k]} {digest.label(k).lower()}"
        for k in digest.status_keys
        if digest.counts[k]
    ]
    # The scope names a directorate or theme from the plan file: escaped like anything typed.
    return _cut(
        f"{'Draft ' if digest.is_draft else ''}progress report, {escape(digest.period_label)}, "
        f"{escape(digest.scope.label.lower())}: {digest.total} actions — {', '.join(parts)}.",
        3000,
    )


def _exception(digest: Digest, a: ActionLine) -> Block:
    lines = [
        f"*{escape(a.ref)}* {escape(_cut(a.title, 200))}",
        f"{_status(digest, a.status)} · {escape(direction_word(a.direction))} "
        f"(was {escape(previous_word(digest, a))}) · {escape(a.directorate)}",
    ]
    if a.revised_target_date:
        lines.append(f"Revised target: {day(a.revised_target_date)}")
    if a.note:
        lines.append(f"> {escape(_cut(' '.join(a.note.split()), NOTE_CHARS))}")
    if a.amendment is not None:
        lines.append(f"_Amended after publication: {escape(_cut(a.amendment.reason, 200))}_")
    return _section("\n".join(lines))


def render_blocks(digest: Digest, *, files_note: str = "") -> list[Block]:
    """At most 50 blocks; every section under 3000 characters; typed text escaped."""
    previous = digest.previous_period_key
    title = f"{'Draft: ' if digest.is_draft else ''}Progress report {digest.period_label}"
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, MAX_HEADER_CHARS)}},
        _context(
            f"{escape(digest.plan_name)} · {escape(digest.scope.label)} · "
            f"{digest.total} actions · "
            + (
                "draft, not yet published"
                if digest.is_draft
                else f"published {day(digest.published_at)}"
            )
        ),
    ]
    counts = [
        f"{_status(digest, k)}: *{digest.counts[k]}* ({digest.previous_counts[k]} in {previous})"
        for k in digest.status_keys
        if digest.counts[k] or digest.previous_counts[k]
    ]
    blocks.append(_section("*Summary*\n" + "\n".join(counts)))
    keys = [k for k in digest.status_keys if digest.counts[k]]
    themes = [
        f"*{escape(g.name)}*: "
        + ", ".join(f"{_emoji(digest, k)} {g.counts[k]}" for k in keys if g.counts[k])
        for g in digest.by_theme
    ]
    if themes:
        blocks.append(_section("*By theme*\n" + _fit(themes, limit=2900, unit="more themes")))
    blocks.append({"type": "divider"})

    exceptions = digest.exceptions
    blocks.append(_section(f"*Exceptions: off track and at risk ({len(exceptions)})*"))
    if not exceptions:
        blocks.append(_context("None this period."))
    blocks += [_exception(digest, a) for a in exceptions[:EXCEPTION_BLOCKS]]
    if len(exceptions) > EXCEPTION_BLOCKS:
        rest = exceptions[EXCEPTION_BLOCKS:]
        blocks.append(
            _section(
                f"…and {len(rest)} more: "
                + _fit([escape(a.ref) for a in rest], limit=2800, unit="more").replace("\n", ", ")
            )
        )
    blocks.append({"type": "divider"})

    completed = digest.completed_this_period
    if completed:
        lines = [f"*{escape(a.ref)}* {escape(_cut(a.title, 150))}" for a in completed]
        blocks.append(
            _section(
                f"*Completed this period ({len(completed)})*\n"
                + _fit(lines, limit=2900, unit="more completed")
            )
        )
    flagged = []
    for flag, words in (
        (Flag.SLIPPED, "Target date revised"),
        (Flag.GREEN_BUT_OVERDUE, "On track but past target"),
        (Flag.NEW, "First report"),
    ):
        refs = [escape(a.ref) for a in digest.flagged(flag)]
        if refs:
            shown = ", ".join(refs[:40]) + (f" and {len(refs) - 40} more" if len(refs) > 40 else "")
            flagged.append(f"*{words}* ({len(refs)}): {shown}")
    if flagged:
        blocks.append(_section("\n".join(flagged)))

    amended = [a for a in digest.amended if a.amendment is not None]
    if amended:
        lines = [
            f"*{escape(a.ref)}* {_status(digest, a.status)}: "
            f"_{escape(_cut(a.amendment.reason, 300))}_ ({escape(a.amendment.by)}, "
            f"{day(a.amendment.at)})"
            for a in amended
            if a.amendment is not None
        ]
        blocks.append(
            _section(
                f"*Amended after publication ({len(amended)})*\n"
                + _fit(lines, limit=2900, unit="more amendments")
            )
        )
    missing = digest.no_update
    if missing:
        if any(g.owner for g in digest.missing):
            lines = [
                f"• {escape(g.owner or '')} ({escape(g.directorate)}): "
                + ", ".join(escape(r) for r in g.refs)
                for g in digest.missing
            ]
        else:
            lines = [
                f"• {escape(g.directorate)}: {len(g.refs)} action{'s' if len(g.refs) != 1 else ''}"
                for g in digest.missing
            ]
        blocks.append(
            _section(
                f"*No update received ({len(missing)})*\n" + _fit(lines, limit=2900, unit="more")
            )
        )
    else:
        blocks.append(_section("*No update received*: none, every action has an update."))
    if files_note:
        blocks.append(_context(escape(files_note)))
    return blocks[:MAX_BLOCKS]
