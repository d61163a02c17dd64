"""A plan's own rules: its `settings` and `statuses` sheets read and checked, and the rules a
plan runs by (its status scheme, calendar, reminder ladder, indicator tolerance and
sign-off), with the environment's settings and the default scheme where the plan says
nothing (DESIGN, "Several plans, each with its own rules")."""

from __future__ import annotations

import colorsys
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.domain.calendar import Cycle, WorkingCalendar
from bot.domain.indicators import DEFAULT_TOLERANCE
from bot.domain.periods import FY_START_MONTH
from bot.domain.status import DEFAULT_SCHEME, StatusDef, StatusScheme, fold_word

# -- the settings sheet ------------------------------------------------------------------------

SETTING_KEYS = (
    "name",
    "committee",
    "timezone",
    "holidays_country",
    "holidays_subdiv",
    "fy_start_month",
    "send_at",
    "publication_clear_days",
    "update_deadline_days",
    "window_days",
    "signoff",
    "pi_tolerance",
)
SUBDIVISIONS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
# The settings that change a plan's calendar or ladder (the others leave the default cycle).
_CALENDAR_KEYS = {
    "timezone",
    "holidays_country",
    "holidays_subdiv",
    "send_at",
    "publication_clear_days",
    "update_deadline_days",
    "window_days",
}
_TRUE, _FALSE = {"on", "yes", "true", "y", "1"}, {"off", "no", "false", "n", "0"}


class SettingError(ValueError):
    """A setting's value cannot be used; the message says why and what to write."""


def _text(value: str) -> str:
    if len(value) > 200:
        raise SettingError("is longer than 200 characters")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"'{value}' is not a time zone (like Europe/London)") from None
    return value


def _country(value: str) -> str:
    country = value.upper()
    if country not in holidays.list_supported_countries():
        raise SettingError(f"'{value}' is not a country code the holidays calendar knows (GB)")
    return country


def _subdiv(value: str) -> str:
    subdiv = value.upper()
    if subdiv not in SUBDIVISIONS:
        raise SettingError(f"'{value}' is not one of {', '.join(SUBDIVISIONS)}")
    return subdiv


def _fy_start(value: str) -> str:
    if value.strip() != str(FY_START_MONTH):
        raise SettingError(
            f"planbot's periods are financial years starting in April; write {FY_START_MONTH}"
        )
    return str(FY_START_MONTH)


def _send_at(value: str) -> str:
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise SettingError(f"'{value}' is not a time of day (like 09:30)")
    return f"{int(match[1]):02d}:{match[2]}"


