"""The plans in a database, as `planbot plans` lists them: each one's size and the rules it
runs by."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.plan_rules import PlanRules


@dataclass(frozen=True)
class PlanOverview:
    """One plan: its key and name, how many actions, indicators and (active) people it has,
    its rules, and which of them its own `settings` and `statuses` sheets set."""

    key: str
    name: str
    actions: int
    indicators: int
    people: int
    rules: PlanRules
    settings: dict[str, str] = field(default_factory=dict)  # the settings sheet's, as stored
    own_scheme: bool = False  # a statuses sheet of its own (else the default scheme)
