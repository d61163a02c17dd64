"""The grammar of the slash commands: what people type, read into plain requests.

Pure functions with no Slack and no database: `/update`, `/actions` and `/planbot` text in,
a request dataclass out, or an `InvalidInput` that says what to type instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from bot.domain.indicators import looks_like_value
from bot.domain.refs import normalise_ref
from bot.domain.status import StatusScheme, StatusWords
from bot.errors import InvalidInput

HELP_WORDS = frozenset({"help", "?", "-h", "--help", "h"})
# A unit written as a word after an indicator's value: `12.5 days`, `96.4 %`.
_UNIT_WORDS = frozenset({"%", "day", "days", "percent"})

# -- reading what people type ------------------------------------------------------------------

_MARKUP = re.compile(r"<([^<>]*)>")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
_DATE = r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}\s+[A-Za-z]{3,9}\s+\d{4}"
_REVISED = re.compile(
    rf"(?:^|\s)(?:revised(?:\s+to)?|new\s+target(?:\s+date)?)\s*:?\s*(?P<date>{_DATE})\s*\.?\s*$",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}


def plain_from_slack(text: str) -> str:
    """What the person typed, from Slack's command text: markup made readable, entities decoded.

    `<@U123|sam>` becomes `@sam`, `<!channel>` becomes `@channel`, `<https://x|label>` becomes
    `label (https://x)`; then `&lt;`, `&gt;` and `&amp;` become `<`, `>` and `&` again. The
    result is stored as written and escaped again whenever it is shown in Slack.
    """

    def readable(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith(("@", "#")):
            return target[0] + (label.lstrip("@#") or target[1:])
        if target.startswith("!subteam^"):
            return label or "@group"
        if target.startswith("!date^"):
            return label
        if target.startswith("!"):
            return "@" + target[1:]
        return f"{label} ({target})" if label and label != target else target

    text = _MARKUP.sub(readable, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_day(text: str, *, today: dt.date) -> dt.date:
    """A day as people in the UK write it: 31/03/2020, 31-3-20, 2020-03-31, 31 March 2020."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned == "today":
        return today
    if cleaned == "tomorrow":
        return today + dt.timedelta(days=1)
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", cleaned):
            year, month, day = (int(p) for p in cleaned.split("-"))
            return dt.date(year, month, day)
        if match := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", cleaned):
            day, month, year = (int(p) for p in match.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        if match := re.fullmatch(r"(\d{1,2}) ([a-z]{3,9}) (\d{4})", cleaned):
            named = _MONTHS.get(match[2])
            if named is not None:
                return dt.date(int(match[3]), named, int(match[1]))
    except ValueError:
        pass
    raise InvalidInput(
        f"'{text.strip()}' is not a date I can read.",
        hint="Write dates as 31/03/2020 or 2020-03-31.",
    )


def _split(text: str) -> tuple[str, str]:
    """The first word and the rest, the rest as typed (its line breaks kept)."""
    parts = text.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True)
class UpdateRequest:
    """`/update` as typed: what to do, and the pieces. A record has a status (an action's)
    or a value (an indicator's, as typed: `96.4%`, `£1,250`, `12.5 days`, `n/a`). `plan`: the
    plan named first, as one of the plan words the grammar was given; "" when none was."""

    kind: Literal["help", "pick", "open", "record"]
    ref: str = ""
    status: str = ""
    note: str = ""
    revised: dt.date | None = None
    value: str = ""
    plan: str = ""


def _plan_word(text: str, plans: Collection[str]) -> tuple[str, str]:
    """The plan word `text` starts with (the longest of `plans` it starts with, case and
    spacing aside, as given in `plans`), and the rest as typed; "" and `text` when none."""
    words = text.split()
    for plan in sorted(plans, key=lambda p: -len(p.split())):
        wanted = plan.split()
        if wanted and [w.casefold() for w in words[: len(wanted)]] == [
            w.casefold() for w in wanted
        ]:
            rest = text
            for _ in wanted:
                rest = _split(rest)[1]
            return plan, rest
    return "", text


