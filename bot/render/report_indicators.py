"""The words every format's indicators section shares: values by unit, RAG, trends, counts,
and the chart in words (its alt text)."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.indicators import RAG_LABELS, Polarity, Rag, Trend, format_value
from bot.model.indicators import IndicatorLine
from bot.model.report import Digest

# Fills for the RAG cells (the default scheme's green, amber and red), each with its word.
RAG_COLOURS = {
    Rag.GREEN: "2E7D32",
    Rag.AMBER: "F9A825",
    Rag.RED: "C62828",
    Rag.NO_DATA: "FFFFFF",
}
RAG_NAMES = {Rag.GREEN: "Green", Rag.AMBER: "Amber", Rag.RED: "Red", Rag.NO_DATA: "No data"}
# The same circles as the action statuses' (bot/domain/status.py): amber is yellow there too.
RAG_EMOJI = {
    Rag.GREEN: ":large_green_circle:",
    Rag.AMBER: ":large_yellow_circle:",
    Rag.RED: ":red_circle:",
    Rag.NO_DATA: ":white_circle:",
}
TREND_WORDS = {
    Trend.IMPROVED: "▲ Improved",
    Trend.SAME: "▶ Same",
    Trend.WORSE: "▼ Worse",
    Trend.NONE: "– No comparison",
}
INDICATOR_COLUMNS = (
    "Ref",
    "Indicator",
    "Target",
    "Actual",
    "RAG",
    "Short trend (on last quarter)",
    "Long trend (on a year before)",
    "Commentary",
)
INDICATORS_HEADING = "Performance indicators"


def value_word(line: IndicatorLine, value: Decimal | None) -> str:
    """A value in the indicator's unit and decimals (`96.4%`, `£1,310k`, `20.9 days`)."""
    return format_value(value, line.unit, line.decimals)


def target_word(line: IndicatorLine) -> str:
    return value_word(line, line.target) if line.target is not None else "no target"


def actual_word(line: IndicatorLine) -> str:
    """The actual, `n/a` when it will not come, `no data` when not yet reported."""
    return "n/a" if line.not_available else value_word(line, line.actual)


def rag_word(status: Rag) -> str:
    """`Red: off target`; `No data`."""
    if status is Rag.NO_DATA:
        return RAG_LABELS[status]
    return f"{RAG_NAMES[status]}: {RAG_LABELS[status].lower()}"


def rag_ink(status: Rag) -> str:
    """Black or white text, whichever reads on the RAG fill."""
    fill = RAG_COLOURS[status]
    red, green, blue = (int(fill[i : i + 2], 16) for i in (0, 2, 4))
    return "000000" if (0.299 * red + 0.587 * green + 0.114 * blue) > 150 else "FFFFFF"


def trend_word(trend: Trend) -> str:
    return TREND_WORDS[trend]


def polarity_word(line: IndicatorLine) -> str:
    return "higher is better" if line.polarity is Polarity.HIGHER else "lower is better"


def indicator_commentary(line: IndicatorLine) -> str:
    if line.note:
        return line.note
    if line.actual is None and not line.not_available:
        return "No figure reported yet."
    return ""


def indicator_row(line: IndicatorLine) -> list[str]:
    """A line's cells in `INDICATOR_COLUMNS` order."""
    return [
        line.ref,
        line.title,
        target_word(line),
        actual_word(line),
        rag_word(line.status),
        trend_word(line.short_trend),
        trend_word(line.long_trend),
        indicator_commentary(line),
    ]


def rag_counts(digest: Digest) -> dict[Rag, int]:
    """How many indicators are red, amber, green and without data, in that order."""
    counts = dict.fromkeys((Rag.RED, Rag.AMBER, Rag.GREEN, Rag.NO_DATA), 0)
    for line in digest.indicators:
        counts[line.status] += 1
    return counts


def rag_counts_sentence(digest: Digest) -> str:
    """`8 indicators: 1 red, 6 amber, 1 green, 0 with no data.`"""
    counts = rag_counts(digest)
    total = len(digest.indicators)
    parts = ", ".join(
        f"{n} {'with no data' if rag is Rag.NO_DATA else RAG_NAMES[rag].lower()}"
        for rag, n in counts.items()
    )
    return f"{total} indicator{'s' if total != 1 else ''}: {parts}."


def indicator_exceptions(digest: Digest) -> tuple[IndicatorLine, ...]:
    """The red indicators, then the amber ones, each in ref order."""
    order = {Rag.RED: 0, Rag.AMBER: 1}
    chosen = [line for line in digest.indicators if line.status in order]
    return tuple(sorted(chosen, key=lambda line: order[line.status]))


def trends_sentence(line: IndicatorLine) -> str:
    """`Against the previous quarter: ▼ Worse; against a year before: ▲ Improved.`"""
    return (
        f"Against the previous quarter: {trend_word(line.short_trend)}; "
        f"against a year before: {trend_word(line.long_trend)}."
    )


def indicator_chart_title(line: IndicatorLine) -> str:
    return f"{line.ref} {line.title}"


def indicator_chart_description(digest: Digest) -> str:
    """The indicator chart in words, for its alt text: every number it shows."""
    chosen = indicator_exceptions(digest)
    quarters = max((len(line.history) for line in chosen), default=0)
    sentences = [
        f"Charts of the {len(chosen)} red and amber indicator{'s' if len(chosen) != 1 else ''}, "
        f"one each: the actual in each of the last {quarters} quarters against the target."
    ]
    for line in chosen:
        points = "; ".join(
            f"{p.label} actual {value_word(line, p.actual)}, target "
            f"{value_word(line, p.target) if p.target is not None else 'none'}"
            for p in line.history
        )
        sentences.append(
            f"{line.ref} {line.title} ({RAG_NAMES[line.status].lower()}, "
            f"{polarity_word(line)}): {points}."
        )
    sentences.append("The same figures are in the indicators table.")
    return " ".join(sentences)
