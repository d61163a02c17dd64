"""The composition root of the Slack side: builds the Bolt app from a runtime.

`create_app(runtime)` returns a fresh `slack_bolt.App` whose Web API client is the
runtime's (`SLACK_API_URL`, retry handlers for 429/5xx/dropped connections), whose
listeners are those of `handlers/`, and whose middleware hands the runtime to every
listener through Bolt's context. There is no module-level app.

Every request goes through the durable inbox (`bot.entrypoints.inbox`): stored, then
acknowledged, then done by one of the inbox's workers, which dispatches it to this same app
again. Bolt runs with `process_before_response=True`, so a listener runs within the dispatch
that called it: the ack's dispatch runs no listener (but the two that answer inside the ack,
a menu's options and a form's check), and a worker's dispatch runs the listener to its end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse, Respond

from bot.entrypoints.inbox import Inbox
from bot.runtime import Runtime
from bot.settings import SettingsError
from handlers import register_listeners
from handlers.common import RUNTIME_KEY, report_error


class _ClientGivenOnPurpose(logging.Filter):
    """Drop Bolt's warning that `token` is unused: it reads SLACK_BOT_TOKEN itself, and we
    hand it the runtime's client (with its base URL and retry handlers) on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("planbot.bolt")
    if not any(isinstance(f, _ClientGivenOnPurpose) for f in logger.filters):
        logger.addFilter(_ClientGivenOnPurpose())
    return logger


def create_app(
    runtime: Runtime,
    *,
    signing_secret: str | None = None,
    token_verification: bool = True,
    inbox: Inbox | None = None,
) -> App:
    """A Bolt app for `runtime`.

    `signing_secret`: verifies HTTP requests (default: `SLACK_SIGNING_SECRET`; Socket Mode
    needs none). `token_verification`: call `auth.test` now, so a bad token fails at start-up
    and no request waits for that call before its ack. `inbox`: where requests are stored
    and done (default: a new `Inbox` of the runtime; pass one to `start`, `sweep` or
    `stop` it).
    """
    client = runtime.notifier.client
    if not client.token:
        raise SettingsError("SLACK_BOT_TOKEN is not set; see .env.example.")
    if signing_secret is None:
        secret = runtime.settings.slack_signing_secret
        signing_secret = secret.get_secret_value() if secret is not None else ""
    app = App(
        name="planbot",
        client=client,
        signing_secret=signing_secret,
        token_verification_enabled=token_verification,
        # A listener runs inside the dispatch that calls it: the inbox's middleware answers
        # Slack without calling one, and a worker's dispatch runs one to its end.
        process_before_response=True,
        logger=_bolt_logger(),
    )

    def put_runtime_in_context(context: BoltContext, next: Callable[[], BoltResponse]) -> Any:
        context[RUNTIME_KEY] = runtime
        return next()

    app.middleware(put_runtime_in_context)
    routes = register_listeners(app)
    (inbox or Inbox(runtime)).attach(app, routes)
    app.error(_error_handler(runtime))
    return app


def _error_handler(runtime: Runtime) -> Callable[..., None]:
    def handle_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
        """Refusals go privately to the person; anything else is logged once, with an apology."""
        report_error(runtime, error, body, respond)

    return handle_error
