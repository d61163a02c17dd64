"""What a staff tool's webhook receives when a report is published.

A Microsoft Teams URL gets an Adaptive Card within Teams' size limit; any other tool gets the
report as JSON (docs/digest-json.md) with a one-line summary.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from bot.domain.dates import short_date
from bot.model.report import Digest
from bot.render.blockkit import shorten_line
from bot.render.report_blocks import summary_text
from bot.render.report_json import report_dict
from bot.render.report_wording import direction_word, exceptions_words

TEAMS_MAX_BYTES = 27_000  # Teams refuses webhook payloads over 28 KB
TEAMS_EXCEPTIONS = 10
_TEAMS_HOSTS = (
    "webhook.office.com",
    "outlook.office.com",
    "outlook.office365.com",
    "logic.azure.com",
    "powerplatform.com",
    "powerautomate.com",
)
_TEAMS_PATHS = ("/webhookb2/", "/incomingwebhook/", "/workflows/", "/powerautomate/")


def is_teams_url(url: str) -> bool:
    """True for a Microsoft Teams incoming webhook or a Teams Workflows (Power Automate) URL."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    return any(host == h or host.endswith("." + h) for h in _TEAMS_HOSTS) or any(
        p in path for p in _TEAMS_PATHS
    )


def webhook_payload(
    digest: Digest, url: str, *, version: int = 1, republished: bool | None = None
) -> dict[str, Any]:
    """A Teams card for Teams URLs; the report as plain JSON for any other staff tool."""
    if is_teams_url(url):
        return teams_message(
            digest, republished=version > 1 if republished is None else republished
        )
    return {
        "event": "planbot.report_published",
        "version": version,
        "text": summary_text(digest),
        "report": report_dict(digest),
    }


_TEAMS_MARKDOWN = re.compile(r"([\\`*_\[\]])")
_TEAMS_LIST_START = re.compile(r"^(\s*)([-+]|\d+\.)(\s)")


def teams_text(text: str) -> str:
    """What a person typed, as literal text in an Adaptive Card `TextBlock` (Markdown).

    Teams renders `**bold**`, `_italic_`, `[links](url)` and list markers at the start of a
    line; each is escaped with a backslash so a title or note shows as it was written.
    """
    text = _TEAMS_MARKDOWN.sub(r"\\\1", text)
    return _TEAMS_LIST_START.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}{m[3]}", text)


def teams_message(
    digest: Digest, *, republished: bool = False, exceptions: int = TEAMS_EXCEPTIONS
) -> dict[str, Any]:
    """An Adaptive Card in the message envelope that Teams incoming webhooks and Workflows take."""
    previous = digest.previous_period_key
    facts = [
        {
            "title": digest.label(k),
            "value": f"{digest.counts[k]} ({digest.previous_counts[k]} in {previous})",
        }
        for k in digest.status_keys
        if digest.counts[k] or digest.previous_counts[k]
    ]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": teams_text(shorten_line(digest.title, 200)),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": (
                f"{'Re-published with amendments' if republished else 'Published'} "
                f"{short_date(digest.generated_at)} · {digest.scope.label} · {digest.total} actions"
            ),
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
        },
        {"type": "FactSet", "facts": facts},
    ]
    shown = digest.exceptions[:exceptions]
    if shown:
        body.append(
            {
                "type": "TextBlock",
                "text": teams_text(
                    f"Exceptions: {exceptions_words(digest)} ({len(digest.exceptions)})"
                ),
                "weight": "Bolder",
                "separator": True,
                "wrap": True,
            }
        )
    for line in shown:
        body.append(
            {
                "type": "TextBlock",
                "text": teams_text(
                    shorten_line(
                        f"{line.ref} {line.title}: {digest.label(line.status)}, "
                        f"{direction_word(line.direction)}. {line.note}",
                        400,
                    )
                ),
                "wrap": True,
                "spacing": "Small",
            }
        )
    if len(digest.exceptions) > len(shown):
        body.append(
            {
                "type": "TextBlock",
                "text": f"…and {len(digest.exceptions) - len(shown)} more in the full report.",
                "isSubtle": True,
                "wrap": True,
            }
        )
    missing = len(digest.no_update)
    body.append(
        {
            "type": "TextBlock",
            "text": f"No update received: {missing} action{'s' if missing != 1 else ''}. "
            "The full report is in the Slack digest channel.",
            "wrap": True,
            "separator": True,
        }
    )
    message = {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "msteams": {"width": "Full"},
                    "body": body,
                },
            }
        ],
    }
    if exceptions > 0 and len(json.dumps(message).encode()) > TEAMS_MAX_BYTES:
        return teams_message(digest, republished=republished, exceptions=exceptions // 2)
    return message
