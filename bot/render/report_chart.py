"""The report's chart: statuses by theme (stacked bars) and the trend over recent quarters."""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.model.report import NO_UPDATE, Digest

# The default scheme's statuses (key and colour) in Okabe-Ito colours, safe for the common
# colour-vision deficiencies; the RAG meaning survives (orange for at risk, vermillion for off
# track), and each status also has its own hatching. A plan with a scheme of its own is drawn
# in its own colours, each status with a hatching of its own (`chart_styles`).
SAFE_COLOURS = {
    "complete": "#0072B2",
    "green": "#009E73",
    "amber": "#E69F00",
    "red": "#D55E00",
    "on_hold": "#CC79A7",
    "not_started": "#BBBBBB",
    NO_UPDATE: "#FFFFFF",
}
HATCHES = {
    "complete": "",
    "green": "",
    "amber": "..",
    "red": "xx",
    "on_hold": "--",
    "not_started": "",
    NO_UPDATE: "//",
}
# The default scheme's own colours, which the safe ones above stand in for.
_DEFAULT_COLOURS = {
    "complete": "1565C0",
    "green": "2E7D32",
    "amber": "F9A825",
    "red": "C62828",
    "on_hold": "6A1B9A",
    "not_started": "BFBFBF",
    NO_UPDATE: "FFFFFF",
}
# A plan's own scheme: a different hatching for each status in stacking order (a plain one
# first), none of them the diagonal lines of "no update received".
OWN_HATCHES = ("", "..", "xx", "--", "oo", "||", "++", "**", "OO", "\\\\", "x.", "-.", "o-")
# Matplotlib's text and font caches are shared: one chart is drawn at a time per process.
_DRAWING = threading.Lock()
DRAWING = _DRAWING  # shared with the indicators chart
# The order bars stack in: best at the left/bottom, missing updates last.
STACK_ORDER = ("complete", "green", "amber", "red", "on_hold", "not_started", NO_UPDATE)


def _plain(text: str) -> str:
    """Text shown literally: matplotlib would read `$...$` as mathematics."""
    return text.replace("$", r"\$")


plain = _plain  # text shown literally, for the indicators chart


def _default_scheme(digest: Digest) -> bool:
    """Whether the report is on the default scheme (its statuses, in their colours)."""
    return all(_DEFAULT_COLOURS.get(s.key) == s.colour.upper() for s in digest.statuses)


def _order(digest: Digest) -> list[str]:
    """The order bars stack in: the best status at the left/bottom, no update last."""
    if _default_scheme(digest):
        known = [k for k in STACK_ORDER if k in digest.status_keys]
        return known + [k for k in digest.status_keys if k not in known]
    statuses = [s for s in digest.statuses if s.key != NO_UPDATE]
    ranked = sorted((s for s in statuses if s.rank is not None), key=lambda s: -(s.rank or 0))
    unranked = [s for s in statuses if s.rank is None]
    return [s.key for s in (*ranked, *unranked)] + [NO_UPDATE]


def chart_styles(digest: Digest) -> dict[str, tuple[str, str]]:
    """Each status's fill colour (`#RRGGBB`) and hatching, in stacking order: the safe colours
    above for the default scheme; a plan's own colours, each with its own hatching, else."""
    keys = _order(digest)
    if _default_scheme(digest):
        return {k: (SAFE_COLOURS[k], HATCHES[k]) for k in keys}
    own = [k for k in keys if k != NO_UPDATE]
    hatches = [
        OWN_HATCHES[i % len(OWN_HATCHES)] + "." * (i // len(OWN_HATCHES)) for i in range(len(own))
    ]
    styles = {
        k: (f"#{digest.status(k).colour.upper()}", h) for k, h in zip(own, hatches, strict=True)
    }
    styles[NO_UPDATE] = (SAFE_COLOURS[NO_UPDATE], HATCHES[NO_UPDATE])
    return styles


def _label(axes: Any, bars: Any, values: list[int]) -> None:
    """Counts on the segments, on a white tab so hatching never hides them."""
    axes.bar_label(
        bars,
        labels=[str(v) if v else "" for v in values],
        label_type="center",
        fontsize=9,
        color="black",
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
    )


def _stack(
    axes: Any,
    styles: Mapping[str, tuple[str, str]],
    positions: Sequence[Any],
    counts: Sequence[Mapping[str, int]],
    *,
    horizontal: bool = False,
) -> list[int]:
    """A bar at each position, stacked status by status in `styles` order; the totals reached."""
    reached = [0] * len(positions)
    for key, (colour, hatch) in styles.items():
        sizes = [c.get(key, 0) for c in counts]
        if not any(sizes):
            continue
        style = {
            "color": colour,
            "edgecolor": "#333333",
            "linewidth": 0.6,
            "hatch": hatch,
            "hatch_linewidth": 0.6,
        }
        if horizontal:
            bars = axes.barh(positions, sizes, left=reached, **style)
        else:
            bars = axes.bar(positions, sizes, bottom=reached, width=0.6, **style)
        _label(axes, bars, sizes)
        reached = [r + size for r, size in zip(reached, sizes, strict=True)]
    return reached


def render_chart(digest: Digest, *, dpi: int = 150) -> bytes:
    """The chart as PNG bytes."""
    with _DRAWING:
        fig = chart_figure(digest, dpi=dpi)
        buffer = io.BytesIO()
        # A bare Figure renders with Agg and never touches pyplot's global state (thread-safe).
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        return buffer.getvalue()


def chart_figure(digest: Digest, *, dpi: int = 150) -> Figure:
    """The chart as a matplotlib figure (drawn by `render_chart`, under its lock)."""
    styles = chart_styles(digest)
    themes = list(digest.by_theme)
    height = max(5.4, 1.6 + 0.55 * len(themes))
    fig = Figure(figsize=(13, height), dpi=dpi, layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))

    names = [_plain("\n".join(textwrap.wrap(g.name, 28))) or "–" for g in themes]
    y_positions = list(range(len(themes)))
    _stack(left, styles, y_positions, [g.counts for g in themes], horizontal=True)
    left.set_yticks(y_positions, names, fontsize=9)
    left.invert_yaxis()
    left.set_xlabel("Number of actions")
    left.set_title(f"Status by theme, {digest.period_key}", fontsize=11, loc="left")
    left.xaxis.get_major_locator().set_params(integer=True)
    left.spines[["top", "right"]].set_visible(False)

    periods = [t.label for t in digest.trend]
    bottoms = _stack(right, styles, periods, [t.counts for t in digest.trend])
    right.set_ylabel("Number of actions")
    right.set_ylim(0, max([*bottoms, 1]) * 1.08)
    right.set_title(
        f"Trend over the last {len(periods)} quarter{'s' if len(periods) != 1 else ''}",
        fontsize=11,
        loc="left",
    )
    right.yaxis.get_major_locator().set_params(integer=True)
    right.tick_params(axis="x", labelsize=9)
    right.spines[["top", "right"]].set_visible(False)

    handles = [
        Patch(
            facecolor=colour,
            edgecolor="#333333",
            hatch=hatch,
            label=_plain(digest.label(key)),
        )
        for key, (colour, hatch) in styles.items()
        if any(g.counts.get(key, 0) for g in themes)
        or any(t.counts.get(key, 0) for t in digest.trend)
    ]
    fig.legend(
        handles=handles, loc="outside lower center", ncols=max(len(handles), 1), frameon=False
    )
    fig.suptitle(
        _plain(f"{digest.plan_name}: {digest.period_label} · {digest.scope.label}"),
        fontsize=12,
        fontweight="bold",
    )
    return fig
