"""The Socket Mode entrypoint: the Bolt app over Slack's WebSocket, for a bot with no public URL.

Slack authenticates the connection with the app-level token (`xapp-`), so requests arrive
unsigned and nothing here checks a signature.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler


def serve_socket_mode(app: App, app_token: str) -> None:
    """Connect to Slack with `app_token` and answer its requests with `app` until interrupted."""
    SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
