"""The Slack app manifest: everything Slack needs to create planbot's app in one step."""

from __future__ import annotations

from typing import Any

from bot.entrypoints.http import EVENTS_PATH
from bot.ids import Command

# Only what planbot calls. commands: the slash commands. chat:write: DMs, ephemeral replies and
# report posts. im:write: conversations.open, for the DM that report files are uploaded to.
# files:write: files_upload_v2. users:read: users.info, to find deactivated people before
# reminding them (Slack accepts a DM to a deactivated account). The App Home, modals and the
# app_home_opened event need none.
BOT_SCOPES = ("commands", "chat:write", "im:write", "files:write", "users:read")

COMMANDS = (
    (
        Command.UPDATE,
        "Report progress on an action",
        "ACT-12 green Contract signed",
        False,  # the note arrives as typed; mentions in it are not turned into links
    ),
    (
        Command.ACTIONS,
        "Your actions and what is due; an action's history",
        "[plan] [ACT-12 | @someone | all]",
        True,
    ),
    (Command.DIGEST, "The progress report for a period", "[plan] [period] [scope]", False),
    (
        Command.PLANBOT,
        "Help; tell planbot you're away",
        "help | away 13/01/2020 17/01/2020 @delegate | back",
        True,
    ),
)


def build_manifest(*, name: str = "planbot", request_url: str | None = None) -> dict[str, Any]:
    """The manifest; Socket Mode unless `request_url` (the public base URL) is given for HTTP."""
    events_url = f"{request_url.rstrip('/')}{EVENTS_PATH}" if request_url else None
    commands = []
    for command, description, hint, escape in COMMANDS:
        entry: dict[str, Any] = {
            "command": str(command),
            "description": description,
            "usage_hint": hint,
            "should_escape": escape,
        }
        if events_url:
            entry["url"] = events_url
        commands.append(entry)
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": ["app_home_opened"]}
    if events_url:
        interactivity["request_url"] = events_url
        interactivity["message_menu_options_url"] = events_url
        events["request_url"] = events_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Collects quarterly progress updates on the improvement plan.",
            "long_description": (
                "planbot runs the quarterly progress cycle of an improvement action plan: it "
                "reminds action owners when an update is due, takes their updates with "
                "/update or a form, chases the missing ones, and compiles the committee's "
                "progress report. /actions shows what is due; the Home tab shows your actions "
                "with an Update button each; /planbot help explains the rest."
            ),
            "background_color": "#1565c0",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": request_url is None,
            "token_rotation_enabled": False,
        },
    }
