"""Each plan's own rules as stored (`plans.settings_json`, `plans.statuses_json`), read into
`PlanRules` once per process and per version of them (`RuleBook`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.calendar import Cycle
from bot.domain.plan_rules import (
    PlanRules,
    plan_rules,
    status_from_texts,
    status_texts,
)
from bot.domain.status import StatusDef
from storage import models as m


def settings_json(settings: Mapping[str, str]) -> str:
    return json.dumps(dict(settings), sort_keys=True)


def statuses_json(statuses: Sequence[StatusDef]) -> str:
    return json.dumps([status_texts(status) for status in statuses])


def stored_settings(plan: m.Plan) -> dict[str, str]:
    """The settings the plan's file gave (checked when it was imported)."""
    return dict(json.loads(plan.settings_json or "{}"))


def stored_statuses(plan: m.Plan) -> list[StatusDef]:
    """The plan's own statuses, in order; empty for the default scheme."""
    statuses = []
    for texts in json.loads(plan.statuses_json or "[]"):
        status, problems = status_from_texts(texts)
        if status is None:  # checked on import; a hand-edited row is a bug to see at once
            raise ValueError(f"plan {plan.key}: stored status {texts} is unusable: {problems}")
        statuses.append(status)
    return statuses


class RuleBook:
    """The rules of every plan this process serves, each built once (a plan's `Cycle`
    remembers its working days and schedules) and built again when an import changes them.
    `default` is the environment's calendar: what a plan does not set comes from it."""

    def __init__(self, default: Cycle) -> None:
        self.default = default
        self._lock = threading.Lock()
        self._built: dict[tuple[str, str], PlanRules] = {}

    def rules(self, plan: m.Plan) -> PlanRules:
        key = (plan.settings_json or "{}", plan.statuses_json or "[]")
        with self._lock:
            known = self._built.get(key)
        if known is None:
            built = plan_rules(stored_settings(plan), stored_statuses(plan), self.default)
            with self._lock:
                known = self._built.setdefault(key, built)
        return known

    def every_plan(self, session: Session) -> list[tuple[m.Plan, PlanRules]]:
        """Each plan in the database with its rules, by key."""
        plans = session.scalars(select(m.Plan).order_by(m.Plan.key))
        return [(plan, self.rules(plan)) for plan in plans]
