"""The `settings` and `statuses` sheets: a plan's own rules, read with every problem named by
sheet, row and column, and written back as they were read."""

from __future__ import annotations

from bot.domain.plan_rules import (
    SETTING_KEYS,
    STATUS_COLUMNS,
    SettingError,
    check_setting,
    scheme_problems,
    status_from_texts,
)
from bot.domain.planfile import CellError
from bot.domain.status import StatusDef
from bot.planio.cells import Table, data_rows
from bot.planio.columns import SETTINGS_COLUMNS
from bot.planio.headers import check_unknown_columns, index_headers


def read_settings(table: Table, errors: list[CellError]) -> dict[str, str]:
    """The settings the sheet gives (key → checked text); a blank value leaves the default."""
    usable = index_headers(table, SETTINGS_COLUMNS, errors)
    check_unknown_columns(table, SETTINGS_COLUMNS, errors)
    settings: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row in data_rows(table, errors):
        key = (row.required("key") or "").lower().replace(" ", "_")
        value = row.text("value")
        if not key or not usable:
            continue
        if not row.first_in_sheet("key", key, seen, f"a second value for {key}"):
            continue
        if not value:
            if key not in SETTING_KEYS:
                row.error(row.index("key"), f"'{key}' is not a setting")
            continue
        try:
            settings[key] = check_setting(key, value)
        except SettingError as exc:
            column = "key" if key not in SETTING_KEYS else "value"
            row.error(row.index(column), str(exc))
    return settings


def read_statuses(table: Table, errors: list[CellError]) -> list[StatusDef]:
    """The plan's status scheme, in the sheet's order (the order reports list statuses in)."""
    usable = index_headers(table, ("status", "colour"), errors)
    check_unknown_columns(table, STATUS_COLUMNS, errors)
    statuses: list[StatusDef] = []
    rows = []
    for row in data_rows(table, errors):
        texts = {column: row.text(column) for column in STATUS_COLUMNS}
        status, problems = status_from_texts(texts)
        for column, message in problems.items():
            row.error(row.index(column), message)
        if status is not None and usable:
            statuses.append(status)
            rows.append(row)
    for position, column, message in scheme_problems(statuses):
        rows[position].error(rows[position].index(column), message)
    if usable and not statuses and not any(e.sheet == table.sheet for e in errors):
        errors.append(
            CellError(
                table.sheet,
                None,
                None,
                "has no statuses; remove the sheet to use the default scheme",
            )
        )
    return statuses
