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

# Okabe-Ito colours, safe for the common colour-vision deficiencies; the RAG meaning survives
# (orange for at risk, vermillion for off track), and each status also has its own hatching.
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
# Matplotlib's text and font caches are shared: one chart is drawn at a time per process.
_DRAWING = threading.Lock()
DRAWING = _DRAWING  # shared with the indicators chart
# The order bars stack in: best at the left/bottom, missing updates last.
STACK_ORDER = ("complete", "green", "amber", "red", "on_hold", "not_started", NO_UPDATE)


def _plain(text: str) -> str:
    """Text shown literally: matplotlib would read `$...$` as mathematics."""
    return text.replace("$", r"\$")


plain = _plain  # text shown literally, for the indicators chart


def _order(digest: Digest) -> list[str]:
    known = [k for k in STACK_ORDER if k in digest.status_keys]
    return known + [k for k in digest.status_keys if k not in known]


def _colour(digest: Digest, key: str) -> str:
    return SAFE_COLOURS.get(key, f"#{digest.status(key).colour}")


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
    digest: Digest,
    keys: list[str],
    positions: Sequence[Any],
    counts: Sequence[Mapping[str, int]],
    *,
    horizontal: bool = False,
) -> list[int]:
    """A bar at each position, stacked status by status in `keys` order; the totals reached."""
    reached = [0] * len(positions)
    for key in keys:
        sizes = [c.get(key, 0) for c in counts]
        if not any(sizes):
            continue
        style = {
            "color": _colour(digest, key),
            "edgecolor": "#333333",
            "linewidth": 0.6,
            "hatch": HATCHES.get(key, ""),
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
        return _draw(digest, dpi)


def _draw(digest: Digest, dpi: int) -> bytes:
    keys = _order(digest)
    themes = list(digest.by_theme)
    height = max(5.4, 1.6 + 0.55 * len(themes))
    fig = Figure(figsize=(13, height), dpi=dpi, layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))

    names = [_plain("\n".join(textwrap.wrap(g.name, 28))) or "–" for g in themes]
    y_positions = list(range(len(themes)))
    _stack(left, digest, keys, y_positions, [g.counts for g in themes], horizontal=True)
    left.set_yticks(y_positions, names, fontsize=9)
    left.invert_yaxis()
    left.set_xlabel("Number of actions")
    left.set_title(f"Status by theme, {digest.period_key}", fontsize=11, loc="left")
    left.xaxis.get_major_locator().set_params(integer=True)
    left.spines[["top", "right"]].set_visible(False)

    periods = [t.label for t in digest.trend]
    bottoms = _stack(right, digest, keys, periods, [t.counts for t in digest.trend])
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
            facecolor=_colour(digest, key),
            edgecolor="#333333",
            hatch=HATCHES.get(key, ""),
            label=_plain(digest.label(key)),
        )
        for key in keys
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
    buffer = io.BytesIO()
    # A bare Figure renders with Agg and never touches pyplot's global state (thread-safe).
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