def parse_update(
    text: str,
    *,
    today: dt.date,
    scheme: StatusScheme | StatusWords,
    plans: Collection[str] = (),
) -> UpdateRequest:
    """Read `/update [PLAN] [REF [STATUS [NOTE] [revised DATE]]]`, `/update [PLAN] REF VALUE
    [NOTE]` (an indicator's) or `/update help`.

    `scheme`: the status words to read (the caller's plans' schemes; each plan's own reads the
    word again when the plan is known). `plans`: the plan keys and names that may come first.
    """
    rest = plain_from_slack(text).strip()
    plan, rest = _plan_word(rest, plans)
    if not rest:
        return UpdateRequest("pick", plan=plan)
    ref, rest = _split(rest)
    if ref.lower() in HELP_WORDS:
        return UpdateRequest("help", plan=plan)
    number, after = _split(rest)
    if ref.isalpha() and number.isdigit() and scheme.lookup(ref) is None:
        ref, rest = f"{ref}-{number}", after  # "ACT 12"
    if normalise_ref(ref) is None and scheme.lookup(ref) is not None:
        raise InvalidInput(
            f"Say which action first, then '{ref}'.",
            hint="For example `/update ACT-12 green Contract signed`; `/update` alone lets "
            "you pick one.",
        )
    if not rest:
        return UpdateRequest("open", ref=ref, plan=plan)
    status, rest = _split(rest)
    second, after = _split(rest)
    if looks_like_value(status) and scheme.lookup(status) is None:
        if second.lower() in _UNIT_WORDS:
            status, rest = f"{status} {second}", after
        return UpdateRequest("record", ref=ref, note=rest.strip(), value=status, plan=plan)
    if second and scheme.lookup(status) is None and scheme.lookup(f"{status} {second}"):
        status, rest = f"{status} {second}", after  # "on track", "at risk", "not started"
    note, revised = rest.strip(), None
    if match := _REVISED.search(note):
        revised = parse_day(match["date"], today=today)
        note = note[: match.start()].rstrip()
    return UpdateRequest("record", ref=ref, status=status, note=note, revised=revised, plan=plan)


@dataclass(frozen=True)
class ActionsRequest:
    kind: Literal["help", "mine", "history", "person", "directorate", "all"]
    value: str = ""


def parse_actions(text: str) -> ActionsRequest:
    """Read `/actions [ACT-12 | @someone | directorate:<name> | all | help]`."""
    raw = text.strip()
    if not raw:
        return ActionsRequest("mine")
    if match := _MENTION.match(raw):
        return ActionsRequest("person", match[1])
    if _USER_ID.match(raw):
        return ActionsRequest("person", raw)
    cleaned = plain_from_slack(raw).strip()
    word = _split(cleaned)[0]
    lowered = cleaned.lower()
    if word.lower() in HELP_WORDS:
        return ActionsRequest("help")
    if lowered in {"all", "everything", "plan"}:
        return ActionsRequest("all")
    for prefix in ("directorate:", "directorate ", "dir:"):
        if lowered.startswith(prefix) and cleaned[len(prefix) :].strip():
            return ActionsRequest("directorate", cleaned[len(prefix) :].strip())
    if normalise_ref(cleaned) is not None:
        return ActionsRequest("history", cleaned)
    if cleaned.startswith("@"):
        raise InvalidInput(
            f"I can't tell who {cleaned} is.",
            hint="Choose the person from Slack's list as you type their name after @.",
        )
    raise InvalidInput(
        f"I don't understand '/actions {cleaned}'.",
        hint="Try `/actions`, `/actions ACT-12`, `/actions @someone` or "
        "`/actions directorate:Finance`.",
    )


@dataclass(frozen=True)
class PlanbotRequest:
    kind: Literal["help", "away", "back"]
    start: dt.date | None = None
    end: dt.date | None = None
    delegate: str | None = None


def parse_planbot(text: str, *, today: dt.date) -> PlanbotRequest:
    """Read `/planbot help`, `/planbot away FROM [TO] [@delegate]` and `/planbot back`."""
    words = text.split()
    if not words or words[0].lower() in HELP_WORDS:
        return PlanbotRequest("help")
    verb, args = words[0].lower(), words[1:]
    if verb == "back" and not args:
        return PlanbotRequest("back")
    if verb == "away":
        delegate = None
        if args and (match := _MENTION.match(args[-1])):
            delegate, args = match[1], args[:-1]
        elif args and args[-1].startswith(("@", "<")):
            raise InvalidInput(
                f"I can't tell who {plain_from_slack(args[-1])} is.",
                hint="Choose your delegate from Slack's list as you type their name after @.",
            )
        dates = _dates(args, today=today)
        if len(dates) == 1:
            return PlanbotRequest("away", dates[0], dates[0], delegate)
        if len(dates) == 2:
            return PlanbotRequest("away", dates[0], dates[1], delegate)
        raise InvalidInput(
            "Give the first and last days you are away.",
            hint="For example `/planbot away 13/01/2020 17/01/2020 @delegate`.",
        )
    raise InvalidInput(
        f"I don't know '/planbot {plain_from_slack(' '.join(words))}'.",
        hint="`/planbot help` lists what I can do.",
    )


def _dates(words: list[str], *, today: dt.date) -> list[dt.date]:
    """Dates from words, allowing `13 Jan 2020` (three words) and `to` between two dates."""
    words = [w for w in words if w.lower() not in {"to", "until", "-", "from"}]
    dates, index = [], 0
    while index < len(words):
        three = " ".join(words[index : index + 3])
        if index + 2 < len(words) and re.fullmatch(r"\d{1,2} [A-Za-z]{3,9} \d{4}", three):
            dates.append(parse_day(three, today=today))
            index += 3
        else:
            dates.append(parse_day(words[index], today=today))
            index += 1
    return dates
