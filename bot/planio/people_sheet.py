"""Validating the people sheet, and finding a person by the Slack ID or e-mail other sheets use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.domain.planfile import CellError, PersonRow
from bot.planio.cells import Row, Table, data_rows
from bot.planio.columns import PEOPLE_COLUMNS, PEOPLE_REQUIRED, ROLES
from bot.planio.headers import check_unknown_columns, index_headers

_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass
class People:
    """Who is who, for resolving owners and delegates given by Slack ID or e-mail."""

    by_slack_id: dict[str, str] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)

    def resolve(self, text: str) -> str | None:
        """The Slack ID of the person `text` names by Slack ID or e-mail; None if no one."""
        if "@" in text:
            return self.by_email.get(text.casefold())
        return self.by_slack_id.get(text) or self.by_slack_id.get(text.upper())


def read_people(table: Table, errors: list[CellError]) -> tuple[list[PersonRow], People | None]:
    """The valid people, and who is who (None when the sheet's columns are unusable)."""
    usable = index_headers(table, PEOPLE_REQUIRED, errors)
    check_unknown_columns(table, PEOPLE_COLUMNS, errors)
    index = People()
    slack_rows: dict[str, int] = {}
    email_rows: dict[str, int] = {}
    pending: list[tuple[Row, dict[str, Any]]] = []
    for row in data_rows(table, errors):
        slack_id = row.required("slack_id")
        if slack_id is not None:
            if not _SLACK_ID.fullmatch(slack_id):
                row.error(
                    row.index("slack_id"),
                    f"'{slack_id}' is not a Slack user ID (like U0123ABCD: in Slack, open "
                    "the person's profile, ⋮, Copy member ID)",
                )
            elif row.first_in_sheet(
                "slack_id", slack_id, slack_rows, f"duplicate Slack ID {slack_id}"
            ):
                index.by_slack_id[slack_id] = slack_id
        name = row.required("name")
        email = row.required("email")
        if email is not None:
            folded = email.casefold()
            if not _EMAIL.fullmatch(email):
                row.error(row.index("email"), f"'{email}' is not an e-mail address")
            elif (
                row.first_in_sheet("email", folded, email_rows, f"duplicate e-mail {email}")
                and slack_id is not None
                and _SLACK_ID.fullmatch(slack_id)
            ):
                index.by_email[folded] = slack_id
        role = row.required("role")
        if role is not None:
            role = role.lower()
            if role not in ROLES:
                row.error(
                    row.index("role"), f"unknown role '{role}'; use one of: {', '.join(ROLES)}"
                )
        directorate = row.required("directorate")
        away_from = row.date("away_from", required=False)
        away_to = row.date("away_to", required=False)
        if away_from and away_to and away_to < away_from:
            row.error(row.index("away_to"), "away_to is before away_from")
        active = row.flag("active", default=True)
        pending.append(
            (
                row,
                {
                    "slack_id": slack_id,
                    "name": name,
                    "email": email,
                    "role": role,
                    "directorate": directorate,
                    "delegate": row.text("delegate"),
                    "away_from": away_from,
                    "away_to": away_to,
                    "active": active,
                },
            )
        )
    people: list[PersonRow] = []
    for row, fields in pending:
        delegate_text: str = fields["delegate"]
        delegate = ""
        if delegate_text and usable:
            resolved = index.resolve(delegate_text)
            if resolved is None:
                row.error(
                    row.index("delegate"),
                    f"unknown delegate '{delegate_text}': no one in people has this "
                    "Slack ID or e-mail",
                )
            elif resolved == fields["slack_id"]:
                row.error(row.index("delegate"), "a person cannot be their own delegate")
            else:
                delegate = resolved
        if row.ok and usable:
            people.append(PersonRow(**{**fields, "delegate": delegate}))
    return people, (index if usable else None)
