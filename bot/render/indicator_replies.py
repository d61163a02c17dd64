"""The private reply to `/update PI-7 96.4`: the value, the target, the RAG and both trends."""

from __future__ import annotations

from decimal import Decimal

from bot.domain.indicators import RAG_LABELS, TREND_LABELS, Rag, Trend, Unit, format_value
from bot.model.indicators import RecordedMeasure
from bot.render.blockkit import (
    Message,
    context,
    escape_mrkdwn,
    fields_section,
    quoted_sections,
    section,
)
from bot.render.report_indicators import RAG_EMOJI

TREND_EMOJI = {
    Trend.IMPROVED: ":arrow_up:",
    Trend.SAME: ":left_right_arrow:",
    Trend.WORSE: ":arrow_down:",
    Trend.NONE: ":heavy_minus_sign:",
}


def rag_badge(status: Rag) -> str:
    """`:large_green_circle: On target`: the RAG in words as well as colour."""
    return f"{RAG_EMOJI[status]} {RAG_LABELS[status]}"


def _value(value: Decimal | None, unit: Unit, decimals: int) -> str:
    return escape_mrkdwn(format_value(value, unit, decimals))


def _trend(direction: Trend, earlier: Decimal | None, label: str, unit: Unit, places: int) -> str:
    against = f"{_value(earlier, unit, places)} in {label}" if earlier is not None else ""
    if direction is Trend.NONE:
        against = against or f"no figure for {label}"
    words = f"{TREND_EMOJI[direction]} {TREND_LABELS[direction].capitalize()}"
    return f"{words} ({against})" if against else words


def render_measure_recorded(recorded: RecordedMeasure) -> Message:
    """What was recorded for an indicator, and how it stands against target and the past."""
    ref, title = escape_mrkdwn(recorded.ref), escape_mrkdwn(recorded.title)
    period = escape_mrkdwn(recorded.period_label)
    unit, places = recorded.unit, recorded.decimals
    value = "n/a (no figure)" if recorded.value is None else _value(recorded.value, unit, places)
    target = "none set" if recorded.target is None else _value(recorded.target, unit, places)
    lead = f":white_check_mark: *Recorded {ref} for {period}*"
    blocks = [
        section(f"{lead}\n*{ref}* {title}"),
        fields_section(
            f"*Actual*\n{value}",
            f"*Target*\n{target}",
            f"*RAG*\n{rag_badge(recorded.status)}",
            f"*Period*\n{period}",
            "*Against last quarter*\n"
            + _trend(
                recorded.short_trend,
                recorded.previous_value,
                recorded.previous_label,
                unit,
                places,
            ),
            "*Against a year before*\n"
            + _trend(
                recorded.long_trend,
                recorded.year_ago_value,
                recorded.year_ago_label,
                unit,
                places,
            ),
        ),
    ]
    if recorded.note:
        blocks += quoted_sections("*Note*", recorded.note)
    better = "higher" if recorded.polarity == "higher" else "lower"
    notes = [f"{better.capitalize()} is better; amber within {recorded.tolerance}% of target"]
    if recorded.on_behalf:
        notes.append(
            f"By {escape_mrkdwn(recorded.author_name)} for {escape_mrkdwn(recorded.owner_name)}"
        )
    blocks.append(context(" · ".join(notes)))
    text = f"{ref} recorded as {value} for {period}: {RAG_LABELS[recorded.status]}" + (
        f" (target {target})" if recorded.target is not None else ""
    )
    return Message(text=text, blocks=blocks)
