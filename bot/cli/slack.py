"""`planbot serve` (the bot) and `planbot manifest` (the Slack app manifest)."""

from __future__ import annotations

import json
import logging
import os
from typing import Annotated

import typer

from bot.cli.common import database, fail, settings, user_errors

log = logging.getLogger(__name__)


def serve(
    http: Annotated[
        bool, typer.Option("--http", help="Serve HTTP even when SLACK_APP_TOKEN is set.")
    ] = False,
    port: Annotated[
        int | None,
        typer.Option("--port", help="HTTP port (default: $PORT, else 3000).", min=1, max=65535),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="HTTP address to listen on.")] = "0.0.0.0",  # noqa: S104 - the bot's own server; put it behind your proxy
    threads: Annotated[int, typer.Option("--threads", help="HTTP worker threads.", min=1)] = 8,
) -> None:
    """Run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events."""
    from bot.app import create_app
    from bot.entrypoints.http import DEFAULT_PORT, EVENTS_PATH, HEALTH_PATH, serve_http
    from bot.entrypoints.inbox import Inbox
    from bot.runtime import build_runtime

    current = settings()
    with user_errors():
        bot_token = current.require("slack_bot_token")
        socket_mode = current.slack_app_token is not None and not http
        signing_secret = "" if socket_mode else current.require("slack_signing_secret")
        runtime = build_runtime(current, db=database(current))
        if not bot_token.startswith("xoxb-"):
            log.warning("SLACK_BOT_TOKEN does not start with xoxb-; is it the bot token?")
        inbox = Inbox(runtime)
        try:
            app = create_app(runtime, signing_secret=signing_secret, inbox=inbox)
        except Exception as exc:  # noqa: BLE001 - auth.test refused or unreachable: said in one line
            raise fail(f"Slack did not accept SLACK_BOT_TOKEN: {exc}") from None
    from jobs.scheduler import start_scheduler

    scheduler = start_scheduler(runtime)
    log.info(
        "reminder scheduler started: reminders and report drafts every %s minutes",
        current.planbot_tick_minutes,
    )
    # What an earlier process acknowledged and did not finish is done now, then swept for
    # every SWEEP_SECONDS (see bot/entrypoints/inbox.py).
    inbox.start()
    try:
        if socket_mode:
            from bot.entrypoints.socket_mode import serve_socket_mode

            typer.echo("planbot: connecting to Slack in Socket Mode")
            serve_socket_mode(app, current.require("slack_app_token"))
        else:
            chosen = port or int(os.environ.get("PORT") or DEFAULT_PORT)
            typer.echo(
                f"planbot: listening on http://{host}:{chosen}{EVENTS_PATH} "
                f"({threads} threads; health at {HEALTH_PATH})"
            )
            serve_http(app, db=runtime.db, host=host, port=chosen, threads=threads)
    finally:
        scheduler.shutdown(wait=False)
        inbox.stop(wait=False)


def manifest(
    request_url: Annotated[
        str | None,
        typer.Option(
            "--request-url",
            help="Public base URL for HTTP mode (e.g. https://planbot.example.gov.uk); "
            "leave out for Socket Mode.",
        ),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="The app's name in Slack.")] = "planbot",
) -> None:
    """Print the Slack app manifest (JSON) to create the app from."""
    from bot.manifest import build_manifest

    if request_url is not None and not request_url.startswith("https://"):
        raise fail("--request-url must be an https:// URL (Slack only calls https).")
    typer.echo(json.dumps(build_manifest(name=name, request_url=request_url), indent=2))


def register(app: typer.Typer) -> None:
    """Add `serve` and `manifest` to `app`."""
    app.command("serve")(serve)
    app.command("manifest")(manifest)
