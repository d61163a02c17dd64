"""Performance indicators: units, polarity, values as people write them, RAG and trends.

Pure rules (DESIGN, "Performance indicators"): the RAG is computed, never typed; trends
compare an actual with the previous quarter's (short) and the same quarter a year before
(long). Values are `Decimal`, so a value exactly at the tolerance line is read as such.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from bot.errors import InvalidInput

DEFAULT_TOLERANCE = Decimal(10)  # per cent of the target (a plan's `pi_tolerance`)
NOT_AVAILABLE = "n/a"  # an actual that will not come (as written in files and commands)
INDICATOR_PREFIX = "PI"
MAX_DIGITS = 18  # more is a typing slip, and would not fit a report cell


class Unit(StrEnum):
    PERCENT = "%"
    POUNDS = "£"
    THOUSANDS = "£k"
    MILLIONS = "£m"
    DAYS = "days"
    NUMBER = "number"
    RATIO = "ratio"


class Polarity(StrEnum):
    """Which way is better."""

    HIGHER = "higher"
    LOWER = "lower"


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NO_DATA = "no_data"


class Trend(StrEnum):
    IMPROVED = "improved"
    SAME = "same"
    WORSE = "worse"
    NONE = "none"


RAG_LABELS = {
    Rag.GREEN: "On target",
    Rag.AMBER: "Within tolerance",
    Rag.RED: "Off target",
    Rag.NO_DATA: "No data",
}
TREND_LABELS = {
    Trend.IMPROVED: "improved",
    Trend.SAME: "same",
    Trend.WORSE: "worse",
    Trend.NONE: "no comparison",
}


def parse_unit(text: str) -> Unit:
    """The unit for `text` (`%`, `£`, `£k`, `£m`, `days`, `number`, `ratio`)."""
    cleaned = text.strip().lower()
    aliases = {"percent": "%", "per cent": "%", "day": "days", "gbp": "£", "£000": "£k"}
    cleaned = aliases.get(cleaned, cleaned)
    for unit in Unit:
        if unit.value == cleaned:
            return unit
    raise InvalidInput(
        f"'{text.strip()}' is not a unit.", hint=f"Use one of: {', '.join(u.value for u in Unit)}."
    )


def parse_polarity(text: str) -> Polarity:
    """`higher` or `lower` (which way is better)."""
    cleaned = text.strip().lower()
    for polarity in Polarity:
        if polarity.value == cleaned:
            return polarity
    raise InvalidInput(
        f"'{text.strip()}' is not a polarity.", hint="Use higher or lower (which way is better)."
    )


def rag(
    actual: Decimal | None,
    target: Decimal | None,
    polarity: Polarity,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> Rag:
    """Green at or better than target; amber within `tolerance` per cent of |target| on the
    wrong side; red beyond it; `no_data` with no actual (or no target to compare with)."""
    if actual is None or target is None:
        return Rag.NO_DATA
    band = abs(target) * tolerance / 100
    if polarity is Polarity.HIGHER:
        if actual >= target:
            return Rag.GREEN
        return Rag.AMBER if actual >= target - band else Rag.RED
    if actual <= target:
        return Rag.GREEN
    return Rag.AMBER if actual <= target + band else Rag.RED


def trend(current: Decimal | None, earlier: Decimal | None, polarity: Polarity) -> Trend:
    """`current` against `earlier`, by polarity; `none` when either is missing."""
    if current is None or earlier is None:
        return Trend.NONE
    if current == earlier:
        return Trend.SAME
    better = current > earlier if polarity is Polarity.HIGHER else current < earlier
    return Trend.IMPROVED if better else Trend.WORSE


# -- values as written -------------------------------------------------------------------------

_VALUE = re.compile(
    r"^(?P<sign>[-−])?\s*(?P<pound>£)?\s*(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d*\.?\d+)"
    r"\s*(?P<suffix>%|k|m|bn|days?|d)?$",
    re.IGNORECASE,
)
_SCALE = {"k": Decimal(1000), "m": Decimal(1_000_000), "bn": Decimal(1_000_000_000)}
_UNIT_SCALE = {
    Unit.POUNDS: Decimal(1),
    Unit.THOUSANDS: Decimal(1000),
    Unit.MILLIONS: Decimal(10**6),
}
_EXAMPLES = {
    Unit.PERCENT: "96.4 or 96.4%",
    Unit.POUNDS: "1250, £1,250 or £1.2m",
    Unit.THOUSANDS: "1250 (£k), £1,250k or £1.2m",
    Unit.MILLIONS: "1.2 (£m) or £1.2m",
    Unit.DAYS: "12.5 or 12.5 days",
    Unit.NUMBER: "1250 or 1,250",
    Unit.RATIO: "1.5",
}


def looks_like_value(text: str) -> bool:
    """Whether `text` is written as a number (of any unit), or `n/a`."""
    cleaned = text.strip()
    return cleaned.lower() == NOT_AVAILABLE or _VALUE.match(cleaned) is not None


def value_example(unit: Unit) -> str:
    return _EXAMPLES[unit]


def read_value(text: str, unit: Unit) -> Decimal:
    """A value written for an indicator in `unit`: `96.4`, `96.4%`, `£1,250`, `£1.2m`,
    `12.5 days`. A number with no scale counts in the indicator's unit (`1250` for a `£k`
    indicator is £1,250k). Refuses what is not a number, or a unit that does not fit."""
    cleaned = " ".join(text.split())
    match = _VALUE.match(cleaned)
    if match is None:
        raise InvalidInput(
            f"'{shorten_text(cleaned)}' is not a number.",
            hint=f"Write the value like {_EXAMPLES[unit]}.",
        )
    digits = match["number"].replace(",", "")
    if len(digits) > MAX_DIGITS:
        raise InvalidInput(
            f"'{shorten_text(cleaned)}' is too long a number.",
            hint=f"Write the value like {_EXAMPLES[unit]}.",
        )
    number = Decimal(digits)
    if match["sign"]:
        number = -number
    suffix = (match["suffix"] or "").lower()
    pound = match["pound"] is not None
    if suffix == "d" or suffix == "day":
        suffix = "days"
    wrong = f"'{cleaned}' does not fit: this indicator is measured in {_unit_words(unit)}."
    hint = f"Write the value like {_EXAMPLES[unit]}."
    if unit in _UNIT_SCALE:
        if suffix in {"%", "days"}:
            raise InvalidInput(wrong, hint=hint)
        if suffix in _SCALE:
            number = number * _SCALE[suffix] / _UNIT_SCALE[unit]
        return _tidy(number)
    if pound or suffix in _SCALE:
        raise InvalidInput(wrong, hint=hint)
    if (suffix == "%" and unit is not Unit.PERCENT) or (suffix == "days" and unit is not Unit.DAYS):
        raise InvalidInput(wrong, hint=hint)
    return _tidy(number)


def shorten_text(text: str, limit: int = 40) -> str:
    """`text` cut to `limit` characters, for quoting what someone typed back to them."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tidy(number: Decimal) -> Decimal:
    """The number without trailing zeros beyond the point (`1200.0` → `1200`, not `1.2E+3`)."""
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def parse_number(text: str) -> Decimal:
    """A plain number (`96.4`, `-3`, `1,250`), for tolerances; ValueError otherwise."""
    cleaned = text.strip().replace(",", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text.strip()}' is not a number") from None
    if not number.is_finite() or len(cleaned) > MAX_DIGITS + 2:
        raise ValueError(f"'{text.strip()}' is not a number")
    return _tidy(number)


