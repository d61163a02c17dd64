"""The `planbot` command line: one Typer app; each module of bot/cli registers its commands."""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli import plans, reminders, report, slack

app = typer.Typer(
    name="planbot",
    help="Runs the quarterly progress cycle of an improvement plan in Slack.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
plans.register(app)
slack.register(app)
reminders.register(app)
report.register(app)


def main() -> None:
    """Entry point of the `planbot` script."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Migrations and the HTTP client narrate every step at INFO; a CLI user needs none of it.
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
