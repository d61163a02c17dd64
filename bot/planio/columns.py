"""The layout of a plan file: its sheets, their columns, and the roles a person may have."""

from __future__ import annotations

SHEETS = ("actions", "people", "meetings")
# A plan without indicators has no indicators sheet; without settings or statuses, the
# environment's settings and the default scheme apply.
OPTIONAL_SHEETS = ("settings", "statuses", "indicators", "signoff")
ALL_SHEETS = (*SHEETS, *OPTIONAL_SHEETS)
ROLES = ("owner", "director", "admin")

ACTION_COLUMNS = (
    "ref",
    "action",
    "theme",
    "directorate",
    "owner",
    "target_date",
    "revised_target_date",
    "closed",
)
ACTION_REQUIRED = ACTION_COLUMNS[:6]
PEOPLE_COLUMNS = (
    "slack_id",
    "name",
    "email",
    "role",
    "directorate",
    "delegate",
    "away_from",
    "away_to",
    "active",
)
PEOPLE_REQUIRED = PEOPLE_COLUMNS[:5]
MEETING_COLUMNS = ("period", "meeting_date", "committee")
MEETING_REQUIRED = MEETING_COLUMNS[:2]

# After the fixed action columns, each period has a status column and a note column.
NOTE_SUFFIX = " note"

INDICATOR_COLUMNS = (
    "ref",
    "indicator",
    "theme",
    "directorate",
    "owner",
    "unit",
    "polarity",
    "tolerance",
)
INDICATOR_REQUIRED = INDICATOR_COLUMNS[:7]
# After the fixed indicator columns, each period has a target, an actual and a note column.
INDICATOR_PERIOD_COLUMNS = ("target", "actual", "note")

SETTINGS_COLUMNS = ("key", "value")  # one row a setting (bot.domain.plan_rules.SETTING_KEYS)
SIGNOFF_COLUMNS = ("ref", "period", "decision", "by", "on", "comment")  # the sign-off record
