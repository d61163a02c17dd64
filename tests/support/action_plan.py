"""The sample plan without its indicators: for the reminder tests that pin who gets which DM
about actions (indicators in reminders: tests/test_reminders_indicators.py)."""

from __future__ import annotations

import dataclasses

from bot.domain.planfile import PlanFile
from bot.planio import SAMPLE_PLAN, read_plan


def sample_actions_only() -> PlanFile:
    """The sample plan's actions, people and meetings, with no indicators."""
    return dataclasses.replace(read_plan(SAMPLE_PLAN), indicators=[], indicator_values=[])
