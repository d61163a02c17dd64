"""Events: the App Home is drawn afresh each time someone opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from handlers.common import answering, refresh_home, runtime_from
from handlers.routes import Routes


def handle_app_home_opened(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext
) -> None:
    """Publish the person's App Home (Bolt acknowledges events before this runs)."""
    if event.get("tab", "home") != "home":
        return
    runtime = runtime_from(context)
    with answering(runtime, body):
        refresh_home(runtime, event["user"])


def register(routes: Routes) -> None:
    routes.event("app_home_opened", handle_app_home_opened)
