"""Three plans in one database, as the several-plans issue describes them: an English plan on
the default scheme (`improvement`), a strategy with a five-status scheme of its own
(`strategy`), and a Scottish plan (`scottish`). Each has a meeting on Thu 10 Dec 2026 for
2026-27-Q3, so the English plans' update deadline is Wed 25 Nov 2026 and the Scottish plan's
Tue 24 Nov 2026 (St Andrew's Day, Mon 30 Nov, is a Scottish bank holiday).

People (Slack IDs are the same person in every plan they belong to):
- PRIYA, the programme office: admin of all three.
- SAM: owns ACT-2 in `improvement` and SP-1 in `strategy` (one DM for both).
- NIA: owns ACT-1 in `improvement` and ACT-1 in `scottish` (the same ref in two plans).
- OMAR: owns SP-2 in `strategy` only; ROSS: owns ACT-3 in `scottish` only.
- DIANA: director of Finance in all three.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from bot.planio import read_plan
from bot.services.plans import load_plan
from storage.db import Database

PRIYA, SAM, NIA, OMAR, ROSS, DIANA = (
    "U0PRIYA001",
    "U0SAM00001",
    "U0NIA00001",
    "U0OMAR0001",
    "U0ROSS0001",
    "U0DIANA001",
)
PLAN_KEYS = ("improvement", "strategy", "scottish")
MEETING = dt.date(2026, 12, 10)
PERIOD = "2026-27-Q3"
LOADED_AT = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)

_PEOPLE = {
    PRIYA: ("Priya Shah", "admin", "Programme Office"),
    SAM: ("Sam Patel", "owner", "Finance"),
    NIA: ("Nia Evans", "owner", "Finance"),
    OMAR: ("Omar Farouk", "owner", "Finance"),
    ROSS: ("Ross Campbell", "owner", "Finance"),
    DIANA: ("Diana Reid", "director", "Finance"),
}
# plan key -> (ref, title, owner)
_ACTIONS = {
    "improvement": [
        ("ACT-1", "Close the accounts two weeks earlier", NIA),
        ("ACT-2", "Move payroll to the shared service", SAM),
    ],
    "strategy": [
        ("SP-1", "Agree the three-year savings plan", SAM),
        ("SP-2", "Publish the asset strategy", OMAR),
    ],
    "scottish": [
        ("ACT-1", "Bring the Scottish ledger onto the shared system", NIA),
        ("ACT-3", "Review council tax collection", ROSS),
    ],
}
SETTINGS = {
    "improvement": [],
    "strategy": [("name", "Strategy 2020-23"), ("committee", "Joint Committee")],
    "scottish": [("name", "Scottish Improvement Plan"), ("holidays_subdiv", "SCT")],
}
STRATEGY_STATUSES = [
    ("not_started", "Not started", "#BFBFBF", "0", "ns", "no", "no"),
    ("on_track", "On track", "#2E7D32", "3", "green;g", "no", "no"),
    ("minor_delay", "Minor delay", "#F9A825", "2", "amber;a", "no", "no"),
    ("major_delay", "Major delay", "#C62828", "1", "red;r", "yes", "no"),
    ("complete", "Complete", "#1565C0", "4", "done", "no", "yes"),
]


def _csv(rows: Sequence[Sequence[str]]) -> str:
    return "".join(",".join(row) + "\n" for row in rows)


def write_plan_folder(folder: Path, key: str) -> Path:
    """The plan `key` as a folder of CSVs (its settings and statuses sheets when it has them)."""
    path = folder / key
    path.mkdir(parents=True, exist_ok=True)
    owners = {owner for _, _, owner in _ACTIONS[key]}
    people = [("slack_id", "name", "email", "role", "directorate")]
    for slack_id, (name, role, directorate) in _PEOPLE.items():
        if role != "owner" or slack_id in owners:
            email = name.lower().replace(" ", ".") + "@example.org"
            people.append((slack_id, name, email, role, directorate))
    (path / "people.csv").write_text(_csv(people), encoding="utf-8")
    actions = [("ref", "action", "theme", "directorate", "owner", "target_date")]
    actions += [
        (ref, title, "Finance", "Finance", owner, "2027-03-31")
        for ref, title, owner in _ACTIONS[key]
    ]
    (path / "actions.csv").write_text(_csv(actions), encoding="utf-8")
    meetings = [
        ("period", "meeting_date", "committee"),
        (PERIOD, MEETING.isoformat(), "Joint Committee"),
    ]
    (path / "meetings.csv").write_text(_csv(meetings), encoding="utf-8")
    if SETTINGS[key]:
        (path / "settings.csv").write_text(
            _csv([("key", "value"), *SETTINGS[key]]), encoding="utf-8"
        )
    if key == "strategy":
        header = ("status", "label", "colour", "rank", "synonyms", "needs_note", "completes")
        (path / "statuses.csv").write_text(_csv([header, *STRATEGY_STATUSES]), encoding="utf-8")
    return path


def load_three_plans(db: Database, folder: Path) -> None:
    """Import the three plans into `db` (already upgraded)."""
    for key in PLAN_KEYS:
        load_plan(db=db, plan_file=read_plan(write_plan_folder(folder, key)), now=LOADED_AT)
