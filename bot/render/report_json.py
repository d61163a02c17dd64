"""The committee report as JSON, for other tools (schema: docs/digest-json.md)."""

from __future__ import annotations

from bot.services.digest import Digest


def render_json(digest: Digest) -> str:
    """The compiled report as a JSON document (UTF-8 text, keys in a stable order)."""
    return digest.to_json()
