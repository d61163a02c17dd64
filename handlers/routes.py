"""Where listeners are registered: Bolt's app, and a note of what each listener takes, which
the inbox reads (bot/entrypoints/inbox.py) to store only what a listener here will do and to
start at once what a person watches on screen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App


@dataclass
class Routes:
    """Where listeners are registered on the app, noting what each takes, so the inbox
    stores just the requests a listener here will do (`takes`), and starts at once those a
    person watches on screen: a modal to open within its trigger's 3 seconds, or a form to
    redraw (`prompt`), never queued behind reports and webhooks."""

    app: App
    commands: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    views: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    prompt_names: set[str] = field(default_factory=set)  # command names and action ids

    def command(self, name: str, listener: Callable[..., None], *, prompt: bool = False) -> None:
        self.app.command(name)(listener)
        self.commands.add(name)
        if prompt:
            self.prompt_names.add(name)

    def action(
        self, action_id: str, listener: Callable[..., None], *, prompt: bool = False
    ) -> None:
        self.app.action(action_id)(listener)
        self.actions.add(action_id)
        if prompt:
            self.prompt_names.add(action_id)

    def options(self, action_id: str, listener: Callable[..., None]) -> None:
        """A menu's options: answered inside the ack, never stored."""
        self.app.options(action_id)(listener)

    def view(self, callback_id: str, listener: Callable[..., None]) -> None:
        self.app.view(callback_id)(listener)
        self.views.add(callback_id)

    def event(self, event_type: str, listener: Callable[..., None]) -> None:
        self.app.event(event_type)(listener)
        self.events.add(event_type)

    def takes(self, body: dict[str, Any]) -> bool:
        """Whether a listener registered here takes this request."""
        return bool(self._names(body) & (self.commands | self.actions | self.views | self.events))

    def is_prompt(self, body: dict[str, Any]) -> bool:
        """Whether a person watches for this request's answer on screen (see `prompt`)."""
        return bool(self._names(body) & self.prompt_names)

    @staticmethod
    def _names(body: dict[str, Any]) -> set[str]:
        """The names a listener of this request is registered under."""
        if body.get("command"):
            return {str(body["command"])}
        kind = body.get("type")
        if kind == "block_actions":
            return {
                str(action.get("action_id"))
                for action in body.get("actions") or []
                if isinstance(action, dict)
            }
        if kind in {"view_submission", "view_closed"}:
            return {str((body.get("view") or {}).get("callback_id"))}
        if kind == "event_callback":
            return {str((body.get("event") or {}).get("type"))}
        return set()
