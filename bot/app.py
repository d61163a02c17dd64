"""The composition root of the Slack side: builds the Bolt app from a runtime.

`create_app(runtime)` returns a fresh `slack_bolt.App` whose Web API client is the
runtime's (`SLACK_API_URL`, retry handlers for 429/5xx/dropped connections), whose
listeners are those of `handlers/`, and whose middleware hands the runtime to every
listener through Bolt's context. There is no module-level app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse, Respond

from bot.runtime import Runtime
from bot.settings import SettingsError
from handlers import RUNTIME_KEY, register_listeners, report_error


def create_app(
    runtime: Runtime,
    *,
    signing_secret: str | None = None,
    token_verification: bool = True,
    listener_executor: Executor | None = None,
) -> App:
    """A Bolt app for `runtime`.

    `signing_secret`: verifies HTTP requests (default: `SLACK_SIGNING_SECRET`; Socket Mode
    needs none). `token_verification`: call `auth.test` now, so a bad token fails at start-up
    and no request waits for that call before its ack. `listener_executor`: the thread pool
    listeners finish on after their ack (default: Bolt's own).
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
        # Listeners ack first and carry on in Bolt's thread pool: Slack gets its answer in
        # milliseconds whatever the database or the Web API are doing.
        process_before_response=False,
        logger=logging.getLogger("planbot.bolt"),
        listener_executor=listener_executor,
    )

    def put_runtime_in_context(context: BoltContext, next: Callable[[], BoltResponse]) -> Any:
        context[RUNTIME_KEY] = runtime
        return next()

    app.middleware(put_runtime_in_context)
    register_listeners(app)
    app.error(_error_handler(runtime))
    return app


def _error_handler(runtime: Runtime) -> Callable[..., None]:
    def handle_error(error: Exception, body: dict[str, Any], respond: Respond | None) -> None:
        """Refusals go privately to the person; anything else is logged once, with an apology."""
        report_error(runtime, error, body, respond)

    return handle_error
