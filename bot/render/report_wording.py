"""The words every format of the committee report shares: directions, flags, headings.

(Dates are written by `bot.domain.dates`.)
"""

from __future__ import annotations

from bot.domain.dates import NOT_APPLICABLE, long_date, short_date, utc_date_time
from bot.model.report import Digest, Flag, ReportLine

DIRECTION_WORDS = {
    "improved": "Improved",
    "same": "No change",
    "worse": "Worse",
    "new": "New",
}
DIRECTION_ARROWS = {"improved": "▲", "same": "▶", "worse": "▼", "new": "★"}
FLAG_WORDS: dict[str, str] = {
    Flag.NO_UPDATE: "No update received",
    Flag.SLIPPED: "Target date revised",
    Flag.COMPLETED_THIS_PERIOD: "Completed this period",
    Flag.CARRIED_FORWARD: "Completed earlier",
    Flag.NEW: "First report",
    Flag.AMENDED: "Amended after publication",
}
# Words that make a status label read as a state after "actions" ("actions off track", "at
# risk", "on hold", "not started"); a label that names the status instead ("Major delay")
# is written "actions reported as Major delay".
_STATE_WORDS = {"off", "on", "at", "in", "behind", "ahead", "not", "past", "over", "under"}


def past_target_words(digest: Digest, *, short: bool = False) -> str:
    """`On track but past target date`: the plan's on-track status, past its target date."""
    return f"{digest.on_track_label} but past {'target' if short else 'target date'}"


def flagged_lists(digest: Digest) -> tuple[tuple[Flag, str], ...]:
    """The flags the report lists by ref under its completed actions, each with its heading:
    the same words in every format."""
    return (
        (Flag.NEW, "First reported this period"),
        (Flag.SLIPPED, "Target date revised"),
        (Flag.GREEN_BUT_OVERDUE, f"{digest.on_track_label} but past the target date"),
    )


def exceptions_words(digest: Digest, conjunction: str = "and") -> str:
    """The statuses the exceptions are in, as a heading names them: `off track and at risk`."""
    labels = [s.label.lower() for s in digest.exception_statuses] or ["needing a note"]
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} {conjunction} {labels[-1]}"


def exceptions_state(digest: Digest) -> tuple[str, str]:
    """The appendix's exceptions heading and its sentence when there are none:
    (`actions off track or at risk`, `No action is off track or at risk this period.`)."""
    statuses = digest.exception_statuses
    if not statuses:
        return "actions whose status needs a note", "No status of this plan needs a note."
    if all(s.label.split()[0].lower() in _STATE_WORDS for s in statuses if s.label.split()):
        words = exceptions_words(digest, "or")
        return f"actions {words}", f"No action is {words} this period."
    labels = [s.label for s in statuses]
    named = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"
    return f"actions reported as {named}", f"No action is reported as {named} this period."


# The columns of an action's progress, in this order wherever a table shows every action
# (after the columns that say which action it is and who leads it).
PROGRESS_COLUMNS = (
    "Target date",
    "Revised target",
    "Status",
    "Previous",
    "Direction",
    "Commentary",
)


def target_dates(line: ReportLine) -> str:
    """`31 Mar 2020`, or `31 Mar 2020; revised 30 Jun 2020` when it has been moved."""
    if line.revised_target_date is None:
        return short_date(line.target_date)
    return f"{short_date(line.target_date)}; revised {short_date(line.revised_target_date)}"


def direction_word(direction: str | None) -> str:
    """`▲ Improved`; a dash where there is no direction (on hold, no update)."""
    if direction is None:
        return NOT_APPLICABLE
    return f"{DIRECTION_ARROWS.get(direction, '')} {DIRECTION_WORDS.get(direction, direction)}"


def status_word(digest: Digest, key: str | None) -> str:
    """The status as people read it (`On track`), or `No update received`."""
    return digest.label(key)


def previous_word(digest: Digest, line: ReportLine) -> str:
    return digest.label(line.previous_status) if line.previous_status else NOT_APPLICABLE


def flag_words(digest: Digest, line: ReportLine) -> list[str]:
    words: dict[str, str] = {**FLAG_WORDS, Flag.GREEN_BUT_OVERDUE: past_target_words(digest)}
    return [words[f] for f in line.flags if f in words]


def commentary(line: ReportLine) -> str:
    """The note as the committee reads it, with an amendment and who wrote it for whom."""
    parts = []
    if line.has(Flag.NO_UPDATE):
        parts.append("No update received.")
    elif line.note:
        parts.append(line.note)
    if line.amendment is not None:
        parts.append(
            f"[Amended after publication on {short_date(line.amendment.at)} "
            f"by {line.amendment.by}: {line.amendment.reason}]"
        )
    if line.signoff is not None:
        parts.append(f"[Sign-off: {line.signoff}]")
    return "\n".join(parts)


def heading(digest: Digest) -> str:
    """The subtitle: committee, meeting date and scope."""
    parts = []
    if digest.committee:
        parts.append(digest.committee)
    if digest.meeting_date:
        parts.append(f"meeting of {long_date(digest.meeting_date)}")
    parts.append(digest.scope.label)
    return " · ".join(parts)


def publication_note(digest: Digest) -> str:
    """`DRAFT ...` or `Published ...` with the number of amendments."""
    if digest.published_at is None:
        return (
            f"DRAFT for checking, compiled {utc_date_time(digest.generated_at)}; "
            "not yet published or locked."
        )
    note = f"Published {short_date(digest.published_at)}"
    if digest.published_by:
        note += f" by {digest.published_by}"
    amended = len(digest.amended)
    if amended:
        note += (
            f"; re-issued {short_date(digest.generated_at)} with {amended} "
            f"amendment{'s' if amended != 1 else ''} marked below"
        )
    note += "."
    if digest.published_anyway:
        note += (
            " Published before every update was signed off by its director, for this reason: "
            f"{digest.published_anyway}"
        )
    return note


def counts_cell(now: int, before: int) -> str:
    """`8 (9)`: this period, the previous one in brackets."""
    return f"{now} ({before})"


def _counted(digest: Digest, counts: dict[str, int]) -> str:
    """`6 complete, 5 on track and 3 no update received`: the statuses with any actions."""
    parts = [f"{counts[k]} {digest.label(k).lower()}" for k in digest.status_keys if counts.get(k)]
    if not parts:
        return "no actions"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def chart_description(digest: Digest) -> str:
    """The chart in words, for its alt text: what it shows and every number it shows."""
    quarters = len(digest.trend)
    sentences = [
        f"Chart in two parts. Left: the number of actions in each status for each theme in "
        f"{digest.period_label}. Right: the number of actions in each status in each of the "
        f"last {quarters} quarter{'s' if quarters != 1 else ''}.",
        f"This period, {digest.total} action{'s' if digest.total != 1 else ''}: "
        f"{_counted(digest, digest.counts)}.",
    ]
    sentences += [f"{g.name}: {_counted(digest, g.counts)}." for g in digest.by_theme]
    sentences += [f"{t.label}: {_counted(digest, t.counts)}." for t in digest.trend]
    sentences.append("The same figures are in the tables.")
    return " ".join(sentences)
