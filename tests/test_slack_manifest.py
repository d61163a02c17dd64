"""The manifest asks for every scope planbot uses, and for no other.

Slack grants a token exactly the scopes its app asked for; a method needing another answers
`missing_scope` (the strict fake does the same, from `fakeslack.METHOD_SCOPES`). So the Web
API methods planbot's code calls are read out of its source and their scopes compared with
the manifest's.
"""

from __future__ import annotations

import re
from pathlib import Path

from slack_sdk import WebClient
from support.fakeslack import METHOD_SCOPES

from bot.manifest import BOT_SCOPES, build_manifest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [path for part in ("bot", "handlers", "jobs") for path in (ROOT / part).rglob("*.py")]

# `client.chat_postMessage(` and the like (any WebClient method named for a Web API method),
# and `_call("chat.postMessage"` in the notifier.
_SDK_CALL = re.compile(r"\bclient\.([a-z]+_[A-Za-z0-9_]+)\(")
_NAMED_CALL = re.compile(r"""(?:_call|api_call)\(\s*["']([a-z]+\.[A-Za-z.]+)["']""")
_NOT_METHODS = frozenset({"api_call"})  # WebClient's own plumbing
# slack_sdk methods that are several Web API calls.
_COMPOSITE = {"files.upload_v2": ("files.getUploadURLExternal", "files.completeUploadExternal")}
# Bolt's own: auth.test at start-up (needs no scope).
_BOLT = ("auth.test",)
# Methods a bot token calls with no scope at all.
NO_SCOPE = frozenset(
    {"auth.test", "views.open", "views.push", "views.update", "views.publish", "chat.getPermalink"}
)


def methods_called() -> set[str]:
    """The Slack Web API methods planbot's code calls."""
    found: set[str] = set(_BOLT)
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for name in _SDK_CALL.findall(text):
            if name in _NOT_METHODS or not callable(getattr(WebClient, name, None)):
                continue  # not a Web API method (a webhook client's `send_dict`, say)
            method = name.removesuffix("_v2").replace("_", ".") + (
                "_v2" if name.endswith("_v2") else ""
            )
            found.update(_COMPOSITE.get(method, (method,)))
        found.update(_NAMED_CALL.findall(text))
    return found


def test_the_manifest_holds_every_scope_the_bot_uses_and_no_others() -> None:
    methods = methods_called()
    # A 1:1 DM is all conversations.open is asked for: im:write is the scope for that.
    needed = {METHOD_SCOPES[m][0] for m in methods if m in METHOD_SCOPES}
    needed.add("commands")  # the slash commands the manifest declares

    assert {"chat.postMessage", "views.open", "users.info"} <= methods  # the scan sees calls
    unknown = methods - METHOD_SCOPES.keys() - NO_SCOPE
    assert unknown == set(), f"say which scope these need (fakeslack.METHOD_SCOPES): {unknown}"
    assert needed == set(BOT_SCOPES), (sorted(methods), sorted(needed))
    assert build_manifest()["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert build_manifest()["features"]["slash_commands"]


def test_every_test_docs_slack_rules_cites_exists() -> None:
    text = (ROOT / "docs" / "slack-rules.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"(tests/[\w/]+\.py)::(\w+)", text))

    missing = [
        f"{path}::{name}"
        for path, name in sorted(cited)
        if not re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]

    assert len(cited) >= 20
    assert missing == []
