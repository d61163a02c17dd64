"""The indicators chart: each red or amber indicator's last quarters against its target, as
small multiples (one panel per indicator, each with its own scale and unit)."""

from __future__ import annotations

import io
import math
import textwrap
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bot.domain.indicators import Rag
from bot.model.indicators import IndicatorLine
from bot.model.report import Digest
from bot.render.report_chart import DRAWING, SAFE_COLOURS, plain
from bot.render.report_indicators import (
    RAG_NAMES,
    indicator_chart_title,
    indicator_exceptions,
    polarity_word,
    value_word,
)

COLUMNS = 3  # panels per row
ACTUAL_COLOUR = "#0072B2"  # Okabe-Ito blue; the target is a black dashed line
MARKERS = {Rag.RED: "X", Rag.AMBER: "D"}


def render_indicator_chart(digest: Digest, *, dpi: int = 150) -> bytes | None:
    """The chart as PNG bytes; None when no indicator is red or amber."""
    chosen = indicator_exceptions(digest)
    if not chosen:
        return None
    with DRAWING:
        return _draw(digest, chosen, dpi)


def _draw(digest: Digest, chosen: tuple[IndicatorLine, ...], dpi: int) -> bytes:
    columns = min(COLUMNS, len(chosen))
    rows = math.ceil(len(chosen) / columns)
    fig = Figure(figsize=(4.4 * columns, 0.9 + 3.1 * rows), dpi=dpi, layout="constrained")
    grid = fig.subplots(rows, columns, squeeze=False)
    for index, axes in enumerate(grid.flat):
        if index >= len(chosen):
            axes.set_visible(False)
            continue
        _panel(axes, chosen[index])
    fig.legend(
        handles=[
            Line2D([], [], color=ACTUAL_COLOUR, marker="o", label="Actual"),
            Line2D([], [], color="black", linestyle="--", label="Target"),
        ],
        loc="outside lower center",
        ncols=2,
        frameon=False,
    )
    fig.suptitle(
        plain(f"{digest.plan_name}: red and amber indicators, {digest.period_label}"),
        fontsize=12,
        fontweight="bold",
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _panel(ax: Any, line: IndicatorLine) -> None:
    labels = [p.label.replace(" ", "\n") for p in line.history]
    positions = list(range(len(labels)))
    targets = [float(p.target) if p.target is not None else math.nan for p in line.history]
    actuals = [float(p.actual) if p.actual is not None else math.nan for p in line.history]
    # A target holds for its quarter: drawn as steps, so a changed target is not a slope.
    ax.plot(positions, targets, color="black", linestyle="--", linewidth=1.2, drawstyle="steps-mid")
    ax.plot(positions, actuals, color=ACTUAL_COLOUR, marker="o", linewidth=1.8, markersize=5)
    last = len(positions) - 1
    if line.history and line.history[-1].actual is not None:
        ax.plot(
            [last],
            [actuals[-1]],
            linestyle="none",
            marker=MARKERS.get(line.status, "o"),
            markersize=10,
            color=SAFE_COLOURS.get(line.status.value, ACTUAL_COLOUR),
            markeredgecolor="#333333",
        )
    for x, point in zip(positions, line.history, strict=True):
        if point.actual is not None:
            ax.annotate(
                plain(value_word(line, point.actual)),
                (x, float(point.actual)),
                textcoords="offset points",
                xytext=(0, 10 if x == last else 8),
                ha="center",
                fontsize=7.5,
                # On a white tab, so the target line never runs through a figure.
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            )
    ax.set_xticks(positions, labels, fontsize=7.5)
    ax.tick_params(axis="y", labelsize=7.5)
    ax.margins(x=0.12, y=0.25)
    ax.spines[["top", "right"]].set_visible(False)
    title = "\n".join(textwrap.wrap(indicator_chart_title(line), 42)[:2])
    ax.set_title(
        plain(f"{title}\n{RAG_NAMES[line.status]} · {polarity_word(line)}"),
        fontsize=8.5,
        loc="left",
    )
    ax.set_ylabel(plain(_unit_label(line)), fontsize=8)


def _unit_label(line: IndicatorLine) -> str:
    return {
        "%": "Per cent",
        "£": "£",
        "£k": "£ thousands",
        "£m": "£ millions",
        "days": "Days",
        "number": "Number",
        "ratio": "Ratio",
    }[line.unit.value]
