"""What a whole-period view of a plan is headed with: the plan and the period, by key and
by name. A report and a reminder calendar both start from it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanPeriod:
    """A plan and one of its periods, as keys and as the words shown for them."""

    plan_key: str
    plan_name: str
    period_key: str
    period_label: str