def _days(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value.isdigit() or not low <= int(value) <= high:
            raise SettingError(f"'{value}' is not a whole number of working days ({low}–{high})")
        return str(int(value))

    return check


def _on_off(value: str) -> str:
    lowered = value.lower()
    if lowered in _TRUE:
        return "on"
    if lowered in _FALSE:
        return "off"
    raise SettingError(f"'{value}' is not on or off")


def _percent(value: str) -> str:
    try:
        number = Decimal(value.rstrip("%").strip())
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or not 0 <= number <= 100:
        raise SettingError(f"'{value}' is not a percentage from 0 to 100")
    return str(number.normalize()) if number == number.to_integral() else str(number)


_CHECKS: dict[str, Callable[[str], str]] = {
    "name": _text,
    "committee": _text,
    "timezone": _zone,
    "holidays_country": _country,
    "holidays_subdiv": _subdiv,
    "fy_start_month": _fy_start,
    "send_at": _send_at,
    "publication_clear_days": _days(0, 30),
    "update_deadline_days": _days(0, 60),
    "window_days": _days(1, 60),
    "signoff": _on_off,
    "pi_tolerance": _percent,
}


def check_setting(key: str, value: str) -> str:
    """The setting's value as planbot stores and writes it back; a `SettingError` if unusable."""
    check = _CHECKS.get(key)
    if check is None:
        raise SettingError(f"'{key}' is not a setting; the settings are {', '.join(SETTING_KEYS)}")
    return check(value.strip())


# -- the statuses sheet ------------------------------------------------------------------------

STATUS_COLUMNS = ("status", "label", "colour", "rank", "synonyms", "needs_note", "completes")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_COLOUR = re.compile(r"^#?([0-9A-Fa-f]{6})$")
# The round emoji Slack has, by the colour they show: a custom status gets the nearest.
_EMOJI = (
    ("C62828", ":red_circle:"),
    ("EF6C00", ":large_orange_circle:"),
    ("F9A825", ":large_yellow_circle:"),
    ("2E7D32", ":large_green_circle:"),
    ("1565C0", ":large_blue_circle:"),
    ("6A1B9A", ":large_purple_circle:"),
    ("6D4C41", ":large_brown_circle:"),
)


def emoji_for(colour: str) -> str:
    """The round emoji nearest `colour` (hex RGB): by hue, or black/white for greys."""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    if saturation < 0.2:
        return ":white_circle:" if lightness >= 0.5 else ":black_circle:"

    def distance(known: str) -> float:
        r, g, b = (int(known[i : i + 2], 16) / 255 for i in (0, 2, 4))
        other, other_lightness, _ = colorsys.rgb_to_hls(r, g, b)
        around = min(abs(hue - other), 1 - abs(hue - other))
        return around + 0.25 * abs(lightness - other_lightness)

    return min(_EMOJI, key=lambda pair: distance(pair[0]))[1]


def status_from_texts(texts: Mapping[str, str]) -> tuple[StatusDef | None, dict[str, str]]:
    """One row of the statuses sheet (column → text) as a status, or the problem in each
    column. Blank `rank` means no direction of travel (like on hold)."""
    problems: dict[str, str] = {}
    key = texts.get("status", "").strip().lower()
    if not _KEY.match(key):
        problems["status"] = (
            f"'{texts.get('status', '')}' is not a status key: lower-case letters, digits "
            "and _, starting with a letter (like minor_delay)"
        )
    label = texts.get("label", "").strip() or key.replace("_", " ").capitalize()
    colour_match = _COLOUR.match(texts.get("colour", "").strip())
    if not colour_match:
        problems["colour"] = f"'{texts.get('colour', '')}' is not a colour like #2E7D32"
    rank: int | None = None
    rank_text = texts.get("rank", "").strip()
    if rank_text:
        if re.fullmatch(r"-?\d{1,3}", rank_text):
            rank = int(rank_text)
        else:
            problems["rank"] = f"'{rank_text}' is not a whole number (higher is better)"
    synonyms = tuple(word.strip() for word in texts.get("synonyms", "").split(";") if word.strip())
    flags: dict[str, bool] = {}
    for column in ("needs_note", "completes"):
        text = texts.get(column, "").strip().lower()
        if text in _TRUE or text in _FALSE or not text:
            flags[column] = text in _TRUE
        else:
            problems[column] = f"'{text}' is not yes or no"
    if problems or colour_match is None:
        return None, problems
    colour = colour_match[1].upper()
    return (
        StatusDef(
            key,
            label,
            colour,
            emoji_for(colour),
            rank,
            synonyms,
            needs_note=flags["needs_note"],
            closes=flags["completes"],
        ),
        {},
    )


def status_texts(status: StatusDef) -> dict[str, str]:
    """A status as its row of the statuses sheet (what `status_from_texts` reads back)."""
    return {
        "status": status.key,
        "label": status.label,
        "colour": f"#{status.colour}",
        "rank": "" if status.rank is None else str(status.rank),
        "synonyms": ";".join(status.synonyms),
        "needs_note": "yes" if status.needs_note else "no",
        "completes": "yes" if status.closes else "no",
    }


def scheme_problems(statuses: Sequence[StatusDef]) -> list[tuple[int, str, str]]:
    """What makes these statuses (in sheet order) no scheme: (position, column, message) for
    a repeated status, a word meaning two statuses, or a scheme nothing completes."""
    problems: list[tuple[int, str, str]] = []
    owner: dict[str, str] = {}
    for position, status in enumerate(statuses):
        if status.key in {s.key for s in statuses[:position]}:
            problems.append((position, "status", f"status {status.key} appears twice"))
            continue
        for column, word in [("status", status.key), ("label", status.label)] + [
            ("synonyms", synonym) for synonym in status.synonyms
        ]:
            folded = fold_word(word)
            if owner.get(folded, status.key) != status.key:
                problems.append((position, column, f"'{word}' already means {owner[folded]}"))
            owner.setdefault(folded, status.key)
    if statuses and not any(status.closes for status in statuses):
        problems.append((len(statuses) - 1, "completes", "no status completes an action"))
    return problems


# -- the rules a plan runs by ------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRules:
    """Everything that differs between plans: scheme, calendar and ladder, indicator
    tolerance and sign-off, and the names the plan's own settings give."""

    scheme: StatusScheme
    cycle: Cycle
    pi_tolerance: Decimal = DEFAULT_TOLERANCE
    signoff: bool = False
    name: str | None = None
    committee: str | None = None


def scheme_for(statuses: Sequence[StatusDef]) -> StatusScheme:
    """A plan's status scheme: its own statuses, or the default scheme when it has none."""
    return StatusScheme(tuple(statuses)) if statuses else DEFAULT_SCHEME


def plan_rules(
    settings: Mapping[str, str], statuses: Sequence[StatusDef], default: Cycle
) -> PlanRules:
    """The rules of a plan whose (checked) settings and statuses are these. What the plan
    does not set comes from `default`, the environment's calendar (time zone, holidays, send
    time) and ladder; a plan that sets nothing runs on `default` itself."""
    scheme = scheme_for(statuses)
    tolerance = Decimal(settings.get("pi_tolerance", DEFAULT_TOLERANCE))
    signoff = settings.get("signoff") == "on"
    named = {"name": settings.get("name"), "committee": settings.get("committee")}
    if not settings.keys() & _CALENDAR_KEYS:
        return PlanRules(scheme, default, tolerance, signoff, **named)
    base = default.rules
    send_at = base.send_at
    if "send_at" in settings:
        hours, minutes = settings["send_at"].split(":")
        send_at = dt.time(int(hours), int(minutes))
    country = settings.get("holidays_country", default.calendar.country)
    subdiv = settings.get("holidays_subdiv")
    if subdiv is None and "holidays_country" not in settings:
        subdiv = default.calendar.subdiv
    ladder = replace(
        base,
        publication_working_days_before_meeting=int(
            settings.get("publication_clear_days", base.publication_working_days_before_meeting - 1)
        )
        + 1,
        update_working_days_before_publication=int(
            settings.get("update_deadline_days", base.update_working_days_before_publication)
        ),
        window_working_days_before_deadline=int(
            settings.get("window_days", base.window_working_days_before_deadline)
        ),
        send_at=send_at,
    )
    cycle = Cycle(
        calendar=WorkingCalendar(country, subdiv),
        rules=ladder,
        timezone=settings.get("timezone", default.tz.key),
    )
    return PlanRules(scheme, cycle, tolerance, signoff, **named)
