"""Bolt listeners, one module per kind, each with `register(app)`; what they share is in
`handlers.common`. See docs/architecture.md for a command's path through them."""

from __future__ import annotations

from slack_bolt import App

from handlers import actions, commands, digest, events, reminders, signoff, views
from handlers.routes import Routes


def register_listeners(app: App) -> Routes:
    """Register every listener module's listeners on `app`; what they take."""
    routes = Routes(app)
    for module in (commands, views, actions, events, digest, reminders, signoff):
        module.register(routes)
    return routes