def _unit_words(unit: Unit) -> str:
    return {
        Unit.PERCENT: "per cent (%)",
        Unit.POUNDS: "pounds (£)",
        Unit.THOUSANDS: "thousands of pounds (£k)",
        Unit.MILLIONS: "millions of pounds (£m)",
        Unit.DAYS: "days",
        Unit.NUMBER: "plain numbers",
        Unit.RATIO: "ratios (plain numbers)",
    }[unit]


def places(value: Decimal) -> int:
    """Decimal places written in `value` (`96.4` → 1, `12` → 0)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def format_value(value: Decimal | None, unit: Unit, decimals: int | None = None) -> str:
    """`96.4%`, `£1,250`, `£1,250k`, `£1.2m`, `12.5 days`, `1,250`; `no data` for None."""
    if value is None:
        return "no data"
    shown = max(places(value), decimals or 0)
    magnitude = f"{abs(value):,.{shown}f}"
    sign = "-" if value < 0 else ""
    if unit is Unit.PERCENT:
        return f"{sign}{magnitude}%"
    if unit is Unit.POUNDS:
        return f"{sign}£{magnitude}"
    if unit is Unit.THOUSANDS:
        return f"{sign}£{magnitude}k"
    if unit is Unit.MILLIONS:
        return f"{sign}£{magnitude}m"
    if unit is Unit.DAYS:
        return f"{sign}{magnitude} day{'' if abs(value) == 1 else 's'}"
    return f"{sign}{magnitude}"
