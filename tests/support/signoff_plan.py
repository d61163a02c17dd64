"""The sample plan with sign-off on: Mark Doyle (director of HR & OD) signs off Sinead's
updates; Kwame (an owner in Finance) is Mark's delegate while Mark is away."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.domain.planfile import PlanFile
from bot.planio import SAMPLE_PLAN, read_plan

PRIYA = "U0PO00001"  # admin
MARK = "U0HR00001"  # director of HR & OD
SINEAD = "U0HR00002"  # owner of ACT-9, ACT-11, ACT-12 (HR & OD)
KWAME = "U0FN00002"  # owner in Finance; Mark's delegate
RACHEL = "U0FN00001"  # director of Finance
HELEN = "U0BS00001"  # director of Business Services
TOM = "U0BS00002"  # owner in Business Services
STRANGER = "U0NOBODY1"


def signoff_plan(*, mark_away: tuple[dt.date, dt.date] | None = None) -> PlanFile:
    """The sample plan (no indicators) with `signoff,on`; Mark away over `mark_away`."""
    plan = read_plan(SAMPLE_PLAN)
    people = []
    for person in plan.people:
        if person.slack_id == MARK:
            away_from, away_to = mark_away or (None, None)
            person = dataclasses.replace(
                person, delegate=KWAME, away_from=away_from, away_to=away_to
            )
        people.append(person)
    return dataclasses.replace(
        plan,
        people=people,
        indicators=[],
        indicator_values=[],
        settings={"signoff": "on"},
    )
