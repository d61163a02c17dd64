"""The columns an action and an indicator both have after their ref: a title, a theme, a
directorate and an owner."""

from __future__ import annotations

from bot.planio.cells import Row
from bot.planio.people_sheet import People

ItemColumns = tuple[str | None, str | None, str | None, str | None]


def read_item_columns(row: Row, people: People | None, *, title_column: str) -> ItemColumns:
    """The row's title, theme, directorate and owner (a Slack ID), None where missing or, for
    the owner, no one in people; each problem recorded on the row."""
    title = row.required(title_column)
    theme = row.required("theme")
    directorate = row.required("directorate")
    owner_text = row.required("owner")
    owner: str | None = None
    if owner_text is not None and people is not None:
        owner = people.resolve(owner_text)
        if owner is None:
            row.error(
                row.index("owner"),
                f"unknown owner '{owner_text}': no one in people has this Slack ID or e-mail",
            )
    return title, theme, directorate, owner
